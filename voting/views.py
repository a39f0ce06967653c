"""Pages of owners' joint decisions: committee workflow, resident ballot, canvassing,
public notice and result."""

import io
from dataclasses import dataclass
from decimal import Decimal

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households.masking import mask_name
from portal.access import get_compound_for_user, is_staff_in
from portal.errors import errors_to_messages
from portal.exports import list_export, refuse_invalid, register_export
from portal.lists import (
    Filter,
    ListQuery,
    ListSpec,
    export_rows,
    paginate,
)
from portal.models import Compound
from portal.typing import AuthenticatedHttpRequest
from portal.xlsx import Sheet

from . import charts, selectors, services
from .access import (
    CANVASSERS,
    MANAGERS,
    decisions_for_user,
    get_building_for_user,
    get_decision_for_user,
    get_proxy_for_user,
    get_public_decision,
    get_roll_entry_by_number,
    get_roll_entry_for_user,
    may_create_decision,
    may_manage,
    may_see_tally,
    proxies_for_user,
)
from .forms import BALLOT_CHOICES, PAPER_CHOICES, CountForm, DecisionForm, ItemForm, ProxyForm
from .models import (
    Decision,
    DecisionState,
    PaperEntry,
    PaperEntryStatus,
    ReportStatus,
    RollEntry,
    RollUnit,
)
from .snapshot import PARTICIPANTS_PER_PAGE

PARTICIPANTS_SPEC = ListSpec(per_page=PARTICIPANTS_PER_PAGE)
# The longest receipt code there is (Ballot.receipt_code).
RECEIPT_MAX_CHARS = 16


@login_required
def decision_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code)
    decisions = selectors.decision_list(decisions_for_user(request.user, compound))
    return render(
        request,
        "voting/decision_list.html",
        {
            "compound": compound,
            "decisions": decisions,
            "may_create": may_create_decision(request.user, compound),
        },
    )


