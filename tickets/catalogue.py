"""The default catalogue of request categories (报修类别) and their service levels.

Hours are from receipt to resolution (ordinary / emergency). Street offices change them
in the admin; the migration seeds these once.
"""

# code, name, service-level hours, emergency hours, covered by the service contract
DEFAULT_CATEGORIES: tuple[tuple[str, str, int, int, bool], ...] = (
    ("repairs", "维修", 72, 4, True),
    ("sanitation", "环境卫生", 24, 4, True),
    ("greening", "绿化", 168, 24, True),
    ("parking", "停车秩序", 48, 4, True),
    ("noise", "噪音扰民", 48, 12, False),
    ("security", "安全秩序", 24, 2, True),
    ("fees", "物业收费", 120, 48, True),
    ("other", "其他", 120, 24, False),
)
