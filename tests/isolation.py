"""Tenant isolation, tested by walking every URL of the project.

``tests/portal/test_isolation.py`` enumerates every URL pattern of the URLconf
(``django.urls.get_resolver()``, recursively: pages, API, public pages and whatever routes
an app adds later), fills each pattern's kwargs with values that belong to the HOME
compound of the cast, and requests it as each outsider (``outsider_compound``,
``outsider_office``, ``outsider_resident``, ``outsider_district``: an officer of another
district, :data:`OUTSIDERS`) and anonymously. A test fails when any answer
shows home data (owners' names, ID numbers and phones, raw or masked, the compound's name
and address), when a home URL answers an outsider with anything but a refusal (404/403/401,
405, or a redirect to the login page: "forbidden looks like absent"), or when a POST to a
home URL is not refused before validation. Pages under ``public/`` may answer anyone but
must carry nobody's personal data. Routes naming objects under a compound are also asked
for by ``outsider_compound`` with ITS OWN compound's code and the home objects' ids (the
"checked the compound, fetched the object by id alone" bug): no home data may come back.
Only the routes in :data:`SKIPPED` are not walked.

How a new app registers its URL kwargs
--------------------------------------
A URL kwarg with no resolver FAILS the walk (so no route escapes it). Put the app's
resolvers in ``tests/<app>/isolation.py`` (or ``tests/isolation_<app>.py``); every such
module is imported automatically before the walk::

    from tests.isolation import per_cast, register_kwarg, register_markers, register_query

    @per_cast  # one decision per cast, shared by every kwarg that needs it
    def home_decision(cast):
        # A row of the HOME compound (create it if the cast has none). It must make the
        # route answer 200 to at least one insider, or the reachability test fails.
        return make_decision(compound=cast.compound)

    register_kwarg("decision_id", lambda cast: home_decision(cast).pk)
    register_kwarg("item_id", lambda cast: home_decision(cast).items.first().pk)
    # A name that means different things on different routes (pk, id, ...): per route,
    # by URL name ("namespace:name") or by the pattern as printed in the test id.
    register_kwarg("pk", lambda cast: make_run(cast.compound).pk, route="fee-run-detail")
    # A query string the route needs (given to insiders and outsiders alike).
    register_query("api-collection", lambda cast: {"year": "2022"})
    # More text that must never reach an outsider (e.g. a title made by your resolver).
    register_markers(lambda cast: ["home 电梯更新表决"])

A resolver takes the :class:`tests.factories.Cast` and returns the value to put in the URL
(it is called in each test, inside the test's savepoint, so creating rows is fine: they
are rolled back after the test). The walk shares one cast per module: ``per_cast`` makers
and marker sources run once when it is built, and what a test caches on the cast is
forgotten after that test (:func:`shared_cast`). Known names are in
:data:`KWARG_RESOLVERS`; the segment before a kwarg can change its meaning
(:data:`SEGMENT_KWARG_RESOLVERS`: ``so/<code>/`` is the home street office, ``d/<code>/``
and ``districts/<code>/`` the home district), and
``pk``/``id`` resolve only that way or per route, since a bare ``pk`` could be anything.
Order: per route, then by segment, then by name.
"""

from __future__ import annotations

import contextlib
import functools
import html
import importlib
import io
import json
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize

from households.masking import mask_id_number, mask_phone
from households.models import CommitteeMember, Owner, Unit
from tests.factories import Cast

Resolver = Callable[[Cast], object]

# --- what is walked ----------------------------------------------------------------------

# Routes not walked, each with the reason. Keys: a URL name, a namespace ("admin:"), or a
# path prefix (ending in "/"). Nothing else may be skipped.
SKIPPED: dict[str, str] = {
    "admin:": "Django admin: only is_staff accounts get in (superusers), no tenant scoping",
    "login": "auth view: the login form, shows no data",
    "logout": "auth view: POST-only sign-out, shows no data",
    "password_change": "auth view: changes the caller's own password only",
    "password_change_done": "auth view: a static confirmation",
    "set_language": "i18n: POST-only language switch, shows no data",
    "static/": "static files (served by the web server; routed in development only)",
    "media/": "media files (served by the web server; routed in development only)",
}
# Skip entries that need not match a route (development-only routes).
OPTIONAL_SKIPS = {"static/", "media/"}

