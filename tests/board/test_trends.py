"""The case's claim as charts (issue 14 item 3): a compound's requests per month with its
transition markers on the compound page, and every compound's 12345 cases per month on
the street-office board; constant queries whatever the number of requests."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from board.models import Renovation
from board.trends import MAX_MONTHS, compound_trend, office_hotline
from tests.tickets.helpers import file_request
from tickets.models import Channel, Request

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)


def _received(request: Request, day: dt.date, *, hotline: str = "") -> None:
    at = timezone.make_aware(dt.datetime(day.year, day.month, day.day, 10))
    changes = {"received_at": at, "due_at": at + dt.timedelta(days=3)}
    if hotline:
        changes.update(channel=Channel.HOTLINE, hotline_case_number=hotline)
    Request.objects.filter(pk=request.pk).update(**changes)


def _requests(cast, days: list[dt.date], *, hotline: bool = False) -> None:
    for n, day in enumerate(days):
        _received(file_request(cast), day, hotline=f"C{n:05d}{day:%Y%m}" if hotline else "")


def test_no_request_no_trend_and_the_page_says_so(cast, client):
    assert compound_trend(cast.compound, TODAY) is None
    client.force_login(cast.committee)
    page = client.get(reverse("compound", args=[cast.compound.code])).content.decode()
    assert 'id="compound-trend-empty"' in page and "trend-data" not in page
    assert "echarts" not in page  # no chart library for an empty chart


def test_the_trend_covers_at_most_the_last_months(cast):
    Renovation.objects.create(compound=cast.compound, started_on=dt.date(2017, 5, 10))
    _requests(cast, [dt.date(2017, 8, 1), dt.date(2017, 8, 20), dt.date(2018, 3, 5)])
    trend = compound_trend(cast.compound, TODAY)
    assert trend is not None
    data = trend.as_dict()
    # within the last MAX_MONTHS months only: 2017-05 is further back than that from 2026-12
    assert len(data["months"]) == MAX_MONTHS and data["months"][-1] == "2026-12"
    total = [sum(col) for col in zip(*data["by_category"].values(), strict=True)]
    assert sum(total) == 0  # all three requests are older than the window


def test_the_trend_counts_by_month_with_the_renovation_marker(cast):
    Renovation.objects.create(compound=cast.compound, started_on=dt.date(2025, 5, 10))
    _requests(cast, [dt.date(2025, 3, 1), dt.date(2025, 3, 20), dt.date(2025, 9, 5)])
    trend = compound_trend(cast.compound, TODAY)
    assert trend is not None
    data = trend.as_dict()
    assert data["months"][0] == "2025-03" and data["months"][-1] == "2026-12"
    total = [sum(col) for col in zip(*data["by_category"].values(), strict=True)]
    assert total[0] == 2 and total[data["months"].index("2025-09")] == 1 and sum(total) == 3
    assert data["markers"] == [{"month": "2025-05", "label": "环境整治开始"}]


def test_the_compound_page_draws_it_in_the_same_queries_whatever_the_requests(cast, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast.committee)
    url = reverse("compound", args=[cast.compound.code])
    _requests(cast, [dt.date(2026, 1, 5)])
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert "trend-data" in page and "tickets/rates_chart.js" in page
    _requests(cast, [dt.date(2026, m, 5) for m in range(2, 12)] * 3)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    trend = json.loads(page.split('id="trend-data" type="application/json">')[1].split("<")[0])
    assert sum(sum(v) for v in trend["by_category"].values()) == 31


def test_the_board_charts_each_compound_s_hotline_cases_in_one_query(
    cast, django_assert_num_queries
):
    _requests(cast, [dt.date(2025, 1, 3), dt.date(2025, 1, 9), dt.date(2026, 2, 1)], hotline=True)
    _requests(cast, [dt.date(2025, 6, 1)])  # not a 12345 case
    with django_assert_num_queries(1):
        data = office_hotline([cast.compound, cast.other_compound], TODAY)
    assert data["months"][0] == "2025-01" and data["months"][-1] == "2026-12"
    (series,) = data["series"]  # the other compound had no case
    assert series["name"] == cast.compound.name
    assert series["data"][0] == 2 and sum(series["data"]) == 3


def test_the_board_page_shows_the_hotline_chart(cast, client):
    _requests(cast, [dt.date(2026, 3, 3)], hotline=True)
    client.force_login(cast.officer)
    page = client.get(reverse("board:office-board", args=[cast.office.code])).content.decode()
    assert 'id="chart-hotline"' in page and "board-hotline-data" in page
