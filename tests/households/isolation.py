"""URL kwargs of the households app for the isolation walk (tests/isolation.py)."""

from households.models import PropertyRightUnit
from tests.isolation import per_cast, register_kwarg, register_markers


@per_cast
def home_property_right_unit(cast) -> PropertyRightUnit:
    return PropertyRightUnit.objects.create(
        compound=cast.compound, name="home 产权单位甲", receiver="home 接收单位"
    )


register_kwarg("pru_id", lambda cast: home_property_right_unit(cast).pk)
register_markers(lambda cast: [home_property_right_unit(cast).name])
