"""Long lists people work with (units, owners, arrears, payments, turnout, ballots): one
page at a time, a search, validated filters, and the whole filtered list as XLSX.

Every list page does the same constant work whatever the list's length: one ``COUNT``,
one query for the page's rows, and the small lookups the page needs (its filters'
choices, a prefetch per relation shown). An export walks the same filtered queryset in
chunks (:data:`EXPORT_CHUNK` rows per query, prefetches per chunk) into a write-only
workbook on disk, up to :data:`EXPORT_MAX_ROWS` rows.

API (apps build on these; extend, do not change)::

    SPEC = ListSpec(per_page=50)                      # module level, once per list

    def units_page(request, code):
        compound = get_compound_for_user(...)
        query = ListQuery.from_request(request, SPEC, filters=[
            Filter("building", _("楼栋"), [(b.number, b.label) for b in buildings]),
            Filter("kind", _("类型"), BuildingKind.choices),
        ])                                            # never raises: see query.errors
        units = selectors.register_units(compound, search=query.search, **query.filters)
        if query.wants_export and not (refusal := export_too_large(units)):
            return export_response("房屋.xlsx", Sheet(_("房屋"), HEADERS,
                                   export_rows(units, row_of_unit)))
        # (a refusal goes into query.errors: the page answers 400 and says why)
        page = paginate(units, query)                 # COUNT + one page of rows
        # (deferred=True for a long list ordered by indexed columns and the pk: the
        # page's keys first, from the nearer end, then its rows: see paginate)
        # or, for a list in groups (units by building), sorting only the page's groups:
        # page = paginate_groups(query, counts_per_group, fetch_rows_of_groups)
        return render(request, "...", {"list": page}, status=query.status)

and in the template ``{% include "portal/_list_controls.html" %}`` above the table and
``{% include "portal/_list_pager.html" %}`` below it (both read ``list``).

Query parameters (all optional, all validated; a bad one is named in ``query.errors``,
the page answers 400 and shows the list as if the parameter were absent):

``q``
    the search, see :func:`parse_search`;
``page``
    1 or more; past the last page gives the last page (``page.clamped``);
``per_page``
    one of :data:`PER_PAGE_CHOICES`;
``export=xlsx``
    the whole filtered list as a file instead of the page;
each :class:`Filter`'s name
    one of its choices' values, or empty for "all".

The search ``q`` (:func:`parse_search`), after full-width forms are folded (３号楼 → 3号楼)
and spaces collapsed, at most :data:`MAX_SEARCH_CHARS` characters:

``3号楼``, ``3号``, ``3栋``, ``3幢``, ``3座``, ``3#``
    building 3 (also a building registered as "3号楼" or "3#");
``3号楼 3-1802``, ``3号楼3-1802``, ``3 3-1802``
    building 3, unit numbers containing "3-1802";
``张*``, ``张**``
    owners whose name starts with 张: the masked form a list shows. People who see only
    masked names can search only by what they see: the first character;
anything else (``3-1802``, ``1802``, ``平房一区``, ``张三``)
    a building of that number, or a unit number containing it, or (for people who may
    see names) an owner name containing it.

The caller turns a :class:`Search` into a ``Q`` over its own fields with
:meth:`Search.q`, so fees and voting lists search the same way over their own rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from django.core.paginator import Paginator
from django.db.models import Model, Q, QuerySet
from django.http import FileResponse, HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .xlsx import Sheet, xlsx_file_response

PER_PAGE_CHOICES: Final = (25, 50, 100, 200)
MAX_SEARCH_CHARS: Final = 50
MAX_PARAM_CHARS: Final = 64
EXPORT_CHUNK: Final = 2000
EXPORT_MAX_ROWS: Final = 100_000
EXPORT_VALUE: Final = "xlsx"

M = TypeVar("M", bound=Model)
K = TypeVar("K")

_SPACES = re.compile(r"\s+")
# "3号楼 3-1802": a building marker after the number, then optionally the unit number.
_BUILDING_MARKED = re.compile(
    r"^(?P<building>[^\s*]+?)\s*(?P<marker>号楼|号|栋|幢|座|#)\s*(?P<unit>[^\s*]*)$"
)
# "3 3-1802": two words, the first a building number.
_TWO_WORDS = re.compile(r"^(?P<building>[^\s*]+)\s(?P<unit>[^\s*]+)$")
_MASKED_NAME = re.compile(r"^(?P<prefix>[^\s*]+)\*+$")

# A label shown to people: text, or lazily translated text (model choices' labels).
Label = str | Promise

# A name lookup: given a lookup suffix ("startswith", "icontains") and a value, the Q that
# finds rows with such an owner. A plain field path ("owner__name") does for rows with one
# owner; rows with several (a unit) pass a function building an Exists().
NameLookup = str | Callable[[str, str], Q]


class ListParamError(ValueError):
    """A query parameter refused, with the message to show (Chinese source)."""


@dataclass(frozen=True)
class Search:
    """What ``q`` asks for (see :func:`parse_search`). Falsy when nothing was asked."""

    text: str = ""
    buildings: tuple[str, ...] = ()
    unit: str = ""
    name_prefix: str = ""

    def __bool__(self) -> bool:
        return bool(self.text)

    def q(
        self,
        *,
        building: str | None,
        unit: str | None,
        name: NameLookup | None,
        names_visible: bool,
    ) -> Q:
        """The filter over the caller's rows: ``building`` and ``unit`` are field paths to
        the 楼号 and 房号 (None where the list has none), ``name`` the owner's name (see
        :data:`NameLookup`). ``names_visible``: False for those who see names masked, so
        a search cannot reveal more of a name than its first character."""
        if not self:
            return Q()
        if self.name_prefix:
            prefix = self.name_prefix if names_visible else self.name_prefix[:1]
            return _name_q(name, "startswith", prefix) if name else Q(pk__in=[])
        if self.buildings:
            found = Q(**{f"{building}__in": self.buildings}) if building else Q(pk__in=[])
            if self.unit:
                found &= Q(**{f"{unit}__icontains": self.unit}) if unit else Q(pk__in=[])
            return found
        alternatives = Q(pk__in=[])
        if building:
            alternatives |= Q(**{building: self.text})
        if unit:
            alternatives |= Q(**{f"{unit}__icontains": self.text})
        if name and names_visible:
            alternatives |= _name_q(name, "icontains", self.text)
        return alternatives


def _name_q(name: NameLookup, lookup: str, value: str) -> Q:
    if callable(name):
        return name(lookup, value)
    return Q(**{f"{name}__{lookup}": value})


def parse_search(raw: str) -> Search:
    """``q`` as a :class:`Search` (forms in the module's docstring); raises
    :class:`ListParamError` for a search longer than :data:`MAX_SEARCH_CHARS`."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", raw)).strip()
    if len(text) > MAX_SEARCH_CHARS:
        raise ListParamError(_("搜索词过长：最多 %(n)d 个字符。") % {"n": MAX_SEARCH_CHARS})
    if not text:
        return Search()
    if masked := _MASKED_NAME.match(text):
        return Search(text=text, name_prefix=masked["prefix"])
    if marked := _BUILDING_MARKED.match(text):
        number = marked["building"]
        return Search(
            text=text,
            buildings=(number, number + marked["marker"]),
            unit=marked["unit"],
        )
    if words := _TWO_WORDS.match(text):
        return Search(text=text, buildings=(words["building"],), unit=words["unit"])
    return Search(text=text.replace("*", ""))


