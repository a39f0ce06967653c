"""The ``building`` path converter: a 楼号 in a page address, only in the alphabet the
register allows (:mod:`households.validators`), so any other address is a plain 404."""

from .validators import NUMBER_PATTERN


class BuildingNumberConverter:
    regex = NUMBER_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
