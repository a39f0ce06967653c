"""Buildings taken from a roster file (从名册登记楼栋): a new compound's roster names its
buildings before anyone has registered them, and the import refuses rows of unregistered
buildings. This registers each building the file names that the register lacks, its kind
and floors guessed from the file (a bungalow area by its name, a building's floors from
its flat numbers), all or none.
"""

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.models import Compound

from ..models import Building, BuildingKind
from ..roster import RosterFileError, building_number, column_field, read_table
from ..validators import normalise_register_number, validate_register_number
from .register import building_create, building_sort_key

# From this many floors a building counts as a high-rise (高楼): Beijing's residential
# blocks of seven floors and more have lifts.
HIGH_RISE_FLOORS = 7
MAX_NEW_BUILDINGS = 500
_FLAT_DIGITS = re.compile(r"(\d{3,4})$")


@dataclass(frozen=True)
class BuildingGuess:
    """A building the file names, as it would be registered."""

    number: str
    kind: str
    floors: int

    @property
    def kind_label(self) -> str:
        return str(BuildingKind(self.kind).label)


def _floor_of(flat: str) -> int:
    """The floor a flat number says: 301 → 3, 1806 → 18; 0 when it says none."""
    match = _FLAT_DIGITS.search(flat)
    return int(match.group(1)[:-2]) if match else 0


def roster_buildings_missing(compound: Compound, data: bytes) -> list[BuildingGuess]:
    """The buildings ``data`` names that ``compound`` has not registered, with their
    guessed kind and floors; RosterFileError when the file cannot be read."""
    table = read_table(data)
    positions = {column_field(h): i for i, h in enumerate(table.headers)}
    if "building" not in positions:
        raise RosterFileError(_("找不到“楼号”列"))
    registered = frozenset(compound.buildings.values_list("number", flat=True))
    floors: dict[str, int] = {}
    for _row, cells in table.records:
        index = positions["building"]
        value = str(cells[index]).strip() if index < len(cells) and cells[index] else ""
        number = normalise_register_number(value)
        if not number or building_number(number, registered) is not None:
            continue
        number = number.removesuffix("号楼") if number.removesuffix("号楼").isdigit() else number
        unit = positions.get("unit")
        flat = str(cells[unit]).strip() if unit is not None and unit < len(cells) else ""
        floors[number] = max(floors.get(number, 1), _floor_of(flat))
    guesses = []
    for number, top in floors.items():
        if "平房" in number:
            guesses.append(BuildingGuess(number, BuildingKind.BUNGALOW, 1))
        else:
            kind = BuildingKind.HIGH_RISE if top >= HIGH_RISE_FLOORS else BuildingKind.LOW_RISE
            guesses.append(BuildingGuess(number, kind, top))
    return sorted(guesses, key=lambda g: (building_sort_key(g.number), g.number))


@transaction.atomic
def roster_buildings_create(
    *, compound: Compound, data: bytes, actor: AbstractBaseUser | None = None
) -> list[Building]:
    """Register every building ``data`` names that ``compound`` lacks (all or none; a
    ValidationError lists the numbers that cannot be building numbers)."""
    try:
        guesses = roster_buildings_missing(compound, data)
    except RosterFileError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    if len(guesses) > MAX_NEW_BUILDINGS:
        raise ValidationError(
            {"file": [_("文件中有 %(n)d 个未登记的楼号，超过上限") % {"n": len(guesses)}]}
        )
    bad = []
    for guess in guesses:
        try:
            validate_register_number(guess.number)
        except ValidationError:
            bad.append(guess.number[:40])
    if bad:
        raise ValidationError(
            {
                "file": [
                    _("这些楼号含有不允许的字符，请在文件中改正：%(numbers)s")
                    % {"numbers": "、".join(bad[:20])}
                ]
            }
        )
    return [
        building_create(
            compound=compound,
            number=guess.number,
            kind=guess.kind,
            floors=min(guess.floors, 200),
            lifts=0,
            actor=actor,
        )
        for guess in guesses
    ]
