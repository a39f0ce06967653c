"""Masking of personal identifiers (PIPL): show enough to recognise, never enough to use."""


def mask_identifier(value: str, *, head: int = 3, tail: int = 4) -> str:
    """Keep ``head`` leading and ``tail`` trailing characters, star the rest.

    '110101199001011234' → '110***********1234', '13812345678' → '138****5678'; values too
    short to keep anything safely are starred entirely.
    """
    if not value:
        return ""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


mask_id_number = mask_identifier
mask_phone = mask_identifier
