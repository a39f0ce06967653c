"""The request pages: a resident files with a photo and rates; the queue and its filters;
photos only for those who may see the request; constant queries."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tickets import services
from tickets.models import Request, State

from .helpers import file_request, png_bytes, resident_unit

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_resident_files_with_photo_sees_it_and_rates(cast):
    client = client_for(cast.resident)
    page = client.get("/c/home/requests/new/")
    assert page.status_code == 200
    assert resident_unit(cast).label in page.content.decode()
    other = cast.compound.units.exclude(pk=resident_unit(cast).pk).first()
    assert f'value="{other.pk}"' not in page.content.decode()
    response = client.post(
        "/c/home/requests/new/",
        {
            "category": "repairs",
            "unit": resident_unit(cast).pk,
            "description": "卫生间渗水",
            "photo": SimpleUploadedFile("p.png", png_bytes()),
        },
    )
    assert response.status_code == 302, response.content.decode()
    created = Request.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/c/home/requests/{created.pk}/"
    photo = created.photos.get()
    detail = client.get(response["Location"]).content.decode()
    assert "卫生间渗水" in detail and f"/photos/{photo.pk}/thumbnail/" in detail
    assert (
        client.get(f"/c/home/requests/{created.pk}/photos/{photo.pk}/")["Content-Type"]
        == "image/png"
    )
    services.request_resolve(request=created, actor=cast.company_staff, result="已修")
    assert 'id="rate-form"' in client.get(response["Location"]).content.decode()
    client.post(response["Location"], {"action": "rate", "rating": "satisfied"})
    created.refresh_from_db()
    assert created.state == State.CLOSED and created.rating == "satisfied"


def test_bad_photo_answers_400_and_saves_nothing(cast):
    response = client_for(cast.resident).post(
        "/c/home/requests/new/",
        {
            "category": "repairs",
            "description": "x",
            "photo": SimpleUploadedFile("p.jpg", b"GIF89a...."),
        },
    )
    assert response.status_code == 400 and "JPEG" in response.content.decode()
    assert not Request.objects.exists()


def test_photos_only_for_those_who_may_see_the_request(cast):
    r = services.request_create(
        compound=cast.compound,
        actor=cast.resident,
        data=services.NewRequest(
            category="repairs", description="x", unit_id=resident_unit(cast).pk
        ),
        photos=[png_bytes()],
    )
    photo = r.photos.get()
    url = f"/c/home/requests/{r.pk}/photos/{photo.pk}/"
    assert client_for(cast.company_staff).get(url).status_code == 200
    for user in (cast.outsider_resident, cast.outsider_compound, cast.property_unit_rep):
        assert client_for(user).get(url).status_code == 404
    other_resident_request = file_request(cast, actor=cast.company_staff, unit_id=None)
    wrong = f"/c/home/requests/{other_resident_request.pk}/photos/{photo.pk}/"
    assert client_for(cast.company_staff).get(wrong).status_code == 404


def test_company_handles_from_the_page(cast):
    r = file_request(cast)
    client = client_for(cast.company_staff)
    url = f"/c/home/requests/{r.pk}/"
    client.post(url, {"action": "assign", "party": "company", "assignee": "company_staff"})
    client.post(url, {"action": "start"})
    answer = client.post(url, {"action": "resolve", "note": ""})
    assert answer.status_code == 400 and "办结须填写办理结果" in answer.content.decode()
    client.post(url, {"action": "resolve", "note": "已修好"})
    r.refresh_from_db()
    assert r.state == State.RESOLVED and r.result == "已修好"
    # a resident cannot act as handler: looks absent
    assert client_for(cast.resident).post(url, {"action": "close"}).status_code == 404


def test_queue_filters_and_overdue(cast):
    late = file_request(cast, received_at=timezone.now() - dt.timedelta(days=30))
    fresh = file_request(cast, category="greening")
    client = client_for(cast.company_staff)
    page = client.get("/c/home/requests/?overdue=yes").content.decode()
    assert f"#{late.pk} " in page and f"#{fresh.pk} " not in page
    page = client.get("/c/home/requests/?category=greening").content.decode()
    assert f"#{fresh.pk} " in page and f"#{late.pk} " not in page
    assert client.get("/c/home/requests/?state=bogus").status_code == 400


def test_resident_list_shows_own_and_public_counts(cast):
    mine = file_request(cast)
    other = file_request(cast, actor=cast.company_staff, unit_id=None, description="别人的诉求")
    page = client_for(cast.resident).get("/c/home/requests/").content.decode()
    assert f"#{mine.pk} " in page and "别人的诉求" not in page
    assert 'id="public-counts"' in page and "<strong>2</strong>" in page
    assert other.pk


def test_queue_constant_queries(cast, django_assert_max_num_queries):
    client = client_for(cast.company_staff)
    file_request(cast)
    client.get("/c/home/requests/")
    with django_assert_max_num_queries(20) as few:
        client.get("/c/home/requests/")
    for _ in range(12):
        file_request(cast)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/c/home/requests/").status_code == 200


def test_rates_page_has_chart_data_and_definitions(cast, django_assert_max_num_queries):
    client = client_for(cast.committee)
    file_request(cast)
    with django_assert_max_num_queries(12):
        page = client.get("/c/home/requests/rates/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="rates-chart-data"' in html
    assert "响应率：" in html and "满意率：" in html and "vendor/echarts" in html
    assert client_for(cast.resident).get("/c/home/requests/rates/").status_code == 404
    assert client.get("/c/home/requests/rates/?year=abc").status_code == 400


def test_queue_exports_filtered_list_with_phones_masked(cast):
    import io

    from openpyxl import load_workbook

    file_request(
        cast, actor=cast.company_staff, unit_id=None, channel="phone", caller_phone="13912345678"
    )
    file_request(cast, category="greening")
    response = client_for(cast.company_staff).get("/c/home/requests/?export=xlsx&category=greening")
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert len(rows) == 2 and rows[1][3] == "绿化"
    everything = client_for(cast.company_staff).get("/c/home/requests/?export=xlsx")
    text = str(
        list(
            load_workbook(io.BytesIO(b"".join(everything.streaming_content))).active.iter_rows(
                values_only=True
            )
        )
    )
    assert "139****5678" in text and "13912345678" not in text
    # a resident gets the page, not a file
    assert (
        client_for(cast.resident)
        .get("/c/home/requests/?export=xlsx")["Content-Type"]
        .startswith("text/html")
    )


def test_rating_form_reopens_only_on_not_satisfied(cast):
    """The form ticks "reopen if not satisfied" by default: a satisfied rating with the box
    still ticked closes the request (no error), a "not satisfied" one reopens it."""
    client = client_for(cast.resident)
    happy, unhappy = file_request(cast), file_request(cast)
    for r in (happy, unhappy):
        services.request_resolve(request=r, actor=cast.company_staff, result="已修好")
    page = client.get(f"/c/home/requests/{happy.pk}/").content.decode()
    assert 'name="reopen" value="1" checked' in page
    answer = client.post(
        f"/c/home/requests/{happy.pk}/", {"action": "rate", "rating": "satisfied", "reopen": "1"}
    )
    assert answer.status_code == 302
    client.post(
        f"/c/home/requests/{unhappy.pk}/",
        {"action": "rate", "rating": "not_satisfied", "reopen": "1"},
    )
    happy.refresh_from_db()
    unhappy.refresh_from_db()
    assert (happy.state, unhappy.state) == (State.CLOSED, State.REOPENED)


def test_resident_form_defaults_to_their_one_flat_and_empty_list_says_how(cast):
    client = client_for(cast.resident)
    form = client.get("/c/home/requests/new/").content.decode()
    unit = resident_unit(cast)
    assert f'<option value="{unit.pk}" selected>' in form
    listing = client.get("/c/home/requests/").content.decode()
    assert 'id="requests-empty"' in listing and "我要报修" in listing
    assert 'id="request-filters"' in listing and 'class="stack ticket-list ticket-text"' in listing
    staff = client_for(cast.company_staff).get("/c/home/requests/new/").content.decode()
    assert f'<option value="{unit.pk}" selected>' not in staff


def test_rates_trend_marks_a_filed_agreement(cast, django_capture_on_commit_callbacks):
    """The demo's agreement is filed (备案), past effective: its month is still marked on
    the trend, so the chart shows when the transition happened."""
    from agreements.models import AgreementStatus
    from tests.agreements.helpers import make_agreement

    agreement = make_agreement(cast, django_capture_on_commit_callbacks)
    year = timezone.localdate().year
    agreement.status = AgreementStatus.FILED
    agreement.effective_on = dt.date(year, 1, 10)
    agreement.save(update_fields=["status", "effective_on"])
    page = client_for(cast.committee).get(f"/c/home/requests/rates/?year={year}")
    assert page.context["trend"]["markers"] == [{"month": f"{year}-01", "label": "四方协议生效"}]


def test_failed_import_lists_its_rows_once(cast, django_capture_on_commit_callbacks):
    """A failed import's page shows the bad rows in its table; the status poll's copy of the
    same lines (which the page script writes into the progress card) stays hidden."""
    from tests.tickets.test_hotline_jobs import BAD
    from tickets.services_hotline import hotline_import_enqueue

    from .test_hotline import xlsx

    with django_capture_on_commit_callbacks(execute=True):
        job = hotline_import_enqueue(compound=cast.compound, actor=cast.officer, data=xlsx(BAD))
    body = client_for(cast.officer).get(f"/c/home/requests/hotline/imports/{job.pk}/")
    text = body.content.decode()
    assert 'id="hotline-errors"' in text and '<ul id="letter-lines" hidden>' in text


def test_assigning_to_a_mistyped_login_says_so(cast):
    r = file_request(cast)
    client = client_for(cast.company_staff)
    answer = client.post(
        f"/c/home/requests/{r.pk}/",
        {"action": "assign", "party": "company", "assignee": "company_stafff"},
    )
    assert answer.status_code == 400
    assert "没有登录名为“company_stafff”的账号" in answer.content.decode()
    r.refresh_from_db()
    assert r.state == State.NEW
