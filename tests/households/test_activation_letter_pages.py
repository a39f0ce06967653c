"""Activation letters through the API and the pages: shapes, refusals, files, access."""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from households.models import ActivationCode, ActivationLetterJob, LetterJobStatus
from households.services import letters
from portal.codes import code_parse, secret_matches
from tests.factories import make_compound

CODE = re.compile(r"[2-9A-Z]{5}-[2-9A-Z]{5}-[2-9A-Z]{5}")
START = "api-activation-letters"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _session_api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_api_prints_a_building_and_its_file_reads_back(
    cast, django_capture_on_commit_callbacks
):
    client = _session_api(cast.committee)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse(START, args=["home"]), {"buildings": ["1"]}, format="json")
    assert started.status_code == 202, started.content
    assert set(started.json()) == {"id", "status"}
    job_id = started.json()["id"]
    body = client.get(reverse("api-activation-letter-job", args=["home", job_id])).json()
    assert set(body) >= {"status", "done", "total", "files"}
    assert body["status"] == "done" and body["done"] == body["total"] == 3
    assert len(body["files"]) == 1
    pdf = client.get(body["files"][0])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages
    units = client.get(reverse("api-unit-list", args=["home"]), {"building": "1"}).json()
    labels = {u["label"] for u in units.get("results", units)}
    printed = {}
    for page in pages:
        text = page.extract_text()
        label = next(li for li in text.splitlines() if li.startswith("房屋"))[2:].strip()
        printed[label] = CODE.search(text).group(0)
    assert set(printed) == labels
    for label, code in printed.items():
        selector, secret = code_parse(code)
        stored = ActivationCode.objects.get(selector=selector)
        assert stored.unit.label == label and secret_matches(secret, stored.secret_hash)


@pytest.mark.django_db
def test_the_api_with_a_token_gets_the_file_too(cast, django_capture_on_commit_callbacks):
    client = _api(cast.officer)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = client.post(reverse(START, args=["home"]), {"buildings": ["2"]}, format="json")
    body = client.get(
        reverse("api-activation-letter-job", args=["home", job_id.json()["id"]])
    ).json()
    response = client.get(body["files"][0])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(
    "payload, reason",
    [
        ({"buildings": []}, "buildings"),
        ({"buildings": ["99"]}, "99"),
        ({"buildings": ["1"] * 10_000}, "buildings"),
        ({"buildings": "1"}, "buildings"),
        ({}, "buildings"),
        ({"buildings": [None]}, "buildings"),
    ],
)
@pytest.mark.django_db
def test_bad_requests_are_refused_and_nothing_starts(cast, payload, reason):
    response = _api(cast.committee).post(reverse(START, args=["home"]), payload, format="json")
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not ActivationLetterJob.objects.exists() and not ActivationCode.objects.exists()


@pytest.mark.django_db
def test_another_compounds_building_number_is_unknown_here(cast):
    """Building "9" exists only in another compound: it is an unknown number here."""
    make_compound(cast.office, "nine", buildings=9, units_per_building=1)
    response = _api(cast.committee).post(
        reverse(START, args=["home"]), {"buildings": ["9"]}, format="json"
    )
    assert response.status_code == 400 and "9" in response.json()["buildings"][0]
    assert not ActivationLetterJob.objects.exists()


