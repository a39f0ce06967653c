"""Once the resident has voted on every item (or voting is over), the ballot page shows
their choices and receipt codes instead of a form whose submit button would only fail."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from voting import selectors, services
from voting.models import Decision

from .helpers import close, make_decision


def _page(client, decision):
    return client.get(reverse("voting:ballot", args=["home", decision.pk])).content.decode()


def _cast(cast, decision, *items):
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    return services.ballot_cast(
        decision=decision,
        entry=entry,
        user=cast.resident,
        choices={item.pk: "agree" for item in items},
    )


def test_after_voting_on_every_item_the_page_shows_receipts_not_the_form(client, cast):
    decision = make_decision(cast, items=((4, None), (4, None)))
    first, second = decision.items.order_by("position")
    client.force_login(cast.resident)
    assert "提交选票" in _page(client, decision)
    _cast(cast, decision, first)
    partly = _page(client, decision)
    assert "提交选票" in partly and f'name="item_{second.pk}"' in partly
    assert f'name="item_{first.pk}"' not in partly  # already cast: no radios for it
    (ballot,) = _cast(cast, decision, second)
    done = _page(client, decision)
    assert "提交选票" not in done and "<form" not in done.split("<main")[-1].split("</main>")[0]
    assert "您已对全部事项投票" in done and ballot.receipt_code in done


def test_a_decision_that_allows_changes_offers_to_change_the_ballot(client, cast):
    decision = make_decision(cast, allow_changes_until_close=True)
    _cast(cast, decision, decision.items.get())
    client.force_login(cast.resident)
    page = _page(client, decision)
    assert "修改选票" in page and "提交选票" not in page


def test_after_the_close_no_form_is_shown(client, cast):
    decision = make_decision(cast)
    client.force_login(cast.resident)
    Decision.objects.filter(pk=decision.pk).update(
        voting_closes_at=timezone.now() - dt.timedelta(minutes=1)
    )
    expired = _page(client, decision)  # still "open" until closed, but past its end
    assert "提交选票" not in expired and "当前不在投票期内" in expired
    close(decision, cast)
    closed = _page(client, decision)
    assert "提交选票" not in closed and "当前不在投票期内" in closed
