"""Property-right units page: list, add, record the transfer; who may; bad input."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Owner, Ownership, PropertyRightUnit, TransferStatus
from households.services import property_right_unit_create, property_right_unit_update
from portal.models import AuditEntry
from tests.factories import make_user


def list_url(code: str = "home") -> str:
    return reverse("property_right_units", args=[code])


def edit_url(pru: PropertyRightUnit, code: str = "home") -> str:
    return reverse("property_right_unit_edit", args=[code, pru.pk])


def transferred(**extra) -> dict:
    return {
        "name": "北京某厂",
        "transfer_status": "transferred",
        "transfer_date": "2019-06-30",
        "receiver": "首开集团",
        **extra,
    }


def test_list_shows_status_receiver_representative_and_units_held_now(cast, client):
    pru = PropertyRightUnit.objects.create(
        compound=cast.compound,
        name="北京某研究所",
        representative=make_user("rep", first_name="王代表"),
    )
    holder = Owner.objects.create(compound=cast.compound, name=pru.name, property_right_unit=pru)
    units = list(cast.compound.units.all()[:3])
    for unit in units:
        Ownership.objects.create(
            compound=cast.compound, unit=unit, owner=holder, valid_from=dt.date(2020, 1, 1)
        )
    # A unit sold since: not held now.
    Ownership.objects.filter(owner=holder, unit=units[0]).update(valid_to=dt.date(2021, 1, 1))
    PropertyRightUnit.objects.create(
        compound=cast.compound,
        name="北京某厂",
        transfer_status=TransferStatus.TRANSFERRED,
        transfer_date=dt.date(2019, 6, 30),
        receiver="首开集团",
    )
    client.force_login(cast.officer)
    response = client.get(list_url())
    assert response.status_code == 200
    page = response.content.decode()
    table = page.split('id="property-right-units"')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    assert "北京某厂" in rows[0] and "已移交" in rows[0]
    assert "2019-06-30" in rows[0] and "首开集团" in rows[0]
    assert '<td class="num">0</td>' in rows[0]
    assert "北京某研究所" in rows[1] and "未移交" in rows[1] and "王代表" in rows[1]
    assert '<td class="num">2</td>' in rows[1]
    assert edit_url(pru) in page


def test_committee_member_adds_a_unit_and_it_is_audited(cast, client):
    client.force_login(cast.committee)
    response = client.post(list_url(), transferred())
    assert response.status_code == 302 and response["Location"] == list_url()
    pru = cast.compound.property_right_units.get(name="北京某厂")
    assert (pru.transfer_status, pru.transfer_date, pru.receiver) == (
        "transferred",
        dt.date(2019, 6, 30),
        "首开集团",
    )
    entry = AuditEntry.objects.get(action="property_right_unit.create")
    assert (entry.compound, entry.actor, entry.object_id) == (
        cast.compound,
        cast.committee,
        str(pru.pk),
    )
    assert "已添加产权单位：北京某厂" in client.get(list_url()).content.decode()


def test_a_name_may_repeat_in_another_compound_but_not_in_the_same(cast, client):
    PropertyRightUnit.objects.create(compound=cast.other_compound, name="北京某厂")
    client.force_login(cast.committee)
    assert (
        client.post(list_url(), {"name": "北京某厂", "transfer_status": "retained"}).status_code
        == 302
    )
    again = client.post(list_url(), {"name": " 北京某厂 ", "transfer_status": "retained"})
    assert again.status_code == 400
    assert "产权单位“北京某厂”已存在" in again.content.decode()
    assert cast.compound.property_right_units.filter(name="北京某厂").count() == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (transferred(transfer_date=""), "已移交的产权单位须填写移交日期"),
        (transferred(receiver=""), "已移交的产权单位须填写接收单位"),
        (transferred(transfer_date="2999-01-01"), "移交日期不能晚于今天"),
        (transferred(transfer_status="retained"), "未移交的产权单位不能填写移交日期"),
        (transferred(transfer_date="2019-02-30"), "移交日期不是有效日期"),
        (transferred(name=""), "请填写产权单位名称"),
        (transferred(transfer_status="sold"), "移交状态只能是"),
    ],
)
def test_bad_input_is_refused_plainly_and_nothing_is_saved(cast, client, data, words):
    client.force_login(cast.officer)
    before = PropertyRightUnit.objects.count(), AuditEntry.objects.count()
    response = client.post(list_url(), data)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert (PropertyRightUnit.objects.count(), AuditEntry.objects.count()) == before


def test_record_the_transfer_of_a_unit_that_kept_its_assets(cast, client):
    pru = PropertyRightUnit.objects.create(compound=cast.compound, name="北京某厂")
    client.force_login(cast.officer)
    page = client.get(edit_url(pru))
    assert page.status_code == 200 and "北京某厂" in page.content.decode()
    data = {"transfer_status": "transferred", "transfer_date": "2019-06-30", "receiver": "首开集团"}
    response = client.post(edit_url(pru), data)
    assert response.status_code == 302 and response["Location"] == list_url()
    pru.refresh_from_db()
    assert (pru.transfer_status, pru.transfer_date, pru.receiver) == (
        "transferred",
        dt.date(2019, 6, 30),
        "首开集团",
    )
    entry = AuditEntry.objects.get(action="property_right_unit.update")
    assert entry.data["before"]["transfer_status"] == "retained"
    assert entry.data["after"] == {
        "transfer_status": "transferred",
        "transfer_date": "2019-06-30",
        "receiver": "首开集团",
    }


def test_a_bad_edit_changes_nothing(cast, client):
    pru = PropertyRightUnit.objects.create(compound=cast.compound, name="北京某厂", receiver="x")
    client.force_login(cast.committee)
    response = client.post(
        edit_url(pru), {"transfer_status": "transferred", "transfer_date": "", "receiver": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "已移交的产权单位须填写移交日期" in page and "已移交的产权单位须填写接收单位" in page
    pru.refresh_from_db()
    assert (pru.transfer_status, pru.transfer_date, pru.receiver) == ("retained", None, "x")
    assert not AuditEntry.objects.filter(action="property_right_unit.update").exists()


def test_services_check_the_date_against_today(cast):
    today = dt.date(2021, 12, 10)
    pru = property_right_unit_create(
        compound=cast.compound,
        name="北京某厂",
        transfer_status=TransferStatus.TRANSFERRED,
        transfer_date=today,
        receiver=" 首开集团 ",
        today=today,
    )
    assert pru.receiver == "首开集团"
    with pytest.raises(Exception) as exc:
        property_right_unit_update(
            property_right_unit=pru,
            transfer_status=TransferStatus.TRANSFERRED,
            transfer_date=today + dt.timedelta(days=1),
            receiver="首开集团",
            today=today,
        )
    assert exc.value.message_dict == {"transfer_date": ["移交日期不能晚于今天（2021-12-10）"]}
    # Back to "retained": date cleared by the caller, receiver kept.
    property_right_unit_update(
        property_right_unit=pru,
        transfer_status=TransferStatus.RETAINED,
        transfer_date=None,
        receiver="首开集团",
        today=timezone.localdate(),
    )
    pru.refresh_from_db()
    assert (pru.transfer_status, pru.transfer_date) == ("retained", None)


def test_compound_page_links_the_page_for_those_who_keep_the_register(cast, client):
    compound_url = reverse("compound", args=["home"])
    for who in ("committee", "officer"):
        client.force_login(getattr(cast, who))
        assert list_url() in client.get(compound_url).content.decode()
    client.force_login(cast.company_staff)
    assert list_url() not in client.get(compound_url).content.decode()


@pytest.mark.parametrize(
    "who",
    [
        "outsider_compound",
        "outsider_office",
        "outsider_resident",
        "resident",
        "company_staff",
        "property_unit_rep",
    ],
)
def test_everyone_else_gets_404_and_changes_nothing(cast, client, who):
    pru = PropertyRightUnit.objects.create(compound=cast.compound, name="北京某厂")
    client.force_login(getattr(cast, who))
    for target in (list_url(), edit_url(pru)):
        assert client.get(target).status_code == 404
        assert client.post(target, transferred(name="新单位")).status_code == 404
    pru.refresh_from_db()
    assert pru.transfer_status == "retained"
    assert PropertyRightUnit.objects.count() == 1


def test_a_unit_of_another_compound_is_absent_under_ones_own_code(cast, client):
    """The neighbour's committee member asks with their own code and home's unit id."""
    pru = PropertyRightUnit.objects.create(compound=cast.compound, name="北京某厂")
    client.force_login(cast.outsider_compound)
    target = edit_url(pru, code="neighbour")
    assert client.get(target).status_code == 404
    assert client.post(target, transferred()).status_code == 404
    pru.refresh_from_db()
    assert pru.transfer_status == "retained"


def test_anonymous_is_sent_to_login(cast, client):
    pru = PropertyRightUnit.objects.create(compound=cast.compound, name="北京某厂")
    for target in (list_url(), edit_url(pru)):
        response = client.get(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
