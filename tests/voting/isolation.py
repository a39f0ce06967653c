"""URL kwargs of the voting app for the isolation walk (tests/isolation.py)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.isolation import per_cast, register_kwarg, register_markers, register_query
from tests.voting.helpers import make_decision, publish
from voting import selectors, services


@per_cast
def home_decision(cast):
    """A published decision of home with the resident's online ballot."""
    decision = make_decision(cast, title="home 选聘物业表决")
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    services.ballot_cast(
        decision=decision,
        entry=entry,
        user=cast.resident,
        choices={decision.items.get().pk: "agree"},
    )
    return publish(decision, cast)


@per_cast
def home_decision_with_report(cast):
    decision = home_decision(cast)
    services.tally_report_request(decision=decision, actor=cast.committee)
    services.tally_report_render(decision_id=decision.pk)
    return decision


@per_cast
def home_proxy(cast):
    """An active proxy on an open decision of home (proxies exist only while voting)."""
    decision = make_decision(cast, title="home 委托投票表决")
    return services.proxy_register(
        decision=decision,
        entry=decision.roll.order_by("number").first(),
        actor=cast.committee,
        holder_name="home受托人甲",
        authorisation=SimpleUploadedFile("auth.pdf", b"%PDF-1.4 signed", "application/pdf"),
    )


register_kwarg("decision_id", lambda cast: home_decision(cast).pk)
register_kwarg(
    "decision_id", lambda cast: home_proxy(cast).decision_id, route="voting:proxy_revoke"
)
register_kwarg("proxy_id", lambda cast: home_proxy(cast).pk, route="voting:proxy_revoke")
for _route in ("api-decision-proxies", "api-decision-proxy-revoke"):
    register_kwarg("decision_id", lambda cast: home_proxy(cast).decision_id, route=_route)
register_kwarg("proxy_id", lambda cast: home_proxy(cast).pk, route="api-decision-proxy-revoke")
register_kwarg(
    "decision_id", lambda cast: home_decision_with_report(cast).pk, route="voting:report"
)
register_kwarg("action", lambda cast: "publish", route="voting:action")
register_query(
    "voting:sheets",
    lambda cast: {"building": cast.compound.buildings.get(number="1").pk},
)
register_markers(
    lambda cast: [
        "home 选聘物业表决",
        home_proxy(cast).holder_name,
        *home_decision(cast).roll.values_list("ballot_code", flat=True),
    ]
)