# Who the walk asks for every home URL, besides anonymous (attributes of the Cast).
OUTSIDERS = ("outsider_compound", "outsider_office", "outsider_resident", "outsider_district")

# Pages anyone may open: they may answer 200 but never show anyone's personal data.
PUBLIC_PREFIXES = ("public/",)


# --- kwarg resolvers ---------------------------------------------------------------------


def home_unit(cast: Cast) -> Unit:
    """The home resident's own unit (building 1), so residents reach unit pages too."""
    return Unit.objects.get(
        compound=cast.compound,
        ownerships__owner__user=cast.resident,
        ownerships__valid_to__isnull=True,
    )


def _home_building_pk(cast: Cast) -> int:
    return home_unit(cast).building_id


def _home_owner_pk(cast: Cast) -> int:
    return Owner.objects.get(compound=cast.compound, user=cast.resident).pk


KWARG_RESOLVERS: dict[str, Resolver] = {
    "code": lambda cast: cast.compound.code,
    "compound_code": lambda cast: cast.compound.code,
    "unit_id": lambda cast: home_unit(cast).pk,
    "number": lambda cast: home_unit(cast).building.number,  # 楼号 "1"
    "building": lambda cast: home_unit(cast).building.number,
    "building_number": lambda cast: home_unit(cast).building.number,
    "building_id": _home_building_pk,
    "owner_id": _home_owner_pk,
    "format": lambda cast: "json",  # DRF format suffixes
}

# (route key, kwarg) → resolver, for names whose meaning depends on the route.
ROUTE_KWARG_RESOLVERS: dict[tuple[str, str], Resolver] = {}

# (path segment before the kwarg, kwarg) → resolver: so/<code>/ is a street office, and
# compounds/home/units/<pk>/ is a unit.
SEGMENT_KWARG_RESOLVERS: dict[tuple[str, str], Resolver] = {
    ("so", "code"): lambda cast: cast.office.code,
    ("d", "code"): lambda cast: cast.district.code,
    ("districts", "code"): lambda cast: cast.district.code,
    **{
        (segment, name): resolver
        for segment, resolver in [
            ("units", lambda cast: home_unit(cast).pk),
            ("buildings", _home_building_pk),
            ("owners", _home_owner_pk),
        ]
        for name in ("pk", "id")
    },
}
# Names too vague for one global meaning: by segment or per route only.
ROUTE_SPECIFIC_ONLY = frozenset({"pk", "id"})

QUERY_RESOLVERS: dict[str, Callable[[Cast], dict]] = {}
MARKER_SOURCES: list[Callable[[Cast], Iterable[str]]] = []


def register_kwarg(name: str, resolver: Resolver, *, route: str | None = None) -> None:
    """Teach the walk how to fill ``name``: for every route, or only for ``route`` (a URL
    name such as ``"fees:run-detail"`` or a pattern such as ``"c/<slug:code>/x/<int:pk>/"``).
    """
    if route is None:
        KWARG_RESOLVERS[name] = resolver
    else:
        ROUTE_KWARG_RESOLVERS[(route, name)] = resolver


def register_query(route: str, resolver: Callable[[Cast], dict]) -> None:
    """A query string ``route`` needs to answer at all (e.g. ``{"year": "2022"}``)."""
    QUERY_RESOLVERS[route] = resolver


def register_markers(source: Callable[[Cast], Iterable[str]]) -> None:
    """More strings of the home tenant that no outsider may ever see."""
    MARKER_SOURCES.append(source)


PER_CAST_MAKERS: list[Callable[[Cast], object]] = []


def per_cast(make: Callable[[Cast], object]) -> Callable[[Cast], object]:
    """Call ``make`` once per cast, so several kwargs can point into the same new row."""

    @functools.wraps(make)
    def once(cast: Cast) -> object:
        made = cast.__dict__.setdefault("_isolation_made", {})
        if make not in made:
            made[make] = make(cast)
        return made[make]

    PER_CAST_MAKERS.append(once)
    return once


