"""URL kwargs of the activation and claim routes for the isolation walk (tests/isolation.py).

The claim is on a home unit, by a login of its own, with a photo (so the photo route
answers its reviewers); its applicant's name is home data no outsider may see.
"""

from households.models import OwnershipClaim
from households.services.claims import claim_create
from tests.factories import make_user
from tests.households.activation_helpers import image_bytes
from tests.households.roster_files import make_id
from tests.isolation import per_cast, register_kwarg, register_markers

CLAIMANT_NAME = "home 认领人甲"


@per_cast
def home_claim(cast) -> OwnershipClaim:
    unit = cast.compound.units.get(building__number="2", number="0201")
    return (
        claim_create(
            user=make_user("home_claimant"),
            compound_code=cast.compound.code,
            building="2",
            unit_number="0201",
            name=CLAIMANT_NAME,
            id_number=make_id(501, region="110108"),
            certificate_number="京(2020)海淀区不动产权第0000001号",
            photo=image_bytes("PNG"),
        )
        if unit
        else None
    )


register_kwarg("claim_id", lambda cast: home_claim(cast).pk)
register_markers(lambda cast: [CLAIMANT_NAME, home_claim(cast).certificate_number])