@dataclass(frozen=True)
class Filter:
    """One select of a list: query parameter ``name``, shown as ``label``, with the values
    it accepts and their labels. Empty means "all"; anything not a choice is refused."""

    name: str
    label: Label
    choices: Sequence[tuple[str, Label]]
    value: str = ""

    def choice_label(self) -> str:
        return next((str(label) for v, label in self.choices if v == self.value), "")


@dataclass(frozen=True)
class ListSpec:
    """The fixed part of a list: its default page size."""

    per_page: int = 50

    def __post_init__(self) -> None:
        if self.per_page not in PER_PAGE_CHOICES:
            raise ValueError(f"per_page must be one of {PER_PAGE_CHOICES}")


@dataclass
class ListQuery:
    """A list's query parameters, validated. Bad values are left at their defaults and
    their messages collected in ``errors`` (the page answers 400 and says why)."""

    spec: ListSpec
    search: Search = field(default_factory=Search)
    filter_list: list[Filter] = field(default_factory=list)
    page: int = 1
    per_page: int = 50
    wants_export: bool = False
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_request(
        cls, request: HttpRequest, spec: ListSpec, filters: Iterable[Filter] = ()
    ) -> ListQuery:
        return cls.from_params(request.GET, spec, filters)

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], spec: ListSpec, filters: Iterable[Filter] = ()
    ) -> ListQuery:
        query = cls(spec=spec, per_page=spec.per_page)
        try:
            query.search = parse_search(str(params.get("q", "")))
        except ListParamError as exc:
            query.errors.append(str(exc))
        for spec_filter in filters:
            raw = str(params.get(spec_filter.name, ""))[: MAX_PARAM_CHARS + 1]
            if raw and raw not in {value for value, _label in spec_filter.choices}:
                message = _("筛选条件“%(label)s”的值无效，已显示全部。")
                query.errors.append(message % {"label": str(spec_filter.label)})
                raw = ""
            query.filter_list.append(
                Filter(spec_filter.name, spec_filter.label, spec_filter.choices, raw)
            )
        page = _whole_number(params.get("page"), default=1)
        if page is None or page < 1:
            query.errors.append(_("页码须为正整数，已显示第 1 页。"))
        else:
            query.page = page
        per_page = _whole_number(params.get("per_page"), default=spec.per_page)
        if per_page not in PER_PAGE_CHOICES:
            query.errors.append(
                _("每页条数须为 %(choices)s 之一。")
                % {"choices": "、".join(str(n) for n in PER_PAGE_CHOICES)}
            )
        else:
            query.per_page = per_page
        export = str(params.get("export", ""))
        if export and export != EXPORT_VALUE:
            query.errors.append(_("导出格式只能是 xlsx。"))
        query.wants_export = export == EXPORT_VALUE
        return query

    @property
    def filters(self) -> dict[str, str]:
        """The chosen filter values by name (an unchosen filter: empty string)."""
        return {f.name: f.value for f in self.filter_list}

    @property
    def status(self) -> int:
        return 400 if self.errors else 200

    @property
    def is_filtered(self) -> bool:
        return bool(self.search) or any(f.value for f in self.filter_list)


