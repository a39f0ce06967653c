"""即将超时: a request entering the last 20% of its time limit (at least its last hour) is
announced once to its assignee or the responsible party's people; by beat, in bulk."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tickets import services
from tickets.models import Notification, NotificationKind, Party, Request
from tickets.services import due_soon_from, requests_due_soon

from .helpers import file_request

pytestmark = pytest.mark.django_db

FILED = dt.datetime(2025, 3, 10, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    """A frozen clock: timezone.now() answers ``clock.now`` until moved."""

    class Clock:
        now = FILED

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


def due_soon_notes():
    return Notification.objects.filter(kind=NotificationKind.DUE_SOON)


def test_rule_last_fifth_of_the_time_limit_at_least_one_hour():
    received = FILED
    assert due_soon_from(received, received + dt.timedelta(hours=72)) == received + dt.timedelta(
        hours=72 - 14.4
    )
    assert due_soon_from(received, received + dt.timedelta(hours=4)) == received + dt.timedelta(
        hours=3
    )
    assert due_soon_from(received, received + dt.timedelta(minutes=30)) == received - dt.timedelta(
        minutes=30
    )


def test_assignee_told_once_when_it_enters_the_window(cast, clock):
    r = file_request(cast)  # repairs: 72 hours, due soon from 57.6 h
    services.request_assign(
        request=r, actor=cast.committee, party=Party.COMPANY, assignee=cast.company_staff
    )
    clock.now = FILED + dt.timedelta(hours=57, minutes=30)
    assert requests_due_soon() == 0 and not due_soon_notes().exists()
    clock.now = FILED + dt.timedelta(hours=58)
    assert requests_due_soon() == 1
    note = due_soon_notes().get()
    assert (note.user, note.request, note.created_at) == (cast.company_staff, r, clock.now)
    assert requests_due_soon() == 0  # run twice: still one notification
    clock.now = FILED + dt.timedelta(hours=70)
    assert requests_due_soon() == 0 and due_soon_notes().count() == 1
    r.refresh_from_db()
    assert r.due_soon_notified_for == r.due_at
    # A new due time (set by whoever handles it) may be announced again, once.
    Request.objects.filter(pk=r.pk).update(due_at=FILED + dt.timedelta(hours=80))
    assert requests_due_soon() == 1 and requests_due_soon() == 0


def test_overdue_resolved_and_not_yet_due_are_left_alone(cast, clock):
    overdue = file_request(cast)
    resolved = file_request(cast, description="已修好的")
    services.request_resolve(request=resolved, actor=cast.company_staff, result="修好了")
    clock.now = FILED + dt.timedelta(hours=60)
    greening = file_request(cast, category="greening", description="修剪树枝")  # 168 h
    clock.now = FILED + dt.timedelta(hours=73)
    assert requests_due_soon() == 0
    assert not due_soon_notes().filter(request__in=[overdue, resolved, greening]).exists()


def test_unassigned_goes_to_the_responsible_partys_people(cast, clock):
    covered = file_request(cast)  # repairs: the company's, 72 h
    office = file_request(cast, description="路面塌陷")
    clock.now = FILED + dt.timedelta(hours=24)
    # noise: not covered by the contract, so the committee's; 48 h
    not_covered = file_request(cast, category="noise", description="楼下广场舞")
    services.request_assign(request=office, actor=cast.committee, party=Party.STREET_OFFICE)
    clock.now = FILED + dt.timedelta(hours=71)
    assert requests_due_soon() == 3
    told = {(n.request_id, n.user_id) for n in due_soon_notes()}
    assert told == {
        (covered.pk, cast.company_staff.pk),
        (not_covered.pk, cast.committee.pk),
        (office.pk, cast.officer.pk),
    }
    outsiders = [u.pk for u in cast.outsiders.values()]
    assert not due_soon_notes().filter(user_id__in=outsiders).exists()


def test_constant_queries_whatever_the_number_of_requests(cast, clock):
    def run(n: int) -> int:
        for i in range(n):
            file_request(cast, description=f"漏水{i}")
        clock.now += dt.timedelta(hours=71)
        with CaptureQueriesContext(connection) as queries:
            made = requests_due_soon()
        assert made == n
        clock.now += dt.timedelta(hours=10)
        return len(queries)

    assert run(2) == run(12)
