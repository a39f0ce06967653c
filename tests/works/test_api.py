"""The works API: the list and shares interfaces other tools rely on (exact shapes), the
writes for the committee and the street office, documents, scoping and refusals."""

from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from households.models import Unit
from tests.works.project_helpers import add_lift_buildings, lift_project, passed_item
from works.models import EmergencyCase, Project, ProjectDocument
from works.services.funding import FundingLineInput, funding_plan_set
from works.services.projects import project_create

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def works_url(cast, suffix=""):
    return f"/api/v1/compounds/{cast.compound.code}/works/{suffix}"


@pytest.fixture
def lift(cast):
    add_lift_buildings(cast.compound)
    return lift_project(cast)


@pytest.fixture
def small(cast):
    """A project over buildings 1 and 2 (the resident's unit 1-0101 is in it)."""
    project = project_create(
        compound=cast.compound,
        actor=cast.committee,
        title="1、2号楼屋面",
        budget="1000.00",
        building_numbers=["1", "2"],
    )
    funding_plan_set(
        project=project,
        actor=cast.committee,
        lines=[
            FundingLineInput(kind="company", payer="测试物业", amount="100.00"),
            FundingLineInput(kind="owners", amount="900.00"),
        ],
    )
    return project


def test_list_shape(cast, lift):
    item = passed_item(cast)
    Project.objects.filter(pk=lift.pk).update(status="approved", basis_item=item)
    response = client_for(cast.officer).get(works_url(cast))
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"] == [
        {
            "id": lift.pk,
            "title": "16、17号楼电梯更新",
            "status": "approved",
            "budget": "1800000.00",
            "scope": {"buildings": ["16", "17"]},
            "basis": {"item": item.pk, "emergency_case": None},
            "funding": [
                {"payer": "海淀区政府补贴", "kind": "government", "amount": "1200000.00"},
                {"payer": "天岳恒物业", "kind": "company", "amount": "200000.00"},
                {"payer": "业主自筹", "kind": "owners", "amount": "400000.00"},
            ],
        }
    ]


def test_list_emergency_case_by_code(cast, small):
    case = EmergencyCase.objects.get(code="lift-over-age")
    Project.objects.filter(pk=small.pk).update(emergency_case=case)
    row = client_for(cast.committee).get(works_url(cast)).json()["results"][0]
    assert row["basis"] == {"item": None, "emergency_case": "lift-over-age"}


def test_list_queries_constant(cast, small, django_assert_max_num_queries):
    client = client_for(cast.committee)
    client.get(works_url(cast))
    connection.queries_log.clear()  # a full log would make the count 0
    with django_assert_max_num_queries(8) as few:
        client.get(works_url(cast))
    baseline = len(few)
    assert baseline > 0
    for n in range(5):
        project_create(
            compound=cast.compound,
            actor=cast.committee,
            title=f"工程{n}",
            budget="10.00",
            building_numbers=["1", "2"],
        )
    connection.queries_log.clear()  # a full log would make the count 0
    with django_assert_max_num_queries(baseline):
        assert client.get(works_url(cast)).json()["count"] == 6


def test_list_paginated_with_the_portal_limit(cast, small):
    client = client_for(cast.committee)
    assert client.get(works_url(cast), {"limit": 501}).status_code == 400
    assert client.get(works_url(cast), {"limit": 500}).status_code == 200


def test_shares_sum_to_owners_line_and_labels_match_units_api(cast, lift):
    client = client_for(cast.committee)
    rows = []
    url = works_url(cast, f"{lift.pk}/shares/")
    while url:
        page = client.get(url, {"limit": 100} if "limit" not in url else None).json()
        rows += page["results"]
        url = page["next"]
    assert len(rows) == 216
    assert sum(Decimal(r["share"]) for r in rows) == Decimal("400000.00")
    assert set(rows[0]) == {"unit", "label", "area", "share"}
    listed = client.get(
        f"/api/v1/compounds/{cast.compound.code}/units/", {"building": "16", "limit": 500}
    ).json()["results"]
    labels = {u["id"]: u["label"] for u in listed}
    for row in rows[:108]:
        assert labels[row["unit"]] == row["label"]
    assert isinstance(rows[0]["area"], str) and isinstance(rows[0]["share"], str)