def _whole_number(raw: object, *, default: int) -> int | None:
    """``default`` for absent or empty, the number for a whole number of up to 9 digits,
    else None (so a 10,000-digit page never reaches ``int()``)."""
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    return int(text)


class PageNumbers:
    """What a pager asks of page ``number`` of ``num_pages`` (1-based), as Django's
    ``Page`` answers it; the page classes mixing it in are dataclasses holding both."""

    number: int
    num_pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


@dataclass
class ListPage(PageNumbers):
    """One page of a list, and what the controls and the pager show."""

    query: ListQuery
    rows: list[Any]
    count: int
    number: int
    num_pages: int
    clamped: bool = False

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.query.per_page + 1 if self.count else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.rows) - 1 if self.count else 0

    @property
    def export_bound(self) -> int:
        return EXPORT_MAX_ROWS

    @property
    def per_page_choices(self) -> tuple[int, ...]:
        return PER_PAGE_CHOICES


def paginate(queryset: QuerySet[M], query: ListQuery, *, deferred: bool = False) -> ListPage:
    """The page ``query`` asks for: one COUNT and one query for its rows (plus the
    queryset's prefetches). A page past the end gives the last page.

    ``deferred``: for a long list ordered by indexed columns ending with the primary key
    (owners by name, pk): the page's primary keys are read first, in the list's order
    without its joins (an index scan that skips to the page), from whichever end of the
    list is nearer (the order reversed for the later half, so the last page reads like
    the first), then the page's rows by those keys: one query more, and an ``OFFSET``
    over at most half the list's keys instead of its whole rows."""
    paginator = Paginator(queryset, query.per_page, allow_empty_first_page=True)
    number = min(query.page, paginator.num_pages)
    if deferred:
        rows = _deferred_rows(queryset, paginator.count, number, query.per_page)
    else:
        rows = list(paginator.page(number).object_list)
    return ListPage(
        query=query,
        rows=rows,
        count=paginator.count,
        number=number,
        num_pages=paginator.num_pages,
        clamped=number != query.page,
    )


