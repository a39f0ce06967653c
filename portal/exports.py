"""Whole filtered lists as XLSX: small ones in the request, large ones in the background.

Writing a 50,000-row list takes tens of seconds, longer than a web worker may hold a
request, and a request's cost must not grow with the compound. So a list whose filtered
rows exceed :data:`settings.EXPORT_INLINE_ROWS` becomes an :class:`~portal.models.ExportFile`
job: the worker (``portal.tasks.export_list``) writes the workbook to MEDIA under a name
nobody can guess, counting rows as it goes, and the requester watches a progress bar at
``/c/<code>/exports/<id>/`` and downloads the file there until it expires.

Each list registers ONE build function, used by both paths, so the file is the same
whichever way it is made::

    def units_export(compound, user, params):   # params: the validated filters, plus
        compound = check_compound_access(user, compound, STAFF_ROLES)  # the URL's ids
        query, units = _units_list(compound, user, params)   # the view's own code
        refuse_invalid(query)
        return filename, [Sheet(title, headers, export_rows(units, cells))]

    register_export("households.units", units_export)

and the list view's export branch::

    if query.wants_export and (
        response := list_export(request, compound, "households.units", query, units)
    ):
        return response      # None: refused, the reason in query.errors (page answers 400)

The build re-applies the list's access rules for the user it is given: in the background
it runs later, and a user who lost the role in between gets a failed job and no file.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from . import lists
from .access import check_compound_access
from .lists import EXPORT_CHUNK, ListQuery, export_response
from .models import Compound, ExportFile, ExportState
from .queue import enqueue
from .typing import AuthenticatedHttpRequest
from .xlsx import Sheet, write_workbook

logger = logging.getLogger(__name__)

Build = Callable[[Compound, Any, Mapping[str, str]], tuple[str, Sequence[Sheet]]]

_BUILDS: dict[str, Build] = {}

EXPORT_LIFETIME = timedelta(hours=24)
#: Background exports one person may have waiting or running at once, and how long a job
#: counts as waiting (a job whose worker died stops counting after that).
EXPORT_MAX_PENDING = 3
EXPORT_PENDING_FOR = timedelta(hours=1)


class ExportRefused(Exception):
    """The build cannot make this file (filters no longer valid): the job fails."""


def register_export(name: str, build: Build) -> None:
    """Register ``build`` as the list ``name`` (``"app.list"``), once per process."""
    if _BUILDS.get(name, build) is not build:
        raise ValueError(f"export {name!r} is already registered")
    _BUILDS[name] = build


def build_for(name: str) -> Build:
    return _BUILDS[name]


def refuse_invalid(query: ListQuery) -> None:
    """For builds: raise :class:`ExportRefused` when the params no longer validate."""
    if query.errors:
        raise ExportRefused("; ".join(query.errors))


def export_params(query: ListQuery, **scope: object) -> dict[str, str]:
    """What a job keeps of the request: the validated search and filters, and the ids the
    URL named (``scope``) — bounded, never the raw query string."""
    params = {"q": query.search.text, **{k: v for k, v in query.filters.items() if v}}
    params.update({key: str(value) for key, value in scope.items()})
    return params


def list_export(
    request: AuthenticatedHttpRequest,
    compound: Compound,
    name: str,
    query: ListQuery,
    rows: QuerySet[Any],
    **scope: object,
) -> HttpResponseBase | None:
    """The export asked for by ``query``: the file itself for up to
    ``settings.EXPORT_INLINE_ROWS`` rows, else a background job and a redirect to its
    progress page. None when refused (bad params, over ``EXPORT_MAX_ROWS`` rows, or
    :data:`EXPORT_MAX_PENDING` of the user's exports still waiting: the reason is added to
    ``query.errors``), and then no job is created."""
    if query.errors:
        return None
    count = rows.count()
    if count > lists.EXPORT_MAX_ROWS:  # read at call time (tests lower it)
        query.errors.append(
            _("导出最多 %(max)d 行，当前筛选结果有 %(count)d 行，请先缩小筛选范围。")
            % {"max": lists.EXPORT_MAX_ROWS, "count": count}
        )
        return None
    params = export_params(query, **scope)
    build = build_for(name)
    if count <= settings.EXPORT_INLINE_ROWS:
        filename, sheets = build(compound, request.user, params)
        return export_response(filename, *sheets)
    pending = ExportFile.objects.filter(
        requested_by=request.user,
        state__in=[ExportState.QUEUED, ExportState.RUNNING],
        created_at__gte=timezone.now() - EXPORT_PENDING_FOR,
    ).count()
    if pending >= EXPORT_MAX_PENDING:  # one person cannot keep the workers busy
        query.errors.append(
            _("您已有 %(count)d 个导出正在生成，请等其完成后再导出。") % {"count": pending}
        )
        return None
    with transaction.atomic():
        job = ExportFile.objects.create(
            compound=compound,
            requested_by=request.user,
            list_name=name,
            params=params,
            rows_total=count,
            expires_at=timezone.now() + EXPORT_LIFETIME,
        )
        enqueue("portal.tasks.export_list", job.pk)
    return redirect("export_status", compound.code, job.pk)


def _counted(rows: Iterable[Sequence[object]], job_id: int) -> Iterator[Sequence[object]]:
    """``rows``, adding to the job's ``rows_done`` every :data:`EXPORT_CHUNK` rows (one
    UPDATE of one row, so the progress page reads it while the file is written)."""
    pending = 0
    for row in rows:
        yield row
        pending += 1
        if pending == EXPORT_CHUNK:
            ExportFile.objects.filter(pk=job_id).update(rows_done=F("rows_done") + pending)
            pending = 0
    if pending:
        ExportFile.objects.filter(pk=job_id).update(rows_done=F("rows_done") + pending)


def run_export(export_id: int) -> str:
    """Write the job's file (the task's body). Runs once: a job no longer queued is left
    alone. Any failure (access lost, filters no longer valid, an error) fails the job
    with no file."""
    claimed = ExportFile.objects.filter(pk=export_id, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, rows_done=0
    )
    if not claimed:
        return "skipped"
    job = ExportFile.objects.select_related("compound", "requested_by").get(pk=export_id)
    try:
        if not job.requested_by.is_active:
            raise PermissionDenied
        filename, sheets = build_for(job.list_name)(job.compound, job.requested_by, job.params)
        counted = [replace(sheet, rows=_counted(sheet.rows, job.pk)) for sheet in sheets]
        with tempfile.TemporaryFile() as spool:
            write_workbook(spool, *counted)
            spool.seek(0)
            job.refresh_from_db(fields=["rows_done"])
            job.file.save(f"{secrets.token_urlsafe(24)}.xlsx", File(spool), save=False)
    except (Http404, PermissionDenied):
        return _fail(job, _("您已无权导出此列表。"))
    except ExportRefused:
        return _fail(job, _("筛选条件已失效，请重新筛选后再导出。"))
    except Exception:
        logger.exception("export %s failed", export_id)
        return _fail(job, _("导出失败，请稍后重试。"))
    job.filename = filename
    job.state = ExportState.DONE
    job.rows_total = job.rows_done
    job.finished_at = timezone.now()
    job.save(update_fields=["filename", "file", "state", "rows_total", "finished_at"])
    return "done"


def _fail(job: ExportFile, message: str) -> str:
    if job.file:
        job.file.delete(save=False)
    ExportFile.objects.filter(pk=job.pk).update(
        state=ExportState.FAILED, error=message[:200], file="", finished_at=timezone.now()
    )
    return "failed"


def expire_exports(now: Any = None) -> int:
    """Delete expired jobs and their files; the number deleted."""
    expired = list(ExportFile.objects.filter(expires_at__lte=now or timezone.now()))
    for job in expired:
        if job.file:
            job.file.delete(save=False)
    ExportFile.objects.filter(pk__in=[job.pk for job in expired]).delete()
    return len(expired)


def export_for_user(user: Any, code: str, export_id: int) -> ExportFile:
    """The job ``export_id`` of compound ``code`` if ``user`` asked for it and it has not
    expired, else 404 (anyone else's job looks absent)."""
    job = (
        ExportFile.objects.select_related("compound")
        .filter(
            pk=export_id,
            compound__code=code,
            requested_by_id=user.pk,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if job is None:
        raise Http404
    check_compound_access(user, job.compound)  # no role left there: absent too
    return job
