"""The whole demo: the register, each app's demo data, and one login per role.

``manage.py seed_demo`` calls :func:`seed_demo`; it lives in ``board``, the app above all
others, and is the only code that imports the apps' ``demo`` modules. Each app that has
demo data provides ``<app>/demo.py`` with ``seed(compound: Compound) -> None``
(idempotent); an app without that module is skipped, so the apps can be developed and
shipped independently.
"""

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse

from households import demo as register_demo
from households.demo_claims import CLAIMANT
from households.models import CommitteeRole
from households.services.accounts import user_add
from households.services.committee import committee_member_account_set
from portal.models import Compound, Role

DEMO_PASSWORD = "portal-demo-2021"
APP_SEEDS = (
    "fees.demo",
    "voting.demo",
    "agreements.demo",
    "board.demo_committee",
    "board.demo_board",
    "households.demo_claims",
    "households.demo_letters",
    "works.demo",
    "tickets.demo",
)


@dataclass(frozen=True)
class DemoLogin:
    """One demo account: who it is and what it lands on."""

    username: str
    role: Role
    scope: str
    path: str
    sees: str
    sees_en: str


@dataclass(frozen=True)
class DemoResult:
    compound: Compound
    logins: list[DemoLogin]
    app_seeds: dict[str, bool]  # module → ran (False: not installed)


def _seed_logins(compound: Compound) -> list[DemoLogin]:
    office = compound.street_office
    company = compound.service_company
    other_office = register_demo.OTHER_OFFICE
    district = register_demo.DISTRICT
    resident_owner = register_demo.demo_resident_owner(compound)
    building, flat = register_demo.DEMO_RESIDENT_UNIT
    unit = compound.units.get(building__number=building, number=flat)
    pru = register_demo.DEMO_PROPERTY_UNIT
    households = f"{register_demo.TOTAL_HOUSEHOLDS:,}"
    chair = compound.committee_members.filter(role=CommitteeRole.CHAIR).first()
    # Display names appear on the agreement's signature stamps; people, not usernames.
    display_names = {
        "jiedao": "李文静",
        "wuguanhui": chair.name if chair else "物管会主任",
        "wuguanhui2": "钱建国",
        "wuye": "赵志强",
        "chanquan": "孙立华",
        "yezhu": resident_owner.name,
        "waibu": "周海燕",
        "quzhujian": "吴国栋",
    }
    accounts: list[tuple[dict[str, Any], str, str, str, str]] = [
        (
            {"username": "jiedao", "role": Role.STREET_OFFICER, "street_office_code": office.code},
            office.name,
            office.get_absolute_url(),
            f"街道总览：{compound.name}（{households}户）等本街道小区，不含{other_office['name']}",
            f"street-office overview of {office.name}: {compound.name} "
            f"({households} households); nothing of {other_office['name']}",
        ),
        (
            {
                "username": "wuguanhui",
                "role": Role.COMMITTEE_MEMBER,
                "compound_code": compound.code,
            },
            f"{compound.name} · 物管会主任",
            compound.get_absolute_url(),
            "本小区的楼栋、房屋、业主（证件号与电话脱敏）、物管会、共同决定",
            "the compound: buildings, units, owners (ID and phone masked), the committee, "
            "joint decisions",
        ),
        (
            {
                "username": "wuguanhui2",
                "role": Role.COMMITTEE_MEMBER,
                "compound_code": compound.code,
            },
            f"{compound.name} · 物管会委员",
            f"{compound.get_absolute_url()}decisions/",
            "第二名物管会委员：书面选票双人录入的第二人、复核、计票与公布",
            "a second committee member: the second keying of paper ballots, review, "
            "counting and publication",
        ),
        (
            {"username": "wuye", "role": Role.COMPANY_STAFF, "compound_code": compound.code},
            str(company),
            compound.get_absolute_url(),
            f"{company}服务的小区（{compound.name}）：收费通知、缴费登记、公示",
            f"the compounds {company} serves ({compound.name}): fee notices, payments, postings",
        ),
        (
            {
                "username": "chanquan",
                "role": Role.PROPERTY_UNIT_REP,
                "compound_code": compound.code,
                "property_unit_name": pru,
            },
            f"{compound.name} · {pru}",
            compound.get_absolute_url(),
            f"{compound.name}（管理视图），代表{pru}签署四方协议",
            f"{compound.name} (management view); signs the four-party agreement for {pru}",
        ),
        (
            {
                "username": "yezhu",
                "role": Role.RESIDENT,
                "compound_code": compound.code,
                "owner_id_number": resident_owner.id_number,
            },
            f"{compound.name} · {unit.label}",
            unit.get_absolute_url(),
            f"只有自己的房屋（{unit.label}）：面积、产权人、物业费、网上投票",
            f"only their own flat ({unit.label}): area, owners, fees, online voting",
        ),
        (
            {
                "username": "waibu",
                "role": Role.STREET_OFFICER,
                "street_office_code": other_office["code"],
            },
            other_office["name"],
            f"/so/{other_office['code']}/",
            f"只有{other_office['name']}与{register_demo.OTHER_COMPOUND['name']}；"
            f"打开{compound.name}得到404",
            f"only {other_office['name']} and {register_demo.OTHER_COMPOUND['name']}; "
            f"{compound.name} answers 404",
        ),
        (
            {
                "username": "quzhujian",
                "role": Role.DISTRICT_OFFICER,
                "district_code": district["code"],
            },
            f"{district['name']} · 区住建委",
            f"/d/{district['code']}/board/",
            f"区看板（只读）：{office.name}与{other_office['name']}按街道汇总，可打开各街道看板；"
            "不能确认提醒、不能打开小区页面与业主信息",
            f"district board (read-only): {office.name} and {other_office['name']} summed "
            "per street office, each street office's board; no acknowledging, no compound "
            "pages, no owners",
        ),
    ]
    logins = []
    for kwargs, scope, path, sees, sees_en in accounts:
        result = user_add(
            password=DEMO_PASSWORD, display_name=display_names[kwargs["username"]], **kwargs
        )
        logins.append(DemoLogin(kwargs["username"], kwargs["role"], scope, path, sees, sees_en))
        if kwargs["username"] == "wuguanhui":
            # The demo committee member holds the chair's seat (and signs for the owners).
            seat = compound.committee_members.filter(
                role=CommitteeRole.CHAIR, user__isnull=True
            ).first()
            if seat is not None:
                committee_member_account_set(member=seat, user=result.user)
    return logins


