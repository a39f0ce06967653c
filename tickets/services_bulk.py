"""Many past requests at once, with their outcome: the demo's two years and the bench's
100,000. A service like the others (validated, audited, one transaction), so nothing
writes requests around :mod:`tickets.services`."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit import audit_record
from portal.models import Compound

from .models import Category, Channel, EventKind, Rating, Request, RequestEvent, State


@dataclass(frozen=True)
class PastRequest:
    """A request that already ran its course (or part of it)."""

    category: str
    description: str
    received_at: dt.datetime
    channel: str = Channel.ONLINE
    hotline_case_number: str = ""
    unit_id: int | None = None
    building_id: int | None = None
    place: str = ""
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    result: str = ""
    rating: str = ""
    closed: bool = False


def _state(item: PastRequest) -> str:
    if item.resolved_at is None:
        return State.IN_PROGRESS if item.first_response_at else State.NEW
    return State.CLOSED if item.closed else State.RESOLVED


def _check(item: PastRequest, categories: dict[str, Category]) -> None:
    if item.category not in categories:
        raise ValidationError({"category": f"unknown category {item.category!r}"})
    if item.rating and item.rating not in Rating.values:
        raise ValidationError({"rating": f"unknown rating {item.rating!r}"})
    times = [t for t in (item.first_response_at, item.resolved_at) if t is not None]
    if any(t < item.received_at for t in times):
        raise ValidationError("a request cannot be answered before it was received")
    if item.hotline_case_number and item.channel != Channel.HOTLINE:
        raise ValidationError({"hotline_case_number": "only 12345 cases carry a case number"})


@transaction.atomic
def requests_bulk_create(
    *, compound: Compound, actor: User | None, items: Sequence[PastRequest], batch_size: int = 2000
) -> int:
    """Create ``items`` in ``compound`` with their events (received, resolved, closed),
    everything checked first; one audit entry for the batch. Returns how many."""
    categories = {c.code: c for c in Category.objects.all()}
    for item in items:
        _check(item, categories)
    rows = []
    for item in items:
        category = categories[item.category]
        rows.append(
            Request(
                compound=compound,
                channel=item.channel,
                hotline_case_number=item.hotline_case_number,
                category=category,
                unit_id=item.unit_id,
                building_id=item.building_id,
                place=item.place,
                description=item.description,
                received_at=item.received_at,
                due_at=item.received_at + dt.timedelta(hours=category.service_level_hours),
                state=_state(item),
                assigned_party="company" if item.first_response_at else "",
                first_response_at=item.first_response_at,
                resolved_at=item.resolved_at,
                closed_at=item.resolved_at if item.closed else None,
                result=item.result,
                rating=item.rating,
                rated_at=item.resolved_at if item.rating else None,
            )
        )
    created = Request.objects.bulk_create(rows, batch_size=batch_size)
    events = []
    for request in created:
        events.append(
            RequestEvent(
                compound=compound,
                request=request,
                kind=EventKind.IMPORTED
                if request.channel == Channel.HOTLINE
                else EventKind.CREATED,
                to_state=State.NEW,
                created_at=request.received_at,
            )
        )
        if request.resolved_at is not None:
            events.append(
                RequestEvent(
                    compound=compound,
                    request=request,
                    kind=EventKind.RESOLVED,
                    to_state=State.RESOLVED,
                    note=request.result,
                    created_at=request.resolved_at,
                )
            )
    RequestEvent.objects.bulk_create(events, batch_size=batch_size)
    audit_record(
        action="request.bulk_create", actor=actor, compound=compound, data={"count": len(created)}
    )
    return len(created)
