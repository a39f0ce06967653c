"""楼号 and 房号: which characters they may hold, checked in one place.

Both appear in page addresses (``/c/<code>/buildings/<number>/``), file names and
spreadsheet cells, so a "/" or a control character there breaks pages for everyone. What
Beijing addresses need: Chinese characters, letters and digits, and a few marks between
them, e.g. 16, 平房一区, 3-201, 5#, 甲1, 东·2, 3单元(东). Full-width forms (３－２０１)
are folded to these by :func:`normalise_register_number` before checking.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 32
# Letters, digits, CJK (incl. extension A and 〇) and the marks - · # _ ( ).
CHARACTERS = r"0-9A-Za-z\u3007\u3400-\u4dbf\u4e00-\u9fff\-·#_()"
# The URL converter's pattern: anything else in a building's address is not a building.
NUMBER_PATTERN = rf"[{CHARACTERS}]{{1,{MAX_LENGTH}}}"
_NUMBER = re.compile(NUMBER_PATTERN)
_HAS_SUBSTANCE = re.compile(r"[0-9A-Za-z\u3007\u3400-\u4dbf\u4e00-\u9fff]")


def normalise_register_number(value: str) -> str:
    """Full-width digits, letters and marks to their ordinary forms, ends trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


def validate_register_number(value: str) -> None:
    """A 楼号 or 房号 as the register keeps it (see the module's docstring)."""
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            _("过长：最多 %(n)d 个字符"), code="register_number_length", params={"n": MAX_LENGTH}
        )
    if not _NUMBER.fullmatch(value) or not _HAS_SUBSTANCE.search(value):
        raise ValidationError(
            _(
                "只能包含汉字、字母、数字和 - · # _ ( )，"
                "如 16、平房一区、3-201（不能有空格、/ 等符号）"
            ),
            code="register_number_characters",
        )
