"""URL kwargs of the maintenance fund's routes for the isolation walk (tests/isolation.py):
a published draw of the home compound (an approved project over building 1, whose units
have opening balances), so the home resident in building 1 may read it too."""

import datetime as dt
from decimal import Decimal

from tests.isolation import per_cast, register_kwarg, register_markers
from tests.works.fund_helpers import make_fund_project, open_balances
from works.models import FundImport
from works.services.fund_draws import fund_draw_publish

TITLE = "home 屋面防水-资金隔离"


@per_cast
def home_draw(cast):
    open_balances(cast.compound, Decimal("3000.00"))
    project = make_fund_project(cast.compound, title=TITLE)
    return fund_draw_publish(
        project=project, amount="900.00", published_on=dt.date(2023, 5, 1), actor=cast.committee
    )


for route in (
    "works:fund-draw",
    "works:fund-draw-make",
    "api-works-fund-draw-make",
    "api-works-fund-draw-shares",
):
    register_kwarg("draw_id", lambda cast: home_draw(cast).pk, route=route)
register_markers(lambda cast: [TITLE])


@per_cast
def home_import(cast):
    return FundImport.objects.create(compound=cast.compound, filename="home 期初.xlsx", rows=1)


register_kwarg("import_id", lambda cast: home_import(cast).pk, route="works:fund-import-job")
