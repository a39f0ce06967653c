"""URL kwargs of the households app for the isolation walk (tests/isolation.py)."""

from households.masking import mask_name
from households.models import Owner, PropertyRightUnit
from tests.isolation import per_cast, register_kwarg, register_markers


@per_cast
def home_property_right_unit(cast) -> PropertyRightUnit:
    return PropertyRightUnit.objects.create(
        compound=cast.compound, name="home 产权单位甲", receiver="home 接收单位"
    )


register_kwarg("pru_id", lambda cast: home_property_right_unit(cast).pk)
register_markers(lambda cast: [home_property_right_unit(cast).name])
# The register lists (units/, owners/) show names masked to some roles: those masks are
# home data too ("业" and ten stars, then the end of the cell: other compounds' names are longer).
register_markers(
    lambda cast: [
        mask_name(name) + "<"
        for name in Owner.objects.filter(compound=cast.compound).values_list("name", flat=True)
    ]
)