# --- one cast per module -----------------------------------------------------------------


@contextlib.contextmanager
def shared_cast(django_db_blocker) -> Iterator[Cast | None]:
    """A cast built once, inside a transaction rolled back when the block ends.

    Everything the walk's ``per_cast`` makers and marker sources create (a billed year, a
    published decision, an agreement, ...) is made here once instead of once per test.
    Tests take it through :func:`cast_for_one_test`, inside their own savepoint. Yields
    None when the build fails, so each test builds its own cast and shows the error.
    """
    from django.db import transaction

    from tests.factories import make_cast

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        # As TestCase's class-level atomics (setUpTestData): durable blocks may nest in it.
        outer._from_testcase = True  # type: ignore[attr-defined]
        outer.__enter__()
        cast: Cast | None
        try:
            with transaction.atomic():
                cast = prepare_cast(make_cast())
                home_markers(cast)  # fills the marker sources' caches (fees, decisions, ...)
                for make in list(PER_CAST_MAKERS):
                    make(cast)
        except Exception as exc:
            warnings.warn(f"no shared cast ({exc!r}): each test builds its own", stacklevel=1)
            cast = None
    try:
        yield cast
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@contextlib.contextmanager
def cast_for_one_test(cast: Cast) -> Iterator[Cast]:
    """The shared cast for one test: whatever the test caches on it (rows made by a
    resolver inside the test's savepoint, rolled back after it) is forgotten afterwards."""
    state = dict(vars(cast))
    made = dict(state.get("_isolation_made", {}))
    try:
        yield cast
    finally:
        vars(cast).clear()
        vars(cast).update(state)
        if "_isolation_made" in state:
            cast.__dict__["_isolation_made"] = made


_loaded = False


def load_app_registrations() -> None:
    """Import every ``tests/<app>/isolation.py`` and ``tests/isolation_<app>.py``."""
    global _loaded
    if _loaded:
        return
    tests_dir = Path(__file__).resolve().parent
    modules = [f"tests.{p.parent.name}.isolation" for p in tests_dir.glob("*/isolation.py")]
    modules += [f"tests.{p.stem}" for p in tests_dir.glob("isolation_*.py")]
    for module in sorted(modules):
        importlib.import_module(module)
    _loaded = True


