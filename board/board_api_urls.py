"""API v1 of the street-office board (issue 12), included by ``board.api_urls``."""

from django.urls import path

from . import board_api, district_api

urlpatterns = [
    path(
        "street-offices/<slug:code>/board/",
        board_api.StreetOfficeBoardView.as_view(),
        name="api-street-office-board",
    ),
    # The district's board (issue 12 item 4).
    path(
        "districts/<slug:code>/board/",
        district_api.DistrictBoardView.as_view(),
        name="api-district-board",
    ),
    path(
        "compounds/<slug:code>/milestones/",
        board_api.CompoundMilestonesView.as_view(),
        name="api-compound-milestones",
    ),
    path(
        "compounds/<slug:code>/alerts/",
        board_api.CompoundAlertsView.as_view(),
        name="api-compound-alerts",
    ),
    path(
        "compounds/<slug:code>/alerts/<int:alert_id>/acknowledge/",
        board_api.AlertAcknowledgeView.as_view(),
        name="api-alert-acknowledge",
    ),
]
