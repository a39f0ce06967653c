"""The turnout, keyings and review exports, long ones in the background (portal.exports):
the file the task writes is the one the request would have streamed, and a user who is
no longer a manager when it runs gets none."""

import pytest
from django.urls import reverse

from portal.models import ExportFile, ExportState, Membership
from tests.portal.helpers import exported_in_background_as_inline
from voting import services

from .helpers import make_decision

pytestmark = pytest.mark.django_db


def _mismatches(decision, cast, second) -> None:
    item = decision.items.get()
    for number in (1, 2, 3):
        code = decision.roll.get(number=number).ballot_code
        for actor, choice in ((cast.committee, "agree"), (second, "disagree")):
            services.paper_entry_record(
                decision=decision, ballot_code=code, actor=actor, choices={item.pk: choice}
            )


@pytest.mark.parametrize(
    ("route", "name", "params"),
    [
        ("voting:turnout", "voting.turnout", {"voted": "no"}),
        ("voting:paper_entry", "voting.paper_entries", {"status": "mismatch"}),
        ("voting:review", "voting.review", {}),
    ],
)
def test_a_long_voting_list_is_exported_in_the_background_as_the_same_file(
    cast,
    client,
    settings,
    second_committee,
    django_capture_on_commit_callbacks,
    route,
    name,
    params,
):
    decision = make_decision(cast)
    _mismatches(decision, cast, second_committee)
    client.force_login(cast.committee)
    url = reverse(route, args=[cast.compound.code, decision.pk])
    job = exported_in_background_as_inline(
        client, settings, django_capture_on_commit_callbacks, url, params, name
    )
    assert job.params["decision_id"] == str(decision.pk)


def test_a_manager_no_more_when_the_task_runs_gets_no_file(
    cast, client, settings, second_committee, django_capture_on_commit_callbacks
):
    decision = make_decision(cast)
    _mismatches(decision, cast, second_committee)
    client.force_login(cast.committee)
    settings.EXPORT_INLINE_ROWS = 1
    url = reverse("voting:paper_entry", args=[cast.compound.code, decision.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.get(url, {"export": "xlsx"}).status_code == 302
    Membership.objects.filter(user=cast.committee).delete()
    for callback in callbacks:
        callback()
    job = ExportFile.objects.get()
    assert job.state == ExportState.FAILED and not job.file