def test_resident_sees_only_own_shares(cast, small):
    own = Unit.objects.owned_by(cast.resident).get()
    rows = client_for(cast.resident).get(works_url(cast, f"{small.pk}/shares/")).json()["results"]
    assert [r["unit"] for r in rows] == [own.pk]
    assert rows[0]["share"] == "150.00"  # 900 over six equal units
    # The staff see all six.
    assert (
        client_for(cast.committee).get(works_url(cast, f"{small.pk}/shares/")).json()["count"] == 6
    )


@pytest.mark.parametrize("who", ["outsider_compound", "outsider_office", "outsider_resident"])
def test_outsiders_get_404(cast, small, who):
    client = client_for(getattr(cast, who))
    for suffix in ["", f"{small.pk}/", f"{small.pk}/shares/", f"{small.pk}/funding/"]:
        assert client.get(works_url(cast, suffix)).status_code == 404
    assert client.post(works_url(cast), {"title": "x"}, format="json").status_code == 404


def test_other_compounds_project_id_is_absent(cast, small):
    client = client_for(cast.outsider_compound)
    url = f"/api/v1/compounds/{cast.other_compound.code}/works/{small.pk}/shares/"
    assert client.get(url).status_code == 404


def _create_body(**kw):
    body = {
        "title": "17号楼外墙",
        "budget": "5000.00",
        "buildings": ["1"],
        "items": [{"name": "外墙保温", "building": "1"}],
    }
    body.update(kw)
    return body


