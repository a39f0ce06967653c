from django.urls import path

from . import api

base = "compounds/<slug:code>/decisions/"

urlpatterns = [
    path(base, api.DecisionListView.as_view(), name="api-decision-list"),
    path(f"{base}<int:decision_id>/", api.DecisionDetailView.as_view(), name="api-decision-detail"),
    path(
        f"{base}<int:decision_id>/ballots/",
        api.BallotCreateView.as_view(),
        name="api-decision-ballots",
    ),
    path(
        f"{base}<int:decision_id>/paper-entries/",
        api.PaperEntryCreateView.as_view(),
        name="api-decision-paper-entries",
    ),
    path(
        f"{base}<int:decision_id>/proxies/",
        api.ProxyListView.as_view(),
        name="api-decision-proxies",
    ),
    path(
        f"{base}<int:decision_id>/proxies/<int:proxy_id>/revoke/",
        api.ProxyRevokeView.as_view(),
        name="api-decision-proxy-revoke",
    ),
    path(f"{base}<int:decision_id>/tally/", api.TallyView.as_view(), name="api-decision-tally"),
]