def _claimant_login(compound: Compound) -> DemoLogin:
    """The applicant of the demo's pending claim (made by households.demo_claims): a
    resident-to-be who sees only their claim until the committee approves it."""
    return DemoLogin(
        CLAIMANT,
        Role.RESIDENT,
        f"{compound.name} · 认领待审核",
        reverse("my_claims"),
        "待审核的房屋认领（楼号1）；物管会批准后看到自己的房屋",
        "a pending ownership claim (building 1); their flat once the committee approves",
    )


def _seed_apps(compound: Compound, modules: Iterable[str]) -> dict[str, bool]:
    ran = {}
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise  # the module exists but something it imports does not
            ran[module_name] = False
            continue
        module.seed(compound)
        ran[module_name] = True
    return ran


@transaction.atomic
def seed_demo(*, apps: Iterable[str] | None = None) -> DemoResult:
    """Build (or confirm) the whole demo; running it again changes nothing.

    ``apps``: the apps' demo modules to run (default :data:`APP_SEEDS`; ``()`` builds
    only the register and the logins)."""
    compound = register_demo.seed_register()
    logins = _seed_logins(compound)
    app_seeds = _seed_apps(compound, APP_SEEDS if apps is None else apps)
    if app_seeds.get("households.demo_claims"):
        logins.append(_claimant_login(compound))
    return DemoResult(compound=compound, logins=logins, app_seeds=app_seeds)