# --- routes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One leaf URL pattern with everything needed to build a URL for it."""

    pattern: str  # as people read it: "c/<slug:code>/units/<int:unit_id>/"
    name: str | None  # "namespace:name", or None for unnamed patterns
    namespace: str  # "admin:" for admin's routes, "" outside any namespace
    url_format: str  # "c/%(code)s/units/%(unit_id)s/"
    kwargs: tuple[str, ...]
    converters: dict = field(compare=False, hash=False, repr=False)

    def __str__(self) -> str:
        return self.pattern

    @property
    def keys(self) -> tuple[str, ...]:
        """What registrations may name this route by."""
        return tuple(k for k in (self.name, self.pattern) if k)

    @property
    def is_public(self) -> bool:
        return self.pattern.startswith(PUBLIC_PREFIXES)

    @property
    def is_tenant_scoped(self) -> bool:
        """A route whose URL names a tenant's object: only insiders may get an answer."""
        return bool(self.kwargs) and not self.is_public

    def skip_reason(self) -> str | None:
        for key, reason in SKIPPED.items():
            if key.endswith(":") and self.namespace.startswith(key):
                return reason
            if key.endswith("/") and self.pattern.startswith(key):
                return reason
            if key == self.name:
                return reason
        return None

    def segment_before(self, kwarg: str) -> str:
        before = self.url_format.split(f"%({kwarg})s")[0].rstrip("/")
        return before.rsplit("/", 1)[-1]

    def resolver_for(self, kwarg: str) -> Resolver | None:
        for key in self.keys:
            if (key, kwarg) in ROUTE_KWARG_RESOLVERS:
                return ROUTE_KWARG_RESOLVERS[(key, kwarg)]
        by_segment = SEGMENT_KWARG_RESOLVERS.get((self.segment_before(kwarg), kwarg))
        if by_segment is not None or kwarg in ROUTE_SPECIFIC_ONLY:
            return by_segment
        return KWARG_RESOLVERS.get(kwarg)

    def missing_resolvers(self) -> list[str]:
        return [k for k in self.kwargs if self.resolver_for(k) is None]

    def missing_message(self) -> str:
        missing = ", ".join(repr(k) for k in self.missing_resolvers())
        return (
            f"The isolation walk cannot fill URL kwarg {missing} of route "
            f"'{self.pattern}' (name {self.name!r}). Register a resolver that returns a value "
            f"of the HOME compound of the cast, in tests/<app>/isolation.py:\n"
            f"    from tests.isolation import register_kwarg\n"
            f"    register_kwarg({self.missing_resolvers()[0]!r}, lambda cast: ...)"
            + (
                f"  # add route={self.name or self.pattern!r} for pk/id"
                if set(self.missing_resolvers()) & ROUTE_SPECIFIC_ONLY
                else ""
            )
            + "\nSee the docstring of tests/isolation.py."
        )

    @property
    def names_home_objects_under_a_compound(self) -> bool:
        """``code`` is the compound and other kwargs name its objects: the shape where a
        view could check the compound in the URL but fetch the object by id alone."""
        return (
            self.is_tenant_scoped
            and len(self.kwargs) > 1
            and self.resolver_for("code") is KWARG_RESOLVERS["code"]
        )

    def url(self, cast: Cast, **overrides: object) -> str:
        """The URL of this route for the home tenant (with its registered query, if any);
        ``overrides`` replace resolved kwargs (e.g. ``code`` of another compound)."""
        if self.missing_resolvers():
            raise LookupError(self.missing_message())
        values = {}
        for kwarg in self.kwargs:
            value = overrides[kwarg] if kwarg in overrides else self.resolver_for(kwarg)(cast)
            converter = self.converters.get(kwarg)
            values[kwarg] = converter.to_url(value) if converter else str(value)
        url = "/" + self.url_format % values
        for key in self.keys:
            if key in QUERY_RESOLVERS:
                return f"{url}?{urlencode(QUERY_RESOLVERS[key](cast))}"
        return url


def _leaves(patterns, prefix: str = "", fmt: str = "", params=(), converters=None, ns=""):
    converters = converters or {}
    for p in patterns:
        (part_format, part_params), *_ = normalize(p.pattern.regex.pattern) or [("", [])]
        readable = prefix + str(p.pattern).lstrip("^").rstrip("$")
        level = {**converters, **getattr(p.pattern, "converters", {})}
        if isinstance(p, URLResolver):
            namespace = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from _leaves(
                p.url_patterns,
                readable,
                fmt + part_format,
                (*params, *part_params),
                level,
                namespace,
            )
        elif isinstance(p, URLPattern):
            yield Route(
                pattern=readable,
                name=f"{ns}{p.name}" if p.name else None,
                namespace=ns,
                url_format=fmt + part_format,
                kwargs=tuple(dict.fromkeys((*params, *part_params))),
                converters=level,
            )


def all_routes() -> list[Route]:
    """Every leaf pattern of the project's URLconf, in URLconf order, without duplicates."""
    return list(dict.fromkeys(_leaves(get_resolver().url_patterns)))


def walked_routes() -> list[Route]:
    load_app_registrations()
    return [r for r in all_routes() if r.skip_reason() is None]


# --- what counts as a leak ---------------------------------------------------------------


def prepare_cast(cast: Cast) -> Cast:
    """Give the home owners ID numbers and phones no other compound has.

    The factories number them alike in every compound, so a masked '110***********0101' of
    the neighbour would look like home's. Home's become '1101081965030{n:04}X' and
    '1391234{n:04}', whose masked forms ('110***********001X', '139****0001') are home's only.
    """
    owners = Owner.objects.filter(compound=cast.compound).order_by("id")
    for n, owner in enumerate(owners, start=1):
        owner.id_number = f"1101081965030{n:04d}X"
        owner.phone = f"1391234{n:04d}"
        owner.save(update_fields=["id_number", "phone"])
    return cast