@pytest.mark.django_db
def test_the_reason_is_in_english_too(cast):
    response = _api(cast.committee).post(
        reverse(START, args=["home"]),
        {"buildings": ["99"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "99" in response.content.decode()


@pytest.mark.parametrize("who", ["company_staff", "property_unit_rep", "resident"])
@pytest.mark.django_db
def test_other_roles_of_the_compound_get_404(cast, who):
    user = getattr(cast, who)
    response = _api(user).post(reverse(START, args=["home"]), {"buildings": ["1"]}, format="json")
    assert response.status_code == 404
    client = _session_api(user)
    assert client.get(reverse("letters", args=["home"])).status_code == 404
    assert not ActivationLetterJob.objects.exists()


@pytest.mark.django_db
def test_outsiders_get_404_for_a_job_and_its_file(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = letters.activation_letters_start(
            compound=cast.compound,
            buildings=letters.letter_buildings(cast.compound, ["1"]),
            actor=cast.committee,
        )
    for user in cast.outsiders.values():
        client = _session_api(user)
        for url in (
            reverse("api-activation-letter-job", args=["home", job.pk]),
            reverse("api-activation-letter-file", args=["home", job.pk, "1"]),
            reverse("letter_job", args=["home", job.pk]),
            reverse("letter_file", args=["home", job.pk, "1"]),
        ):
            assert client.get(url).status_code == 404, (user, url)
    # another compound's committee, asking with its own code for the home job
    other = _session_api(cast.outsider_compound)
    url = reverse("api-activation-letter-job", args=["neighbour", job.pk])
    assert other.get(url).status_code == 404


@pytest.mark.django_db
def test_the_page_prints_and_shows_progress_and_files(
    cast, client, django_capture_on_commit_callbacks
):
    client.force_login(cast.officer)
    page = client.get(reverse("letters", args=["home"]))
    assert page.status_code == 200 and 'value="1"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("letters", args=["home"]), {"buildings": ["1", "2"]})
    job = ActivationLetterJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("letter_job", args=["home", job.pk])
    text = client.get(response["Location"]).content.decode()
    assert 'id="letter-done">6<' in text and 'id="letter-total">6<' in text
    assert reverse("letter_file", args=["home", job.pk, "2"]) in text
    state = client.get(reverse("letter_job_status", args=["home", job.pk])).json()
    assert state["status"] == LetterJobStatus.DONE and state["progress"] == 100
    assert [f["building"] for f in state["files"]] == ["1号楼", "2号楼"]
    pdf = client.get(state["files"][0]["url"])
    assert pdf["Content-Type"] == "application/pdf"
    history = client.get(reverse("letters", args=["home"])).content.decode()
    assert reverse("letter_job", args=["home", job.pk]) in history


@pytest.mark.django_db
def test_the_page_refuses_an_empty_choice_with_the_reason(cast, client):
    client.force_login(cast.committee)
    response = client.post(reverse("letters", args=["home"]), {})
    assert response.status_code == 400
    assert "请至少选择一个楼栋" in response.content.decode()
    response = client.post(reverse("letters", args=["home"]), {"buildings": ["77"]})
    assert response.status_code == 400
    assert not ActivationLetterJob.objects.exists()


@pytest.mark.django_db
def test_a_queued_job_reports_queued_and_continue_requeues(cast, client):
    job = letters.activation_letters_start(
        compound=cast.compound,
        buildings=letters.letter_buildings(cast.compound, ["1"]),
        actor=cast.committee,
    )  # no commit in this test: nothing rendered
    api = _session_api(cast.committee)
    body = api.get(reverse("api-activation-letter-job", args=["home", job.pk])).json()
    assert body == {"id": job.pk, "status": "queued", "done": 0, "total": 3, "files": []}
    client.force_login(cast.committee)
    page = client.get(reverse("letter_job", args=["home", job.pk])).content.decode()
    assert "1 个楼栋排队等待生成" in page


def _history_queries(client, code: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("letters", args=[code])).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_letters_page_runs_the_same_queries_at_two_sizes(
    cast, client, django_capture_on_commit_callbacks
):
    from households.models import Building

    client.force_login(cast.officer)

    def print_all() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            letters.activation_letters_start(
                compound=cast.compound,
                buildings=list(Building.objects.filter(compound=cast.compound)),
                actor=cast.officer,
            )

    print_all()
    small = _history_queries(client, "home")
    print_all()
    print_all()
    big = _history_queries(client, "home")
    assert big == small
