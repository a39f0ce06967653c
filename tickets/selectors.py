"""Reads for the request pages: the queue with its filters, and the counts residents see."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from portal.access import AnyUser
from portal.lists import Search
from portal.models import Compound

from .models import OPEN_STATES, Notification, Request, RequestPhoto, State


def queue(
    requests: QuerySet[Request],
    *,
    search: Search | None = None,
    state: str = "",
    category: str = "",
    building: str = "",
    overdue: str = "",
) -> QuerySet[Request]:
    """The requests filtered as the queue asks, most urgent first: open ones by due time,
    then the rest newest first; with what a row shows, in constant queries."""
    if state:
        requests = requests.filter(state=state)
    if category:
        requests = requests.filter(category__code=category)
    if building:
        requests = requests.filter(building__number=building)
    if overdue == "yes":
        requests = requests.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())
    if search:
        text = search.text
        requests = requests.filter(
            Q(description__icontains=text)
            | Q(hotline_case_number__icontains=text)
            | Q(place__icontains=text)
            | Q(unit__number__icontains=text)
        )
    return requests.select_related("category", "unit__building", "building", "assignee").order_by(
        "-received_at", "-id"
    )


def with_photos(requests: QuerySet[Request]) -> QuerySet[Request]:
    return requests.prefetch_related(
        Prefetch("photos", queryset=RequestPhoto.objects.order_by("id"))
    )


def public_counts(compound: Compound) -> dict[str, int]:
    """The counts anyone of the compound may see (公开): received this year, open now,
    resolved this year. One query."""
    start = timezone.localtime().replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return Request.objects.filter(compound=compound).aggregate(
        received=Count("id", filter=Q(received_at__gte=start)),
        open=Count("id", filter=Q(state__in=OPEN_STATES)),
        resolved=Count(
            "id", filter=Q(received_at__gte=start, state__in=[State.RESOLVED, State.CLOSED])
        ),
    )


def unread_count(user: AnyUser, compound: Compound) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(
        user_id=user.pk, compound=compound, read_at__isnull=True
    ).count()