def _personal_markers(owners: Iterable[Owner]) -> set[str]:
    markers: set[str] = set()
    for owner in owners:
        markers.add(owner.name)
        for raw, masked in (
            (owner.id_number, mask_id_number(owner.id_number)),
            (owner.phone, mask_phone(owner.phone)),
        ):
            if raw:
                markers |= {raw, masked}
    return markers


def home_markers(cast: Cast) -> set[str]:
    """Strings that only the home tenant's data contains."""
    compound = cast.compound
    markers = {compound.name, compound.address} - {""}
    markers |= _personal_markers(Owner.objects.filter(compound=compound))
    markers |= set(CommitteeMember.objects.filter(compound=compound).values_list("name", flat=True))
    for source in MARKER_SOURCES:
        markers |= set(source(cast))
    return markers


def personal_markers_of_everyone() -> set[str]:
    """Owners' names, ID numbers and phones (raw and masked) in every compound."""
    return _personal_markers(Owner.objects.all())


def response_text(response) -> str:
    """The text a response carries, read out of JSON escapes, HTML, PDF, XLSX and ZIP."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return _text_of(
        content, response.get("Content-Type", ""), response.get("Content-Disposition", "")
    )


def _text_of(content: bytes, content_type: str, name: str = "") -> str:
    kind = f"{content_type} {name}".lower()
    if "pdf" in kind or content.startswith(b"%PDF"):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    if content.startswith(b"PK"):
        if "spreadsheetml" in kind or ".xlsx" in kind:
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(content), read_only=True)
            return "\n".join(
                str(cell)
                for sheet in book.worksheets
                for row in sheet.iter_rows(values_only=True)
                for cell in row
                if cell is not None
            )
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(
                _text_of(archive.read(member), "", member) for member in archive.namelist()
            )
    text = content.decode("utf-8", errors="replace")
    if "json" in kind:
        with contextlib.suppress(ValueError):
            text += "\n" + json.dumps(json.loads(text), ensure_ascii=False)
    return text + "\n" + html.unescape(text)


def found_markers(text: str, markers: Iterable[str]) -> list[str]:
    return sorted(m for m in markers if m and m in text)


REFUSALS = frozenset({401, 403, 404, 405})
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def is_login_redirect(response) -> bool:
    if response.status_code not in REDIRECTS:
        return False
    return urlparse(response["Location"]).path == resolve_url(settings.LOGIN_URL)


def is_refusal(response) -> bool:
    return response.status_code in REFUSALS or is_login_redirect(response)


def follow(client, response, method: str = "get", limit: int = 3) -> list:
    """The response and the ones it redirects to (not into the login page)."""
    chain = [response]
    while chain[-1].status_code in REDIRECTS and not is_login_redirect(chain[-1]) and limit > 0:
        chain.append(client.get(chain[-1]["Location"]))
        limit -= 1
    return chain


def leaks(
    client, route: Route, url: str, markers: set[str], caller: str, *, must_refuse: bool = True
) -> list[str]:
    """Every way ``route`` at ``url`` gives ``caller`` (an outsider) more than nothing.

    With ``must_refuse=False`` only home data counts (a URL of the caller's own compound).
    """
    problems = []
    requests = [("GET", client.get(url))]
    if route.is_tenant_scoped and must_refuse:
        requests.append(("POST", client.post(url, {})))
    for method, first in requests:
        chain = follow(client, first)
        for response in chain:
            seen = found_markers(response_text(response), markers)
            if seen:
                problems.append(
                    f"{caller} {method} {url} → {response.status_code} shows "
                    f"{'personal' if route.is_public else 'home'} data: {seen[:5]}"
                )
        if route.is_tenant_scoped and must_refuse and not is_refusal(chain[-1]):
            hops = " → ".join(str(r.status_code) for r in chain)
            problems.append(
                f"{caller} {method} {url} → {hops}: a home URL must refuse an outsider "
                "(404, or login redirect for anonymous) before doing or validating anything"
            )
    return problems


def reachable(response) -> bool:
    """The route did its work for this caller (a 405 means GET is not its method)."""
    if response.status_code in (400, 405):
        return True
    return response.status_code < 400 and not is_login_redirect(response)
