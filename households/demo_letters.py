"""Demo step (issue 11): the committee prints the activation letters of building 16.

Run by ``seed_demo`` (board.demo.APP_SEEDS) through the same service as the page and the
API. Running it again changes nothing: a demo compound that already has a letter job for
building 16 is left alone. The building file is rendered when seed_demo's transaction
commits (inline without a broker, by the workers with one); its codes exist only in it.
"""

from django.contrib.auth import get_user_model

from portal.models import Compound

from .services import letters

BUILDING = "16"
COMMITTEE_LOGIN = "wuguanhui"


def seed(compound: Compound) -> None:
    if compound.activation_letter_jobs.filter(buildings__number=BUILDING).exists():
        return
    if not compound.buildings.filter(number=BUILDING).exists():
        return
    actor = get_user_model().objects.filter(username=COMMITTEE_LOGIN).first()
    letters.activation_letters_start(
        compound=compound,
        buildings=letters.letter_buildings(compound, [BUILDING]),
        actor=actor,
    )
