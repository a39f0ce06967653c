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


def mask_name(name: str) -> str:
    """A person's name in a list for those who may not read it: the first character (the
    surname, as often as not) and a star for each other one: '张三' → '张*',
    '欧阳娜娜' → '欧***'. What a search by masked name ("张*") can match."""
    if len(name) < 2:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)
