"""Issue 10 item 9: a state change without an actor (a scheduled job, a system action) is
shown as the system (系统), never answered with a 500."""

import pytest
from django.urls import reverse
from django.utils import translation

from voting import pdf, selectors
from voting.models import StateChange

from .helpers import make_decision, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def system_moved(cast):
    """A published decision whose announcement and opening no person made."""
    decision = publish(make_decision(cast), cast)
    StateChange.objects.filter(decision=decision, to_state__in=["announced", "open"]).update(
        actor=None
    )
    return decision


def test_the_decision_page_shows_system_for_a_change_without_actor(client, cast, system_moved):
    client.force_login(cast.committee)
    response = client.get(reverse("voting:decision", args=["home", system_moved.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<td>系统</td>") == 2
    name = cast.committee.get_full_name() or cast.committee.username
    assert page.count(f"<td>{name}</td>") == 3  # closed, counted, published by the member


def test_system_reads_in_the_language_of_the_page(client, cast, system_moved):
    client.force_login(cast.committee)
    response = client.get(
        reverse("voting:decision", args=["home", system_moved.pk]),
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    with translation.override("en"):
        system = translation.gettext("系统")
    assert response.content.decode().count(f"<td>{system}</td>") == 2


def test_the_report_lists_the_changes_with_system_for_a_missing_actor(system_moved):
    html = pdf.tally_report_html(selectors.tally_report(system_moved))
    assert html.count("<td>系统</td>") == 2
    assert "程序记录" in html
