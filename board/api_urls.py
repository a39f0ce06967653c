"""API v1: the caller's compounds (included by ``portal.api_urls`` under ``api/v1/``)."""

from django.urls import include, path

from . import api

urlpatterns = [
    path("compounds/", api.CompoundListView.as_view(), name="api-compound-list"),
    path("compounds/<slug:code>/", api.CompoundDetailView.as_view(), name="api-compound-detail"),
    # The street-office board, milestones and alerts (issue 12).
    path("", include("board.board_api_urls")),
]
