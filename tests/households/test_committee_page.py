"""The committee page: members listed by rank, then name; composition checked."""

import datetime as dt

from django.urls import reverse

from households.models import Committee, CommitteeMember, CommitteeRole


def make_committee(compound) -> Committee:
    committee = Committee.objects.create(
        compound=compound, formed_on=dt.date(2021, 5, 1), term_end=dt.date(2024, 4, 30)
    )
    # Created out of rank order on purpose; role codes sort chair < member < owner_rep <
    # vice_chair, which is not how a committee is listed.
    for name, role in [
        ("委员2", CommitteeRole.MEMBER),
        ("副主任", CommitteeRole.VICE_CHAIR),
        ("代表2", CommitteeRole.OWNER_REPRESENTATIVE),
        ("委员1", CommitteeRole.MEMBER),
        ("代表3", CommitteeRole.OWNER_REPRESENTATIVE),
        ("主任", CommitteeRole.CHAIR),
        ("代表1", CommitteeRole.OWNER_REPRESENTATIVE),
    ]:
        CommitteeMember.objects.create(
            compound=compound,
            committee=committee,
            name=name,
            role=role,
            term_start=committee.formed_on,
            term_end=committee.term_end,
        )
    return committee


def test_members_are_listed_chair_vice_chair_owner_representatives_members(
    cast, client, django_assert_max_num_queries
):
    make_committee(cast.compound)
    client.force_login(cast.committee)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("committee", args=["home"]))
    assert response.status_code == 200
    page = response.content.decode()
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    listed = [row.split("<td>")[1].split("</td>")[0] for row in table.split("<tr>")[1:]]
    assert listed == ["主任", "副主任", "代表1", "代表2", "代表3", "委员1", "委员2"]
    # Three owner representatives of seven members: fewer than half (BJ 54).
    assert "业主代表不足半数 (3/7)" in page