@login_required
def decision_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    compound = get_compound_for_user(request.user, code, MANAGERS)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.decision_create(
                compound=compound, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            errors_to_messages(request, exc)
        else:
            messages.success(request, _("已创建决定草稿，请添加表决事项"))
            _notice_warning(request, decision)
            return redirect(decision.get_absolute_url())
    return render(request, "voting/decision_form.html", {"compound": compound, "form": form})


def _notice_warning(request: HttpRequest, decision: Decision) -> None:
    """Say so on saving when the window leaves no time for the 15-day notice (BJ 35): the
    announcement would be refused."""
    if decision.voting_opens_at is None:
        return
    latest = decision.voting_opens_at - services.NOTICE_PERIOD
    if latest < timezone.now():
        messages.warning(
            request,
            _("投票开始时间距今不足15日，按北京条例第35条将无法公告；请推迟投票开始时间"),
        )
    else:
        messages.info(
            request,
            _("须在 %(latest)s 前公告 (北京条例第35条：公告之日起15日以后方可投票)")
            % {"latest": timezone.localtime(latest).strftime("%Y-%m-%d %H:%M")},
        )


@login_required
@require_POST
def decision_update(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> HttpResponse:
    """Change a draft's title, window and counting settings (refused once announced)."""
    decision = get_decision_for_user(request.user, code, decision_id, MANAGERS)
    form = DecisionForm(request.POST, prefix="decision")
    if not form.is_valid():
        errors_to_messages(request, form)
        return redirect(decision.get_absolute_url())
    try:
        decision = services.decision_update(
            decision=decision, actor=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
    else:
        messages.success(request, _("已保存决定草稿的设置"))
        _notice_warning(request, decision)
    return redirect(decision.get_absolute_url())


@login_required
def decision_detail(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> HttpResponse:
    decision = get_decision_for_user(request.user, code, decision_id)
    manage = may_manage(request.user, decision)
    context = {
        "compound": decision.compound,
        "decision": decision,
        "items": selectors.decision_items(decision),
        "manage": manage,
        "staff": is_staff_in(request.user, decision.compound),
        "procedure": selectors.procedure_record(decision),
        "reminder": selectors.publication_reminder(decision),
        "my_entries": list(selectors.roll_entries_for_user(decision, request.user)),
        "item_form": ItemForm(compound=decision.compound) if manage else None,
        "decision_form": (
            DecisionForm(instance=decision, prefix="decision")
            if manage and decision.is_editable
            else None
        ),
        "count_form": CountForm() if manage else None,
        "proxy_form": ProxyForm() if manage else None,
        "States": DecisionState,
        "ReportStatus": ReportStatus,
    }
    if decision.state != DecisionState.DRAFT:
        context["roll"] = selectors.roll_summary(decision)
    if may_see_tally(request.user, decision):
        context["tallies"] = selectors.decision_result(decision).items
    if manage:
        context["pending_count"] = selectors.pending_paper_entries(decision).count()
        context["review_count"] = selectors.review_queue(decision).count()
        context["proxies"] = proxies_for_user(request.user, decision)
    return render(request, "voting/decision_detail.html", context)


@login_required
@require_POST
def item_add(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> HttpResponse:
    decision = get_decision_for_user(request.user, code, decision_id, MANAGERS)
    form = ItemForm(request.POST, compound=decision.compound)
    if form.is_valid():
        try:
            services.item_add(
                decision=decision,
                actor=request.user,
                title=form.cleaned_data["title"],
                category=form.cleaned_data["category"],
                description=form.cleaned_data["description"],
                sets_fee_standard=form.cleaned_data["sets_fee_standard"],
                building_ids=[int(b) for b in form.cleaned_data["buildings"]],
            )
            messages.success(request, _("已添加表决事项"))
        except ValidationError as exc:
            errors_to_messages(request, exc)
    else:
        errors_to_messages(request, form)
    return redirect(decision.get_absolute_url())


ACTIONS = {
    "announce": (services.decision_announce, _("已公告，表决名册已冻结")),
    "open": (services.decision_open, _("已开始投票")),
    "close": (services.decision_close, _("投票已结束")),
    "publish": (services.decision_publish, _("计票结果已公布")),
}


@login_required
@require_POST
def decision_action(request: AuthenticatedHttpRequest, code: str, decision_id: int, action: str):
    decision = get_decision_for_user(request.user, code, decision_id, MANAGERS)
    if action not in ACTIONS:
        raise Http404
    service, done = ACTIONS[action]
    try:
        service(decision=decision, actor=request.user)
        messages.success(request, done)
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect(decision.get_absolute_url())


@login_required
@require_POST
def decision_count(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> HttpResponse:
    decision = get_decision_for_user(request.user, code, decision_id, MANAGERS)
    form = CountForm(request.POST)
    if form.is_valid():
        try:
            services.decision_count(decision=decision, actor=request.user, **form.cleaned_data)
            messages.success(request, _("已计票，请在3日内公布结果"))
        except ValidationError as exc:
            errors_to_messages(request, exc)
    else:
        messages.error(request, _("请完整填写计票记录：计票日期、地点和唱票、计票、监票人"))
    return redirect(decision.get_absolute_url())


@login_required
@require_POST
def proxy_register(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> HttpResponse:
    decision = get_decision_for_user(request.user, code, decision_id, MANAGERS)
    form = ProxyForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请填写名册序号、受托人姓名并上传授权委托书"))
        return redirect(decision.get_absolute_url())
    try:
        entry = get_roll_entry_by_number(request.user, decision, form.cleaned_data["voter_number"])
        holder = None
        if form.cleaned_data["holder_username"]:
            holder = services.proxy_holder_find(
                decision.compound, form.cleaned_data["holder_username"]
            )
        services.proxy_register(
            decision=decision,
            entry=entry,
            actor=request.user,
            holder_name=form.cleaned_data["holder_name"],
            holder_user=holder,
            authorisation=form.cleaned_data["authorisation"],
        )
        messages.success(request, _("已登记委托投票"))
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect(decision.get_absolute_url())


@login_required
@require_POST
def proxy_revoke(
    request: AuthenticatedHttpRequest, code: str, decision_id: int, proxy_id: int
) -> HttpResponse:
    decision = get_decision_for_user(request.user, code, decision_id, MANAGERS)
    proxy = get_proxy_for_user(request.user, decision, proxy_id)
    try:
        services.proxy_revoke(
            proxy=proxy, actor=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(
            request,
            _("已撤销名册序号 %(number)s 的委托投票") % {"number": proxy.entry.number},
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect(decision.get_absolute_url())


@login_required
def ballot(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> HttpResponse:
    """The resident's own ballot: one form per roll row they may vote for. It never shows
    anyone else's choice."""
    decision = get_decision_for_user(request.user, code, decision_id)
    entries = list(selectors.roll_entries_for_user(decision, request.user))
    if not entries:
        raise Http404
    items = selectors.decision_items(decision)
    if request.method == "POST":
        entry = next((e for e in entries if str(e.pk) == request.POST.get("entry")), None)
        if entry is None:
            raise Http404
        choices = {
            item.pk: request.POST[f"item_{item.pk}"]
            for item in items
            if request.POST.get(f"item_{item.pk}")
        }
        try:
            cast = services.ballot_cast(
                decision=decision, entry=entry, user=request.user, choices=choices
            )
            messages.success(
                request,
                _("投票成功。回执码：%(codes)s（请保存，用于核对选票已计入）")
                % {"codes": "、".join(b.receipt_code for b in cast)},
            )
        except ValidationError as exc:
            errors_to_messages(request, exc)
        return redirect("voting:ballot", code, decision.pk)
    own = selectors.own_ballots(decision, entries)
    is_open = decision.is_open_at(timezone.now())
    rows = []
    for entry in entries:
        entry_units = {u.building_id for u in entry.units.all()}
        entry_items = []
        for item in items:
            scope = selectors.item_scope(item)
            if scope is not None and not entry_units & set(scope):
                continue
            entry_items.append((item, own.get((entry.pk, item.pk))))
        all_cast = all(mine is not None for _item, mine in entry_items)
        # The form only while something can still be cast (or changed): once every item
        # has this voter's ballot, or voting is over, the page shows the receipts instead.
        may_vote = (
            is_open and bool(entry_items) and (not all_cast or decision.allow_changes_until_close)
        )
        rows.append((entry, entry_items, may_vote, all_cast and bool(entry_items)))
    return render(
        request,
        "voting/ballot.html",
        {
            "compound": decision.compound,
            "decision": decision,
            "rows": rows,
            "choices": BALLOT_CHOICES,
            "is_open": is_open,
        },
    )


PAPER_LIST = ListSpec(per_page=50)
REVIEW_LIST = ListSpec(per_page=25)


def _building_filter(decision: Decision) -> Filter:
    """The buildings of the decision's compound, by id (one query)."""
    buildings = decision.compound.buildings.order_by("sort_key", "number")
    return Filter("building", _("楼栋"), [(str(b.pk), b.label) for b in buildings])


def _chosen_id(query: ListQuery, name: str) -> int | None:
    """A validated filter's value as an id (its choices are ids), or None for all."""
    value = query.filters[name]
    return int(value) if value else None


def _voter(entry: RollEntry) -> str:
    """The voter as voting lists show them: masked (张*), never whole."""
    return mask_name(entry.owner.name) if entry.owner else ""


def _export_decision(compound: Compound, user, params, roles) -> Decision:
    """For a list's export build: the decision the URL named, if ``user`` still may."""
    decision_id = str(params.get("decision_id", ""))
    if not decision_id.isdigit():
        raise Http404
    return get_decision_for_user(user, compound.code, int(decision_id), roles)


def _paper_list(decision: Decision, params) -> tuple[ListQuery, QuerySet[PaperEntry]]:
    """The keyings list's query and rows (the page and its export share it)."""
    query = ListQuery.from_params(
        params,
        PAPER_LIST,
        [
            _building_filter(decision),
            Filter("status", _("录入状态"), PaperEntryStatus.choices),
        ],
    )
    keyed = selectors.paper_entries(
        decision,
        search=query.search,
        building_id=_chosen_id(query, "building"),
        status=query.filters["status"],
    )
    return query, keyed


def paper_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    """The keyings without their choices: a file of who keyed which ballot, never how
    anyone voted."""
    decision = _export_decision(compound, user, params, MANAGERS)
    query, keyed = _paper_list(decision, params)
    refuse_invalid(query)

    def cells(paper: PaperEntry) -> list[object]:
        return [
            paper.entry.number,
            paper.entry.units_label,
            _voter(paper.entry),
            paper.get_status_display(),
            paper.entered_by.username,
            timezone.localtime(paper.created_at).replace(tzinfo=None),
        ]

    headers = [_("名册序号"), _("房屋"), _("业主"), _("录入状态"), _("录入人"), _("录入时间")]
    stem = _("书面选票录入记录")
    return _decision_filename(stem, decision), [
        Sheet(stem, headers, export_rows(keyed, cells), text_columns=[1, 2])
    ]


register_export("voting.paper_entries", paper_export)


def _decision_filename(stem: str, decision: Decision) -> str:
    return f"{stem}-{decision.compound.code}-{decision.pk}-{timezone.localdate():%Y%m%d}.xlsx"


@login_required
def paper_entry(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> HttpResponseBase:
    """Double entry of paper ballots: scan or type the ballot code, key the choices."""
    decision = get_decision_for_user(request.user, code, decision_id, MANAGERS)
    items = selectors.decision_items(decision)
    if request.method == "POST":
        choices = {item.pk: request.POST.get(f"item_{item.pk}", "") for item in items}
        try:
            paper = services.paper_entry_record(
                decision=decision,
                ballot_code=request.POST.get("ballot_code", ""),
                actor=request.user,
                choices=choices,
            )
            messages.success(request, paper.get_status_display())
        except ValidationError as exc:
            errors_to_messages(request, exc)
        return redirect("voting:paper_entry", code, decision.pk)
    query, keyed = _paper_list(decision, request.GET)
    if query.wants_export and (
        response := list_export(
            request,
            decision.compound,
            "voting.paper_entries",
            query,
            keyed,
            decision_id=decision.pk,
        )
    ):
        return response
    page = paginate(keyed, query)
    return render(
        request,
        "voting/paper_entry.html",
        {
            "compound": decision.compound,
            "decision": decision,
            "items": items,
            "choices": PAPER_CHOICES,
            "prefill": request.GET.get("code", "")[:32],
            "list": page,
            "keyings": [(paper, _voter(paper.entry)) for paper in page.rows],
            "export_label": _("导出录入记录 XLSX（全部筛选结果）"),
        },
        status=query.status,
    )


@login_required
def review_queue(
    request: AuthenticatedHttpRequest, code: str, decision_id: int
) -> HttpResponseBase:
    decision = get_decision_for_user(request.user, code, decision_id, MANAGERS)
    items = selectors.decision_items(decision)
    if request.method == "POST":
        entry = get_roll_entry_for_user(request.user, decision, request.POST.get("entry"))
        choices = {item.pk: request.POST.get(f"item_{item.pk}", "") for item in items}
        try:
            services.paper_entry_resolve(
                decision=decision, entry=entry, actor=request.user, choices=choices
            )
            messages.success(request, _("已按纸质选票复核并计入"))
        except ValidationError as exc:
            errors_to_messages(request, exc)
        return redirect("voting:review", code, decision.pk)
    query, entries = _review_list(decision, request.GET)
    if query.wants_export and (
        response := list_export(
            request, decision.compound, "voting.review", query, entries, decision_id=decision.pk
        )
    ):
        return response
    page = paginate(entries, query)
    titles = {str(item.pk): item.title for item in items}
    return render(
        request,
        "voting/review.html",
        {
            "compound": decision.compound,
            "decision": decision,
            "items": items,
            "titles": titles,
            "choices": PAPER_CHOICES,
            "list": page,
            "queue": [(entry, _voter(entry), entry.mismatches) for entry in page.rows],
            "export_label": _("导出复核清单 XLSX（全部筛选结果）"),
        },
        status=query.status,
    )


def _review_list(decision: Decision, params) -> tuple[ListQuery, QuerySet[RollEntry]]:
    """The review queue's query and rows (the page and its export share it)."""
    query = ListQuery.from_params(params, REVIEW_LIST, [_building_filter(decision)])
    entries = selectors.review_entries(
        decision, search=query.search, building_id=_chosen_id(query, "building")
    )
    return query, entries


def review_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    """The ballots to pull from the box and review: voter number, units and who keyed them
    (never the keyed choices)."""
    decision = _export_decision(compound, user, params, MANAGERS)
    query, entries = _review_list(decision, params)
    refuse_invalid(query)

    def cells(entry: RollEntry) -> list[object]:
        keyed_by = "、".join(p.entered_by.username for p in entry.mismatches)  # type: ignore[attr-defined]
        return [entry.number, entry.units_label, _voter(entry), keyed_by]

    headers = [_("名册序号"), _("房屋"), _("业主"), _("录入人")]
    stem = _("复核清单")
    return _decision_filename(stem, decision), [
        Sheet(stem, headers, export_rows(entries, cells), text_columns=[1, 2])
    ]


register_export("voting.review", review_export)


TURNOUT_LIST = ListSpec(per_page=100)


def _voted_choices() -> list[tuple[str, str]]:
    return [("no", _("未投票")), ("yes", _("已投票"))]


@login_required
def turnout(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> HttpResponseBase:
    """Live turnout per building and the turnout list of the roll's units (扫楼: filter
    "not voted"), a page at a time, searchable, filtered by item, building and voted, and
    exported whole as XLSX for volunteers to work through. A constant number of queries
    whatever the size of the roll."""
    decision = get_decision_for_user(request.user, code, decision_id, CANVASSERS)
    query, units, items, item, overview = _turnout_list(decision, request.GET)
    chosen_building = query.filters["building"]
    if query.wants_export and (
        response := list_export(
            request, decision.compound, "voting.turnout", query, units, decision_id=decision.pk
        )
    ):
        return response
    # Counted from the kept turnout per building, read from the buildings it spans.
    page = selectors.turnout_page(
        units,
        query,
        overview.kept,
        building_id=int(chosen_building) if chosen_building else None,
        voted=query.filters["voted"],
    )
    rows = overview.rows
    return render(
        request,
        "voting/turnout.html",
        {
            "compound": decision.compound,
            "decision": decision,
            "items": items,
            "item": item,
            "rows": rows,
            "chart": charts.turnout_chart(rows),
            "building": next((r for r in rows if str(r.building_id) == chosen_building), None),
            "list": page,
            "canvass": [_canvass_row(unit) for unit in page.rows],
            "summary": overview.summary,
            "export_label": _("导出扫楼名单 XLSX（全部筛选结果）"),
        },
        status=query.status,
    )


def _turnout_list(decision: Decision, params) -> tuple:
    """The turnout list's query and units, with what the page shows around them: the
    items, the chosen item and its scope's turnout (the page and its export share it)."""
    items = selectors.decision_items(decision)
    item_filter = Filter(
        "item", _("表决事项"), [(str(i.pk), f"{i.position}. {i.title}") for i in items]
    )
    # The item decides the scope, and the scope the buildings one may filter by.
    chosen = ListQuery.from_params(params, TURNOUT_LIST, [item_filter]).filters["item"]
    item = next((i for i in items if str(i.pk) == chosen), None)
    scope = selectors.turnout_scope(decision, *([item] if item else []))
    overview = selectors.turnout_overview(decision, scope)
    rows = overview.rows
    query = ListQuery.from_params(
        params,
        TURNOUT_LIST,
        [
            item_filter,
            Filter("building", _("楼栋"), [(str(r.building_id), r.label) for r in rows]),
            Filter("voted", _("投票情况"), _voted_choices()),
        ],
    )
    chosen_building = query.filters["building"]
    units = selectors.turnout_units(
        decision,
        scope,
        search=query.search,
        building_id=int(chosen_building) if chosen_building else None,
        voted=query.filters["voted"],
    )
    return query, units, items, item, overview


def turnout_export(compound: Compound, user, params) -> tuple[str, list[Sheet]]:
    decision = _export_decision(compound, user, params, CANVASSERS)
    query, units, *_shown = _turnout_list(decision, params)
    refuse_invalid(query)
    return _turnout_file(decision, units)


register_export("voting.turnout", turnout_export)


@dataclass(frozen=True)
class CanvassLine:
    """A roll unit as the turnout list shows and exports it: never a choice, the voter's
    name masked (张*)."""

    building: str
    unit: str
    voter: str
    area: int | None
    voted: bool
    ownerless: bool

    @property
    def status(self) -> str:
        if self.ownerless:
            return _("无登记业主")
        return _("已投票") if self.voted else _("未投票")


def _canvass_row(unit: RollUnit) -> CanvassLine:
    owner = unit.entry.owner
    return CanvassLine(
        building=unit.building.label,
        unit=unit.unit_label,
        voter=mask_name(owner.name) if owner else "",
        area=unit.area,
        voted=bool(unit.has_voted),  # type: ignore[attr-defined]
        ownerless=owner is None,
    )


def _turnout_file(decision: Decision, units: QuerySet[RollUnit]) -> tuple[str, list[Sheet]]:
    def cells(unit: RollUnit) -> list[object]:
        line = _canvass_row(unit)
        area = None if line.area is None else Decimal(line.area) / 100
        return [line.building, line.unit, line.voter, area, line.status]

    headers = [_("楼栋"), _("房屋"), _("业主"), _("面积 (m²)"), _("投票情况")]
    stem = _("扫楼名单")
    return _decision_filename(stem, decision), [
        Sheet(stem, headers, export_rows(units, cells), text_columns=[0, 1, 2])
    ]


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=6)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


@login_required
def ballot_sheets(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> HttpResponse:
    """Printable paper ballots of one building: per voter the ballot code and its QR, the
    items in scope; the QR opens the paper-entry page with the code filled in."""
    decision = get_decision_for_user(request.user, code, decision_id, MANAGERS)
    if decision.state == DecisionState.DRAFT:
        raise Http404
    building = get_building_for_user(request.user, decision, request.GET.get("building"))
    paper_url = settings.SITE_URL.rstrip("/") + reverse(
        "voting:paper_entry", args=[decision.compound.code, decision.pk]
    )
    sheets = [
        (sheet, _qr_svg(f"{paper_url}?code={sheet.entry.ballot_code}"))
        for sheet in selectors.ballot_sheets(decision, building.pk)
    ]
    return render(
        request,
        "voting/ballot_sheets.html",
        {
            "compound": decision.compound,
            "decision": decision,
            "building": building,
            "sheets": sheets,
        },
    )


@login_required
@require_POST
def report_request(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> HttpResponse:
    decision = get_decision_for_user(request.user, code, decision_id, MANAGERS)
    try:
        services.tally_report_request(decision=decision, actor=request.user)
        messages.success(request, _("计票结果报告正在生成"))
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect(decision.get_absolute_url())


@login_required
def report_download(request: AuthenticatedHttpRequest, code: str, decision_id: int) -> FileResponse:
    decision = get_decision_for_user(request.user, code, decision_id)
    if not may_see_tally(request.user, decision) or not decision.report_file:
        raise Http404
    return FileResponse(
        decision.report_file.open("rb"),
        content_type="application/pdf",
        filename=f"计票结果-{decision.pk}.pdf",
    )


# --- public pages (no login; unit numbers and areas only) -----------------------------------


def public_notice(request: HttpRequest, code: str, decision_id: int) -> HttpResponse:
    """公告: the agenda as announced, for anyone (BJ 35)."""
    decision = get_public_decision(
        code,
        decision_id,
        [s for s in DecisionState if s != DecisionState.DRAFT],
    )
    return render(
        request,
        "voting/public_notice.html",
        {
            "compound": decision.compound,
            "decision": decision,
            "items": selectors.decision_items(decision),
            "roll": selectors.roll_summary(decision),
        },
    )


def public_result(request: HttpRequest, code: str, decision_id: int) -> HttpResponse:
    """The published result: the tally, per participating voter the unit numbers and area
    (never names or ID numbers), and a receipt-code check that reveals no choice."""
    decision = get_public_decision(code, decision_id, [DecisionState.PUBLISHED])
    receipt = request.GET.get("receipt", "").strip()
    counted = None
    if receipt:
        # No receipt code is that long: not found, without a query (and not echoed whole).
        too_long = len(receipt) > RECEIPT_MAX_CHARS
        counted = [] if too_long else selectors.receipt_counted(decision, receipt)
        receipt = receipt[:RECEIPT_MAX_CHARS]
    # Validated as every list (portal.lists): a bad value is said and ignored, a page past
    # the end shows the last. Unfiltered, the certified page starts give any page at once;
    # a search (building or unit number, never a name) pages the few rows it finds.
    query = ListQuery.from_request(request, PARTICIPANTS_SPEC, [_building_filter(decision)])
    if query.is_filtered or query.per_page != PARTICIPANTS_PER_PAGE:
        found = selectors.participants_found(
            decision, search=query.search, building_id=_chosen_id(query, "building")
        )
        listed = paginate(found, query)
        page = selectors.ParticipantsPage(listed.rows, listed.number, listed.num_pages)
    else:
        number = min(query.page, selectors.participant_pages(decision))
        page = selectors.participants_page(decision, number)
    return render(
        request,
        "voting/public_result.html",
        {
            "compound": decision.compound,
            "decision": decision,
            "tallies": selectors.decision_result(decision).items,
            "participants": page.rows,
            "page": page,
            "page_errors": query.errors,
            "query": query,
            "receipt": receipt,
            "counted": counted,
        },
        status=query.status,
    )
