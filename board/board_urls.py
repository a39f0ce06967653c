"""Pages of the street-office board (namespace ``board``), included by ``board.urls``."""

from django.urls import path

from . import board_views, district_views

app_name = "board"

urlpatterns = [
    path("so/<slug:code>/board/", board_views.office_board, name="office-board"),
    path("so/<slug:code>/board/refresh/", board_views.office_refresh, name="office-refresh"),
    path("so/<slug:code>/board/target/", board_views.office_target, name="office-target"),
    path("so/<slug:code>/board/alerts/", board_views.office_alerts, name="office-alerts"),
    # The district's board over its street offices' boards (issue 12 item 4).
    path("d/<slug:code>/board/", district_views.district_board, name="district-board"),
    path("c/<slug:code>/milestones/", board_views.compound_milestones, name="compound-milestones"),
    path("c/<slug:code>/renovation/", board_views.renovation_edit, name="renovation"),
    path(
        "c/<slug:code>/alerts/<int:alert_id>/acknowledge/",
        board_views.alert_acknowledge,
        name="alert-acknowledge",
    ),
]
