"""Checks of the identifiers a roster carries: resident ID numbers and credit codes.

Pure functions: a clean value in, a normalised value out, or ``ValueError`` with a
specific reason (already translated) that the roster report shows as it is.
"""

import datetime as dt

from django.utils.translation import gettext as _

# GB 11643-1999: weights of the first 17 digits and the check character for sum % 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# GB 32100-2015: the alphabet of the unified social credit code (no I, O, S, V, Z).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an 18-character ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_id_number(value: str, *, today: dt.date) -> str:
    """A mainland resident ID number (居民身份证号码), normalised to 18 characters.

    Accepts the 18-character form (the last character a digit or X, checked with
    ISO 7064 MOD 11-2; HK/Macau/Taiwan residence permits share the format) and the
    15-digit form of cards issued before 1999, which is converted to 18 characters the
    way the public-security system does (century 19 inserted, check character appended),
    so the same person matches whichever form a roster uses.
    """
    text = value.strip().upper()
    if len(text) == 15:
        if not text.isdigit():
            raise ValueError(_("15位证件号码只能由数字组成"))
        text = text[:6] + "19" + text[6:]
        text += id_check_character(text)
    elif len(text) != 18:
        raise ValueError(_("证件号码应为18位（或旧式15位），实为%(n)d位") % {"n": len(text)})
    elif not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise ValueError(_("证件号码前17位须为数字，末位为数字或X"))
    if text[0] == "0":
        raise ValueError(_("证件号码的地区码不正确"))
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise ValueError(_("证件号码中的出生日期不存在")) from None
    if birth.year < 1890 or birth > today:
        raise ValueError(_("证件号码中的出生日期不合理"))
    if id_check_character(text[:17]) != text[17]:
        raise ValueError(_("证件号码校验位错误（请核对是否抄错）"))
    return text


def normalise_credit_code(value: str) -> str:
    """A unified social credit code (统一社会信用代码) with its GB 32100 check character."""
    text = value.strip().upper()
    if len(text) != 18 or any(ch not in _USCC_ALPHABET for ch in text):
        raise ValueError(_("统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z）"))
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(text, _USCC_WEIGHTS, strict=False))
    if _USCC_ALPHABET[(31 - total % 31) % 31] != text[17]:
        raise ValueError(_("统一社会信用代码校验位错误（请核对是否抄错）"))
    return text
