"""Receipts of works projects: the service's checks, idempotency and the contribution it
pays into; progress per line; the receipts page and API, scoped to the compound."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry
from tests.works.lift_project import make_lift_project
from works import receipt_selectors
from works.models import Contribution, FundingKind, Receipt
from works.services.receipts import receipt_record

pytestmark = pytest.mark.django_db

DAY = dt.date(2022, 3, 1)


@pytest.fixture
def project(cast):
    return make_lift_project(cast.compound)


def _owners(project):
    return project.funding.get(kind=FundingKind.OWNERS)


def _first_unit(cast):
    return cast.compound.units.select_related("building").order_by("building__number", "number")[0]


def _record(cast, project, **kw):
    values = {
        "compound": cast.compound,
        "project": project,
        "line": _owners(project),
        "unit": _first_unit(cast),
        "amount": "100.00",
        "received_on": DAY,
        "idempotency_key": "k-1",
        "reference": "TX1",
        "actor": cast.company_staff,
    }
    values.update(kw)
    return receipt_record(**values)


def test_owner_receipt_raises_the_contribution_and_is_audited(cast, project):
    receipt = _record(cast, project)
    contribution = Contribution.objects.get(project=project, unit=_first_unit(cast))
    assert receipt.contribution_id == contribution.pk
    assert contribution.paid == Decimal("100.00")
    assert not receipt.was_replayed
    entry = AuditEntry.objects.filter(action="works.receipt_record").get()
    assert entry.data["amount"] == "100.00"


def test_same_key_same_data_returns_the_first_receipt(cast, project):
    first = _record(cast, project)
    again = _record(cast, project)
    assert again.pk == first.pk and again.was_replayed
    assert Contribution.objects.get(pk=first.contribution_id).paid == Decimal("100.00")
    assert Receipt.objects.count() == 1


def test_same_key_other_data_is_refused(cast, project):
    _record(cast, project)
    with pytest.raises(ValidationError) as exc:
        _record(cast, project, amount="50.00")
    assert "idempotency_key" in exc.value.message_dict
    assert Receipt.objects.count() == 1


def test_not_above_the_units_outstanding_share(cast, project):
    contribution = Contribution.objects.get(project=project, unit=_first_unit(cast))
    _record(cast, project, amount=contribution.share - Decimal("10"))
    with pytest.raises(ValidationError) as exc:
        _record(cast, project, amount="10.01", idempotency_key="k-2")
    assert "10.00" in exc.value.message_dict["amount"][0]
    _record(cast, project, amount="10.00", idempotency_key="k-3")
    contribution.refresh_from_db()
    assert contribution.paid == contribution.share


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("amount", "-5", "amount"),
        ("amount", "0", "amount"),
        ("amount", "1.001", "amount"),
        ("amount", "abc", "amount"),
        ("received_on", timezone.localdate() + dt.timedelta(days=1), "received_on"),
        ("received_on", dt.date(2020, 1, 1), "received_on"),
        ("idempotency_key", "", "idempotency_key"),
        ("idempotency_key", "x" * 65, "idempotency_key"),
        ("method", "gold", "method"),
        ("unit", None, "unit"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(cast, project, field, value, error):
    with pytest.raises(ValidationError) as exc:
        _record(cast, project, **{field: value})
    assert error in exc.value.message_dict
    assert not Receipt.objects.exists()
    assert not Contribution.objects.filter(paid__gt=0).exists()


def test_unit_of_another_compound_or_outside_scope_is_refused(cast, project):
    stranger = cast.other_compound.units.first()
    with pytest.raises(ValidationError) as exc:
        _record(cast, project, unit=stranger)
    assert "unit" in exc.value.message_dict
    project.contributions.filter(unit=_first_unit(cast)).delete()
    with pytest.raises(ValidationError) as exc:
        _record(cast, project)
    assert "不在本工程" in exc.value.message_dict["unit"][0]


def test_other_line_receipts_are_capped_by_the_line(cast, project):
    government = project.funding.get(kind=FundingKind.GOVERNMENT)
    _record(cast, project, line=government, unit=None, amount="2500.00")
    with pytest.raises(ValidationError) as exc:
        _record(cast, project, line=government, unit=None, amount="500.01", idempotency_key="g2")
    assert "500.00" in exc.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as exc:
        _record(cast, project, line=government, idempotency_key="g3")
    assert "unit" in exc.value.message_dict


def test_another_projects_line_and_an_unapproved_project_are_refused(cast, project):
    other = make_lift_project(cast.compound, title="另一工程", status="proposed")
    with pytest.raises(ValidationError) as exc:
        _record(cast, project, line=_owners(other))
    assert "line" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _record(cast, other, line=_owners(other))
    assert "project" in exc.value.message_dict


def test_progress_per_line_in_one_query(cast, project, django_assert_num_queries):
    government = project.funding.get(kind=FundingKind.GOVERNMENT)
    _record(cast, project, line=government, unit=None, amount="3000.00", idempotency_key="g")
    contribution = Contribution.objects.get(project=project, unit=_first_unit(cast))
    _record(cast, project, amount=contribution.share)
    with django_assert_num_queries(1):
        progress = receipt_selectors.project_progress(cast.compound, project)
    by_kind = {line.kind: line for line in progress.lines}
    assert by_kind["government"].raised == Decimal("3000.00")
    assert by_kind["government"].percent == Decimal("100.00")
    assert by_kind["company"].raised == Decimal("0")
    assert by_kind["owners"].raised == contribution.share
    assert (by_kind["owners"].units, by_kind["owners"].units_paid) == (6, 1)
    assert progress.raised == Decimal("3000.00") + contribution.share


def test_owner_contributions_show_only_the_residents_units(cast, project):
    _record(cast, project)
    rows = receipt_selectors.owner_contributions(cast.compound, cast.resident)
    assert len(rows) == 1
    assert rows[0].paid == Decimal("100.00")
    assert rows[0].unit_label == _first_unit(cast).label
    assert receipt_selectors.owner_contributions(cast.compound, cast.outsider_resident) == []


# ---------------------------------------------------------------- pages and API


def _api(cast, project):
    return reverse("api-works-receipts", args=[cast.compound.code, project.pk])


def test_api_post_and_list(client, cast, project):
    client.force_login(cast.company_staff)
    unit = _first_unit(cast)
    body = {
        "line": _owners(project).pk,
        "unit": unit.pk,
        "amount": "120.50",
        "received_on": "2022-03-01",
        "method": "bank",
        "reference": "TX9",
        "idempotency_key": "api-1",
    }
    response = client.post(_api(cast, project), body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "120.50"
    assert response.json()["unit_label"] == unit.label
    again = client.post(_api(cast, project), body, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    body["amount"] = "99999.00"
    body["idempotency_key"] = "api-2"
    refused = client.post(_api(cast, project), body, content_type="application/json")
    assert refused.status_code == 400 and "amount" in refused.json()
    listed = client.get(_api(cast, project)).json()
    assert [r["amount"] for r in listed["results"]] == ["120.50"]


def test_api_scoping(client, cast, project):
    body = {"line": _owners(project).pk, "amount": "1", "received_on": "2022-03-01"}
    for user in (cast.outsider_compound, cast.outsider_office, cast.resident):
        client.force_login(user)
        assert client.get(_api(cast, project)).status_code == 404
        response = client.post(_api(cast, project), body, content_type="application/json")
        assert response.status_code == 404
    client.force_login(cast.officer)  # reads, does not record
    assert client.get(_api(cast, project)).status_code == 200
    assert (
        client.post(_api(cast, project), body, content_type="application/json").status_code == 404
    )


def test_receipt_page_records_and_searches(client, cast, project, django_assert_max_num_queries):
    client.force_login(cast.committee)
    url = reverse("works:receipts", args=[cast.compound.code, project.pk])
    unit = _first_unit(cast)
    response = client.post(
        url,
        {
            "line": _owners(project).pk,
            "building": unit.building.number,
            "unit_number": unit.number,
            "amount": "80.00",
            "received_on": "2022-03-02",
            "method": "cash",
            "idempotency_key": "page-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Contribution.objects.get(project=project, unit=unit).paid == Decimal("80.00")
    with django_assert_max_num_queries(14):
        page = client.get(url, {"q": unit.building.number})
    assert page.status_code == 200
    assert "80.00" in page.content.decode()
    bad = client.post(
        url,
        {
            "line": _owners(project).pk,
            "building": "9",
            "unit_number": "9999",
            "amount": "80.00",
            "received_on": "2022-03-02",
            "method": "cash",
            "idempotency_key": "page-2",
        },
    )
    assert bad.status_code == 400
    assert Receipt.objects.count() == 1


def test_receipt_page_is_for_the_compounds_committee_and_company(client, cast, project):
    url = reverse("works:receipts", args=[cast.compound.code, project.pk])
    for user in (cast.resident, cast.outsider_compound, cast.outsider_office):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(cast.company_staff)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("amount", ["100.00", "full"])
def test_a_receipt_racing_its_twin_answers_as_a_replay(cast, project, amount):
    """The twin (same key, same data) commits right after this request's first key
    look-up found nothing: this request answers with the twin's receipt, whether it then
    collides on the key or finds the share already paid."""
    from django.db import connection

    contribution = Contribution.objects.get(project=project, unit=_first_unit(cast))
    value = contribution.share if amount == "full" else amount
    state = {"fired": False, "twin": None}

    def hook(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if (
            not state["fired"]
            and 'FROM "works_receipt"' in sql
            and '"idempotency_key" =' in sql
            and sql.lstrip().upper().startswith("SELECT")
        ):
            state["fired"] = True
            state["twin"] = _record(cast, project, amount=value)
        return result

    with connection.execute_wrapper(hook):
        receipt = _record(cast, project, amount=value)
    assert state["fired"]
    assert receipt.pk == state["twin"].pk and receipt.was_replayed
    assert Receipt.objects.count() == 1
    contribution.refresh_from_db()
    assert contribution.paid == Decimal(str(value))
