"""What bringing a compound on board (接管新小区) still lacks, read from the data itself.

There is no wizard state to keep in step with the register: each step is done when the
register says so (a company with its collection account, buildings, a roster, a lawful
committee), so a step finished on another page, or undone there, shows here at once.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.models import Compound

from .models import Committee


@dataclass(frozen=True)
class Step:
    """One line of the checklist: done or not, why not, and where to do it."""

    key: str
    title: str | Promise
    done: bool
    url: str
    summary: str = ""
    missing: list[str] = field(default_factory=list)
    optional: bool = False


def latest_committee(compound: Compound) -> Committee | None:
    return compound.committees.order_by("-formed_on", "-id").first()


def onboarding_steps(compound: Compound) -> list[Step]:
    """The checklist of ``compound`` in the order the work is done (a few queries,
    whatever the size of the register)."""
    code = compound.code
    counts = compound.units.aggregate(
        units=Count("id", distinct=True),
        owned=Count("id", filter=Q(ownerships__valid_to__isnull=True), distinct=True),
    )
    buildings = compound.buildings.count()
    property_units = compound.property_right_units.count()
    company = compound.service_company
    committee = latest_committee(compound)

    company_missing: list[str] = []
    if company is None:
        company_missing.append(str(_("尚未选定物业服务企业")))
    else:
        if not company.legal_name:
            company_missing.append(str(_("缺少法定全称（合同使用）")))
        if not (company.bank_account_name and company.bank_name and company.bank_account_number):
            company_missing.append(str(_("缺少收款账户（收费通知单打印）")))

    committee_missing: list[str] = []
    members = 0
    if committee is None:
        committee_missing.append(str(_("尚未组建物业管理委员会")))
    else:
        members = committee.members.count()
        committee_missing = [str(p) for p in committee.composition_problems()]

    return [
        Step(
            "compound",
            _("小区基本信息"),
            True,
            compound.get_absolute_url(),
            summary=f"{compound.name} · {compound.code}",
        ),
        Step(
            "company",
            _("物业服务企业"),
            not company_missing,
            reverse("onboarding_company", args=[code]),
            summary=company.name if company else "",
            missing=company_missing,
        ),
        Step(
            "buildings",
            _("楼栋与平房区"),
            buildings > 0,
            reverse("onboarding_buildings", args=[code]),
            summary=str(_("%(n)d 栋") % {"n": buildings}),
            missing=[] if buildings else [str(_("尚未登记楼栋（可从名册文件中读取）"))],
        ),
        Step(
            "property_right_units",
            _("产权单位"),
            property_units > 0,
            reverse("property_right_units", args=[code]),
            summary=str(_("%(n)d 个") % {"n": property_units}),
            optional=True,
        ),
        Step(
            "roster",
            _("业主名册"),
            counts["owned"] > 0,
            reverse("roster_import", args=[code]),
            summary=str(
                _("%(units)d 户，其中 %(owned)d 户已登记业主")
                % {"units": counts["units"], "owned": counts["owned"]}
            ),
            missing=[] if counts["owned"] else [str(_("尚未导入名册"))],
        ),
        Step(
            "committee",
            _("物业管理委员会"),
            committee is not None and not committee_missing,
            reverse("onboarding_committee", args=[code]),
            summary=str(_("%(n)d 名委员") % {"n": members}) if committee else "",
            missing=committee_missing,
        ),
    ]


def onboarding_done(steps: list[Step]) -> bool:
    """Every step done but the optional ones (a compound without property-right units)."""
    return all(step.done or step.optional for step in steps)
