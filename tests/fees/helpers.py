"""Builders shared by the fees tests."""

import datetime as dt
from decimal import Decimal

from fees import services
from fees.models import FeeStandard
from households.models import BuildingKind
from portal.models import Compound

CASE_SHARES = (
    services.ShareInput("北太平庄街道", Decimal("50")),
    services.ShareInput("首开集团", Decimal("50")),
)


def low_rise_standard(compound: Compound, **overrides) -> FeeStandard:
    """The case's low-rise standard: appraised 1.78, charged 1.00, three years from 2022."""
    kwargs = {
        "compound": compound,
        "building_kind": BuildingKind.LOW_RISE,
        "appraised_rate": Decimal("1.78"),
        "charged_rate": Decimal("1.00"),
        "valid_from": dt.date(2022, 1, 1),
        "valid_to": dt.date(2024, 12, 31),
        "shares": CASE_SHARES,
        "service_standard": "北京市住宅物业服务标准 二级",
    }
    kwargs.update(overrides)
    return services.fee_standard_create(**kwargs)


def bill(compound: Compound, start=dt.date(2022, 1, 1), months: int = 12):
    return services.billing_run_create(
        compound=compound, period_start=start, months=months, today=dt.date(2022, 1, 1)
    )
