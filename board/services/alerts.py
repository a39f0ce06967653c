"""The alerts' lifecycle: the daily (and on-demand) check, and acknowledging one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound

from ..alerts import Wanted, wanted_alerts
from ..milestones import compounds_progress
from ..models import Alert, AlertState

CHUNK = 500
NOTE_MAX = 500


@dataclass
class RefreshResult:
    compounds: int = 0
    opened: list[tuple[int, str, str]] = field(default_factory=list)
    updated: int = 0
    resolved: list[tuple[int, str, str]] = field(default_factory=list)


def alerts_refresh(
    *,
    today: dt.date | None = None,
    compounds: Sequence[Compound] | None = None,
    actor: AbstractBaseUser | None = None,
) -> RefreshResult:
    """Bring the alerts of ``compounds`` (all when None) in line with today's deadlines.

    Idempotent: an alert the rules want and that is not there is opened; one that is there
    keeps its state (an acknowledged alert stays acknowledged) and gets today's due date and
    figures; an open or acknowledged alert whose condition is gone is resolved (by
    ``actor``, or by the daily job when None). A fixed number of queries per 500
    compounds, plus one audit entry per compound whose alerts changed."""
    today = today or timezone.localdate()
    result = RefreshResult()
    if compounds is None:
        ids = list(Compound.objects.order_by("id").values_list("id", flat=True))
        for start in range(0, len(ids), CHUNK):
            chunk = list(
                Compound.objects.filter(id__in=ids[start : start + CHUNK])
                .select_related("street_office", "service_company")
                .order_by("id")
            )
            _refresh_chunk(chunk, today, actor, result)
    else:
        compounds = list(compounds)
        for start in range(0, len(compounds), CHUNK):
            _refresh_chunk(compounds[start : start + CHUNK], today, actor, result)
    return result


@transaction.atomic
def _refresh_chunk(
    compounds: Sequence[Compound],
    today: dt.date,
    actor: AbstractBaseUser | None,
    result: RefreshResult,
) -> None:
    by_id = {c.pk: c for c in compounds}
    wanted: dict[tuple[int, str, str], Wanted] = {}
    for progress in compounds_progress(compounds, today):
        for want in wanted_alerts(progress, today):
            wanted[want.key] = want
    existing = {
        (a.compound_id, a.kind, a.subject): a
        for a in Alert.objects.select_for_update(of=("self",))
        .filter(compound_id__in=list(by_id))
        .exclude(state=AlertState.RESOLVED)
    }
    now = timezone.now()
    new = [
        Alert(
            compound_id=w.compound_id,
            kind=w.kind,
            subject=w.subject,
            due=w.due,
            params=w.params,
            opened_at=now,
        )
        for key, w in wanted.items()
        if key not in existing
    ]
    # A concurrent check may have opened the same alert: the unique index keeps one.
    Alert.objects.bulk_create(new, ignore_conflicts=True)
    changed = []
    for key, alert in existing.items():
        w = wanted.get(key)
        if w is not None and (alert.due != w.due or alert.params != _json(w.params)):
            alert.due, alert.params = w.due, w.params
            changed.append(alert)
    Alert.objects.bulk_update(changed, ["due", "params"])
    gone = [a for key, a in existing.items() if key not in wanted]
    if gone:
        Alert.objects.filter(pk__in=[a.pk for a in gone]).update(
            state=AlertState.RESOLVED,
            resolved_at=now,
            resolved_by=actor if actor is not None and actor.is_authenticated else None,
            resolve_note=str(_("条件已不存在（自动解除）")),
        )
    per_compound: dict[int, dict[str, list[str]]] = {}
    for a in new:
        per_compound.setdefault(a.compound_id, {"opened": [], "resolved": []})["opened"].append(
            f"{a.kind} {a.subject}"
        )
    for a in gone:
        per_compound.setdefault(a.compound_id, {"opened": [], "resolved": []})["resolved"].append(
            f"{a.kind} {a.subject}"
        )
    for compound_id, data in per_compound.items():
        audit_record(
            action="board.alerts_refresh",
            actor=actor,
            compound=by_id[compound_id],
            data={"today": today.isoformat(), **data},
        )
    result.compounds += len(compounds)
    result.opened += [(a.compound_id, a.kind, a.subject) for a in new]
    result.updated += len(changed)
    result.resolved += [(a.compound_id, a.kind, a.subject) for a in gone]


def _json(params: dict) -> dict:
    """``params`` as the JSON column hands them back (for the changed-or-not test)."""
    import json

    return json.loads(json.dumps(params, default=str))


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: AbstractBaseUser, note: str) -> Alert:
    """Someone who can act on ``alert`` records that they know and what they do about it
    (the note is required). Only an open alert can be acknowledged."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("确认提醒须填写说明（例如已安排的处理办法）")})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("说明不能超过500个字符")})
    locked = (
        Alert.objects.select_for_update(of=("self",)).select_related("compound").get(pk=alert.pk)
    )
    if locked.state == AlertState.ACKNOWLEDGED:
        raise ValidationError(_("该提醒已被确认"))
    if locked.state == AlertState.RESOLVED:
        raise ValidationError(_("该提醒已解除，无需确认"))
    locked.state = AlertState.ACKNOWLEDGED
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = actor  # type: ignore[assignment]
    locked.acknowledge_note = note
    locked.full_clean()
    locked.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "acknowledge_note"])
    audit_record(
        action="board.alert_acknowledge",
        actor=actor,
        compound=locked.compound,
        obj=locked,
        data={"kind": locked.kind, "subject": locked.subject, "note": note},
    )
    return locked
