"""Demo requests and 12345 cases for 学院南路32号院 (run by board's seed_demo).

Two years, 2021 and 2022, of illustrative requests: before the transition the complaints
come through the hotline 12345 (parking, sanitation, noise) and are answered late; after
the renovation (from 2021-05) and the agreement (2021-12) they fall month by month, more
come online, and most are answered within the service level. Now: a few open requests,
one overdue, one reopened after a caller's bad rating, and the resident ``yezhu``'s own
request in progress. Deterministic (a seeded random) and idempotent.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from households.models import Unit
from portal.models import Compound

from . import services
from .models import Channel, Rating, Request
from .services_bulk import PastRequest, requests_bulk_create

User = get_user_model()
MARKER = "【演示】"

# (category, words) the demo draws from; 12345 complaints lean to the first four.
HOTLINE_TOPICS = [
    ("parking", "院内乱停车，消防通道被占"),
    ("sanitation", "垃圾堆放多日无人清运"),
    ("noise", "夜间施工噪音扰民"),
    ("security", "单元门禁损坏，陌生人随意进出"),
    ("repairs", "楼道灯长期不亮"),
]
ONLINE_TOPICS = [
    ("repairs", "厨房下水管堵塞"),
    ("repairs", "单元门闭门器损坏"),
    ("greening", "楼前树枝遮挡窗户，请修剪"),
    ("sanitation", "楼道有小广告"),
    ("fees", "物业费缴费凭证开具"),
]


def _monthly_volume(year: int, month: int) -> tuple[int, int]:
    """(12345 cases, online requests) in a month: many complaints before the renovation,
    a steady fall after it, more online requests once the portal and the company serve."""
    index = (year - 2021) * 12 + month - 1  # 0 = 2021-01
    hotline = max(1, 16 - index) if index < 16 else 1
    online = 0 if index < 6 else min(8, 2 + (index - 6) // 2)
    return hotline, online


def _history(compound: Compound, rnd: random.Random) -> list[PastRequest]:
    units = list(compound.units.values_list("pk", flat=True)[:400])
    items: list[PastRequest] = []
    case = 0
    for year in (2021, 2022):
        for month in range(1, 13):
            before = (year, month) < (2021, 12)
            hotline, online = _monthly_volume(year, month)
            for n in range(hotline + online):
                is_hotline = n < hotline
                category, words = rnd.choice(HOTLINE_TOPICS if is_hotline else ONLINE_TOPICS)
                received = timezone.make_aware(
                    dt.datetime(
                        year, month, rnd.randint(1, 28), rnd.randint(7, 21), rnd.randint(0, 59)
                    )
                )
                # Before the transition answers come late (days), after it within hours.
                delay = dt.timedelta(hours=rnd.randint(30, 200) if before else rnd.randint(1, 20))
                resolved = received + delay + dt.timedelta(hours=rnd.randint(2, 48))
                if before:
                    rating = rnd.choice(
                        [Rating.NOT_SATISFIED, Rating.NOT_SATISFIED, Rating.BASICALLY, ""]
                    )
                else:
                    rating = rnd.choice(
                        [Rating.SATISFIED, Rating.SATISFIED, Rating.SATISFIED, Rating.BASICALLY, ""]
                    )
                case += 1
                items.append(
                    PastRequest(
                        category=category,
                        description=f"{MARKER}{words}",
                        received_at=received,
                        channel=Channel.HOTLINE if is_hotline else Channel.ONLINE,
                        hotline_case_number=f"DEMO{year}{month:02d}{case:04d}"
                        if is_hotline
                        else "",
                        unit_id=None if is_hotline or not units else rnd.choice(units),
                        place="院内" if is_hotline else "",
                        first_response_at=received + delay,
                        resolved_at=resolved,
                        result="已处理" if before else "已按服务标准处理完毕",
                        rating=rating,
                        closed=True,
                    )
                )
    return items


def seed(compound: Compound) -> dict[str, int]:
    """Build the demo's requests once; running it again changes nothing."""
    if Request.objects.filter(compound=compound, description__startswith=MARKER).exists():
        return {}
    rnd = random.Random(14)
    officer = User.objects.filter(username="jiedao").first()
    count = requests_bulk_create(compound=compound, actor=officer, items=_history(compound, rnd))
    company = User.objects.filter(username="wuye").first()
    resident = User.objects.filter(username="yezhu").first()
    now = timezone.now()
    if company is not None:
        _open_now(compound, company, resident, now)
    return {"requests": count}


def _open_now(compound: Compound, company, resident, now: dt.datetime) -> None:  # noqa: ANN001
    """Some requests open now: new, overdue, reopened after a bad rating, and yezhu's."""
    services.request_create(
        compound=compound,
        actor=company,
        data=services.NewRequest(
            category="repairs",
            description=f"{MARKER}3号楼单元门禁无法刷卡",
            channel=Channel.PHONE,
            caller_phone="13800000000",
        ),
    )
    overdue = services.request_create(
        compound=compound,
        actor=company,
        data=services.NewRequest(
            category="sanitation",
            description=f"{MARKER}院内东侧垃圾桶满溢",
            channel=Channel.HOTLINE,
            hotline_case_number=f"DEMO{now:%Y%m}9001",
            received_at=now - dt.timedelta(days=3),
            place="院内东侧",
        ),
    )
    services.request_assign(request=overdue, actor=company, party="company", assignee=company)
    reopened = services.request_create(
        compound=compound,
        actor=company,
        data=services.NewRequest(
            category="repairs",
            description=f"{MARKER}12号楼顶层屋面漏雨",
            channel=Channel.PHONE,
            received_at=now - dt.timedelta(days=2),
        ),
    )
    services.request_resolve(request=reopened, actor=company, result="已临时封堵漏点")
    services.request_rate(
        request=reopened,
        actor=company,
        rating=Rating.NOT_SATISFIED,
        comment="来电人反映雨后仍漏",
        reopen=True,
    )
    if resident is None:
        return
    unit = Unit.objects.owned_by(resident).filter(compound=compound).first()
    mine = services.request_create(
        compound=compound,
        actor=resident,
        data=services.NewRequest(
            category="repairs",
            description=f"{MARKER}卫生间水管渗水，楼下天花板有水渍",
            unit_id=unit.pk if unit else None,
            received_at=now - dt.timedelta(hours=20),
        ),
    )
    services.request_assign(request=mine, actor=company, party="company", assignee=company)
    services.request_start(request=mine, actor=company, note="已约好明天上午上门")