def test_create_by_committee_and_officer_only(cast):
    for user, code in [
        (cast.committee, 201),
        (cast.officer, 201),
        (cast.company_staff, 404),
        (cast.property_unit_rep, 404),
        (cast.resident, 404),
    ]:
        response = client_for(user).post(works_url(cast), _create_body(), format="json")
        assert response.status_code == code, user
    assert Project.objects.count() == 2
    created = Project.objects.first()
    assert created.items.get().name == "外墙保温"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"budget": "-5"}, "budget"),
        ({"buildings": ["99"]}, "scope"),
        ({"buildings": []}, "scope"),
        ({"proposed_on": "2999-01-01"}, "proposed_on"),
        ({"items": [{"name": "x", "building": "99"}]}, "items"),
    ],
)
def test_create_bad_input_400_nothing_saved(cast, body, field):
    response = client_for(cast.committee).post(works_url(cast), _create_body(**body), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Project.objects.exists()


def test_create_scope_unit_of_another_compound_400(cast):
    foreign = cast.other_compound.units.first()
    response = client_for(cast.committee).post(
        works_url(cast), _create_body(buildings=[], units=[foreign.pk]), format="json"
    )
    assert response.status_code == 400
    assert not Project.objects.exists()


def test_patch_while_proposed(cast, small):
    client = client_for(cast.committee)
    response = client.patch(
        works_url(cast, f"{small.pk}/"),
        {"title": "屋面防水（修订）", "buildings": ["1"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "屋面防水（修订）"
    assert response.json()["scope"] == {"buildings": ["1"]}
    assert small.contributions.count() == 3
    assert (
        client_for(cast.company_staff)
        .patch(works_url(cast, f"{small.pk}/"), {"title": "x"}, format="json")
        .status_code
        == 404
    )


def test_put_funding_plan(cast, small):
    client = client_for(cast.committee)
    url = works_url(cast, f"{small.pk}/funding/")
    bad = client.put(
        url, {"lines": [{"kind": "government", "payer": "区", "amount": "999.99"}]}, format="json"
    )
    assert bad.status_code == 400
    assert "不等于预算" in str(bad.json())
    ok = client.put(
        url,
        {
            "budget": "1200.00",
            "lines": [
                {"kind": "government", "payer": "区政府", "amount": "600.00"},
                {"kind": "owners", "amount": "600.00"},
            ],
        },
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert [(r["kind"], r["amount"], r["raised"]) for r in ok.json()] == [
        ("government", "600.00", "0.00"),
        ("owners", "600.00", "0.00"),
    ]
    shares = client.get(works_url(cast, f"{small.pk}/shares/")).json()["results"]
    assert sum(Decimal(r["share"]) for r in shares) == Decimal("600.00")
    assert client_for(cast.company_staff).get(url).status_code == 200
    assert client_for(cast.resident).get(url).status_code == 404


def test_transitions(cast, lift):
    client = client_for(cast.committee)
    url = works_url(cast, f"{lift.pk}/transitions/")
    wrong = passed_item(cast, category=4)
    response = client.post(
        url, {"to_status": "approved", "on": "2021-10-25", "basis_item": wrong.pk}, format="json"
    )
    assert response.status_code == 400 and "类别不适用" in str(response.json())
    item = passed_item(cast)
    response = client.post(
        url, {"to_status": "approved", "on": "2021-10-25", "basis_item": item.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["basis"] == {"item": item.pk, "emergency_case": None}
    response = client.post(url, {"to_status": "contracted", "on": "2022-01-10"}, format="json")
    assert response.status_code == 400 and "contractor" in response.json()
    response = client.post(
        url,
        {
            "to_status": "contracted",
            "on": "2022-01-10",
            "contractor": "某电梯公司",
            "contract_sum": "1790000.00",
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["contract_sum"] == "1790000.00"
    assert response.json()["contracted_on"] == "2022-01-10"
    assert (
        client_for(cast.company_staff)
        .post(url, {"to_status": "in_progress"}, format="json")
        .status_code
        == 404
    )


def test_transition_foreign_item_400(cast, small):
    from voting import services as vote_services

    decision = vote_services.decision_create(
        compound=cast.other_compound, actor=cast.outsider_compound, title="别人的"
    )
    foreign = vote_services.item_add(
        decision=decision, actor=cast.outsider_compound, title="x", category=7, building_ids=None
    )
    response = client_for(cast.committee).post(
        works_url(cast, f"{small.pk}/transitions/"),
        {"to_status": "approved", "basis_item": foreign.pk},
        format="json",
    )
    assert response.status_code == 400
    assert Project.objects.get(pk=small.pk).status == "proposed"


def test_documents_upload_and_download(cast, small, settings):
    url = works_url(cast, f"{small.pk}/documents/")
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(user, content, name="合同.pdf"):
        return client_for(user).post(
            url,
            {"kind": "contract", "title": "施工合同", "file": SimpleUploadedFile(name, content)},
            format="multipart",
        )

    response = upload(cast.company_staff, PDF)
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == "application/pdf"
    assert upload(cast.company_staff, b"GIF89a fake", name="x.pdf").status_code == 400
    settings.WORKS_DOCUMENT_MAX_BYTES = 10
    assert upload(cast.committee, PDF).status_code == 400
    assert upload(cast.resident, PDF).status_code == 404
    assert ProjectDocument.objects.count() == 1
    document = ProjectDocument.objects.get()
    file_url = works_url(cast, f"{small.pk}/documents/{document.pk}/file/")
    response = client_for(cast.property_unit_rep).get(file_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client_for(cast.resident).get(file_url).status_code == 404
    assert client_for(cast.outsider_compound).get(file_url).status_code == 404


def test_schema_lists_the_works_paths(cast):
    response = client_for(cast.officer).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    for path in [
        "/api/v1/compounds/{code}/works/",
        "/api/v1/compounds/{code}/works/{project_id}/shares/",
        "/api/v1/compounds/{code}/works/{project_id}/transitions/",
        "/api/v1/compounds/{code}/works/{project_id}/funding/",
    ]:
        assert path in paths
