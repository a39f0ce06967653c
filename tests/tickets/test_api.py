"""The requests API: the interface other tools rely on, scoping, and constant queries."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tickets import services
from tickets.models import Rating, Request

from .helpers import file_request, png_bytes, resident_unit

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_post_creates_with_photo_and_answers_the_exact_shape(cast):
    unit = resident_unit(cast)
    photo = png_bytes()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(cast.resident).post(
        "/api/v1/compounds/home/requests/",
        {
            "category": "repairs",
            "description": "楼道灯不亮",
            "unit": unit.pk,
            "photo": [SimpleUploadedFile("a.png", photo), SimpleUploadedFile("b.png", photo)],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "state", "due"} and body["state"] == "new"
    created = Request.objects.get(pk=body["id"])
    assert dt.datetime.fromisoformat(body["due"]) == created.due_at
    assert created.photos.count() == 2


def test_post_refuses_other_units_and_bad_photos(cast):
    client = client_for(cast.resident)
    other = cast.compound.units.exclude(pk=resident_unit(cast).pk).first()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/v1/compounds/home/requests/",
        {"category": "repairs", "description": "x", "unit": other.pk},
        format="multipart",
    )
    assert response.status_code == 400 and "unit" in response.json()
    response = client.post(
        "/api/v1/compounds/home/requests/",
        {
            "category": "repairs",
            "description": "x",
            "photo": [SimpleUploadedFile("a.jpg", b"<svg onload=alert(1)>")],
        },
        format="multipart",
    )
    assert response.status_code == 400 and "photo" in response.json()
    assert not Request.objects.exists()


def test_outsiders_get_404_and_residents_see_only_their_own(cast):
    mine = file_request(cast)
    theirs = file_request(cast, actor=cast.company_staff, unit_id=None, channel="phone")
    for user in (cast.outsider_compound, cast.outsider_office, cast.outsider_resident):
        assert (
            client_for(user).get(f"/api/v1/compounds/home/requests/{mine.pk}/").status_code == 404
        )
        assert client_for(user).get("/api/v1/compounds/home/requests/").status_code == 404
    resident = client_for(cast.resident)
    assert resident.get(f"/api/v1/compounds/home/requests/{theirs.pk}/").status_code == 404
    ids = [r["id"] for r in resident.get("/api/v1/compounds/home/requests/").json()["results"]]
    assert ids == [mine.pk]
    staff_ids = {
        r["id"]
        for r in client_for(cast.company_staff)
        .get("/api/v1/compounds/home/requests/")
        .json()["results"]
    }
    assert staff_ids == {mine.pk, theirs.pk}
    # another compound's code with a home id: absent
    assert (
        client_for(cast.outsider_compound)
        .get(f"/api/v1/compounds/neighbour/requests/{mine.pk}/")
        .status_code
        == 404
    )


def test_transitions_comments_and_rating_over_the_api(cast):
    r = file_request(cast)
    staff = client_for(cast.company_staff)
    url = f"/api/v1/compounds/home/requests/{r.pk}/"
    answer = staff.post(
        url + "transitions/", {"action": "assign", "party": "company", "assignee": "company_staff"}
    )
    assert answer.status_code == 200 and answer.json()["state"] == "assigned"
    assert staff.post(url + "comments/", {"note": "下午到"}).status_code == 201
    answer = staff.post(url + "transitions/", {"action": "resolve", "note": "换了灯泡"})
    assert answer.json()["state"] == "resolved"
    bad = staff.post(url + "transitions/", {"action": "start"})
    assert bad.status_code == 400
    assert (
        client_for(cast.resident).post(url + "transitions/", {"action": "close"}).status_code == 403
    )
    answer = client_for(cast.resident).post(
        url + "rating/", {"rating": "not_satisfied", "reopen": True}
    )
    assert answer.status_code == 200 and answer.json()["state"] == "reopened"
    kinds = [e["kind"] for e in answer.json()["events"]]
    assert kinds[-2:] == ["rated", "reopened"]


def test_list_runs_constant_queries(cast, django_assert_max_num_queries):
    client = client_for(cast.company_staff)
    for _ in range(3):
        services.request_create(
            compound=cast.compound,
            actor=cast.resident,
            data=services.NewRequest(
                category="repairs", description="x", unit_id=resident_unit(cast).pk
            ),
            photos=[png_bytes()],
        )
    client.get("/api/v1/compounds/home/requests/")
    with django_assert_max_num_queries(6) as few:
        assert client.get("/api/v1/compounds/home/requests/").status_code == 200
    for _ in range(10):
        file_request(cast)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/compounds/home/requests/").json()["results"]) == 13


def _resolved(cast, *, received_at, responded_late=False, rating=""):
    r = file_request(cast, received_at=received_at)
    services.request_resolve(request=r, actor=cast.company_staff, result="ok")
    late = (
        r.due_at + dt.timedelta(hours=1) if responded_late else received_at + dt.timedelta(hours=1)
    )
    Request.objects.filter(pk=r.pk).update(first_response_at=late, rating=rating)
    return r


def test_rates_definitions_and_shape(cast, django_assert_max_num_queries):
    year = timezone.localdate().year - 1
    march = timezone.make_aware(dt.datetime(year, 3, 10, 9))
    _resolved(cast, received_at=march, rating=Rating.SATISFIED)
    _resolved(cast, received_at=march, rating=Rating.BASICALLY)
    _resolved(cast, received_at=march, responded_late=True, rating=Rating.SATISFIED)
    file_request(cast, received_at=march)  # never responded, long past due
    client = client_for(cast.committee)
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/v1/compounds/home/requests/rates/?year={year}")
    months = response.json()["months"]
    assert [m["month"] for m in months] == [f"{year}-{m:02d}" for m in range(1, 13)]
    assert months[0] == {
        "month": f"{year}-01",
        "received": 0,
        "response_rate": None,
        "resolution_rate": None,
        "satisfaction_rate": None,
    }
    assert months[2] == {
        "month": f"{year}-03",
        "received": 4,
        "response_rate": "50.00",
        "resolution_rate": "75.00",
        "satisfaction_rate": "66.67",
    }


def test_rates_this_year_stops_at_this_month_and_scope(cast):
    year = timezone.localdate().year
    months = (
        client_for(cast.officer)
        .get(f"/api/v1/compounds/home/requests/rates/?year={year}")
        .json()["months"]
    )
    assert len(months) == timezone.localdate().month
    assert (
        client_for(cast.resident)
        .get(f"/api/v1/compounds/home/requests/rates/?year={year}")
        .status_code
        == 404
    )
    assert (
        client_for(cast.outsider_office)
        .get(f"/api/v1/compounds/home/requests/rates/?year={year}")
        .status_code
        == 404
    )
    for bad in ("", "20x5", str(year + 1), "1999", "9" * 50):
        assert (
            client_for(cast.officer)
            .get(f"/api/v1/compounds/home/requests/rates/?year={bad}")
            .status_code
            == 400
        )


def test_rates_in_schema_with_definitions(cast):
    schema = client_for(cast.officer).get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/compounds/{code}/requests/rates/"]["get"]
    assert "响应率" in operation["description"] and "满意率" in operation["description"]
    assert "/api/v1/compounds/{code}/requests/" in schema["paths"]