def _deferred_rows(queryset: QuerySet[M], count: int, number: int, per_page: int) -> list[M]:
    """Rows ``(number - 1) * per_page`` to ``number * per_page`` of ``queryset``: their
    primary keys from the nearer end of the list, then the rows themselves."""
    order = queryset.query.order_by
    if not order or order[-1] not in ("pk", "-pk", "id", "-id"):
        raise ValueError("a deferred page needs an order ending with the primary key")
    start, end = (number - 1) * per_page, min(number * per_page, count)
    if start >= end:
        return []
    keys = queryset.prefetch_related(None).values_list("pk", flat=True)
    if count - end < start:
        ids = list(keys.reverse()[count - end : count - start])[::-1]
    else:
        ids = list(keys[start:end])
    found = {row.pk: row for row in queryset.filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def paginate_groups(
    query: ListQuery,
    counts: Iterable[tuple[K, int]],
    fetch: Callable[[list[K], int, int], Iterable[Any]],
) -> ListPage:
    """The page ``query`` asks for, of a list made of groups in a known order (a
    compound's units by building), so a page never sorts the whole list: ``counts`` are
    the groups' row counts in list order (one aggregate query, e.g. ``GROUP BY
    building_id``); ``fetch(groups, skip, limit)`` returns the page's rows from just the
    groups it spans (skip ``skip`` rows of the first). What :func:`paginate` gives, in
    the same number of queries (the aggregate replaces the COUNT)."""
    counts = list(counts)
    total = sum(n for _key, n in counts)
    per_page = query.per_page
    num_pages = max(1, -(-total // per_page))
    number = min(query.page, num_pages)
    start, seen, skip = (number - 1) * per_page, 0, 0
    groups: list[K] = []
    for key, n in counts:
        if seen + n > start and n:
            if not groups:
                skip = start - seen
            groups.append(key)
        seen += n
        if seen >= start + per_page:
            break
    return ListPage(
        query=query,
        rows=list(fetch(groups, skip, per_page)) if groups else [],
        count=total,
        number=number,
        num_pages=num_pages,
        clamped=number != query.page,
    )


def export_rows(
    queryset: QuerySet[M], row: Callable[[M], Sequence[object]]
) -> Iterator[Sequence[object]]:
    """The rows of the whole filtered ``queryset`` for a :class:`portal.xlsx.Sheet`,
    read :data:`EXPORT_CHUNK` at a time (prefetches run per chunk), never more than
    :data:`EXPORT_MAX_ROWS` (check :func:`export_too_large` first)."""
    for index, obj in enumerate(queryset.iterator(chunk_size=EXPORT_CHUNK)):
        if index >= EXPORT_MAX_ROWS:
            return
        yield row(obj)


def export_too_large(queryset: QuerySet[Any]) -> str:
    """The message refusing an export over :data:`EXPORT_MAX_ROWS` rows, or ""."""
    count = queryset.count()
    if count > EXPORT_MAX_ROWS:
        return _("导出最多 %(max)d 行，当前筛选结果有 %(count)d 行，请先缩小筛选范围。") % {
            "max": EXPORT_MAX_ROWS,
            "count": count,
        }
    return ""


def export_response(filename: str, *sheets: Sheet) -> FileResponse:
    """The download of the whole filtered list: written to a temporary file row by row and
    streamed from it, so memory does not grow with the list."""
    return xlsx_file_response(filename, *sheets)
