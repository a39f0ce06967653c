"""The trend selector (for the rates page and the board): counts by month, category and
building, markers inside the range only, constant queries."""

import datetime as dt

import pytest
from django.utils import timezone

from tickets.trends import Marker, monthly_trend

from .helpers import file_request

pytestmark = pytest.mark.django_db


def test_trend_counts_by_category_and_building(cast, django_assert_num_queries):
    march = timezone.make_aware(dt.datetime(2022, 3, 5, 10))
    file_request(cast, received_at=march)
    file_request(cast, received_at=march, category="greening")
    file_request(cast, received_at=march + dt.timedelta(days=40), unit_id=None, place="大门")
    markers = [
        Marker("2021-12", "四方协议生效"),
        Marker("2022-03", "x"),
        Marker("2030-01", "later"),
    ]
    with django_assert_num_queries(2):
        trend = monthly_trend(
            cast.compound, first=dt.date(2022, 1, 1), last=dt.date(2022, 6, 30), markers=markers
        )
    assert trend.months == ["2022-01", "2022-02", "2022-03", "2022-04", "2022-05", "2022-06"]
    assert trend.by_category["维修"] == [0, 0, 1, 1, 0, 0]
    assert trend.by_category["绿化"] == [0, 0, 1, 0, 0, 0]
    assert trend.by_building["1号楼"] == [0, 0, 2, 0, 0, 0]
    assert trend.by_building["公共区域"] == [0, 0, 0, 1, 0, 0]
    assert [m.month for m in trend.markers] == ["2022-03"]


def test_scorecard_half_year(cast):
    from tickets import services
    from tickets.models import Request
    from tickets.scorecard import company_scorecard

    april = timezone.make_aware(dt.datetime(2022, 4, 1, 8))
    r = file_request(cast, received_at=april)
    services.request_resolve(request=r, actor=cast.company_staff, result="ok")
    Request.objects.filter(pk=r.pk).update(
        first_response_at=april + dt.timedelta(hours=2),
        resolved_at=april + dt.timedelta(hours=5),
        rating="satisfied",
    )
    file_request(cast, received_at=april + dt.timedelta(days=100))  # second half
    card = company_scorecard(cast.compound, 2022, 1)
    assert card.received == 1 and card.company == "测试物业"
    assert (card.response_rate, card.resolution_rate, card.satisfaction_rate) == (
        "100.00",
        "100.00",
        "100.00",
    )
    assert str(card.hours_to_response) == "2.0" and str(card.hours_to_resolution) == "5.0"
    assert card.collection_rate is None  # nothing billed in the test compound
    assert company_scorecard(cast.compound, 2022, 2).received == 1
