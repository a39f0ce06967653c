"""The demo's requests (tickets.demo): two years falling after the transition, some open
now, one overdue, one reopened after a bad rating, yezhu's in progress; made once."""

import pytest
from django.utils import timezone

from households.models import Owner
from portal.models import Role
from tests.factories import make_member
from tickets import demo
from tickets.models import OPEN_STATES, Channel, Request, State
from tickets.rates import monthly_rates

pytestmark = pytest.mark.django_db


def test_demo_requests(cast):
    make_member("wuye", Role.COMPANY_STAFF, service_company=cast.company)
    yezhu = make_member("yezhu", Role.RESIDENT, compound=cast.compound)
    Owner.objects.filter(compound=cast.compound, name="业主-home-2-1").update(user=yezhu)
    first = demo.seed(cast.compound)
    assert demo.seed(cast.compound) == {}  # idempotent
    assert first["requests"] > 200
    requests = Request.objects.filter(compound=cast.compound)
    hotline = requests.filter(channel=Channel.HOTLINE)
    early = hotline.filter(received_at__year=2021, received_at__month__lte=3).count()
    late = hotline.filter(received_at__year=2022, received_at__month__gte=10).count()
    assert early > 3 * late
    now = timezone.now()
    overdue = [r for r in requests.filter(state__in=OPEN_STATES) if r.is_overdue(now)]
    assert len(overdue) == 1
    reopened = requests.get(state=State.REOPENED)
    assert reopened.rating == "not_satisfied" and reopened.reopen_count == 1
    mine = requests.get(reporter=yezhu)
    assert mine.state == State.IN_PROGRESS
    before = monthly_rates(cast.compound, 2021)
    after = monthly_rates(cast.compound, 2022)
    assert float(after[11].response_rate) > float(before[0].response_rate or 0)
    assert float(after[11].satisfaction_rate or 0) > float(before[0].satisfaction_rate or 0)
