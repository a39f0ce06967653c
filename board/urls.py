"""The landing page and the boards: included at the root, before the apps' compound routes."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("so/<slug:code>/", views.street_office_overview, name="street_office"),
    path("c/<slug:code>/", views.compound_detail, name="compound"),
    # The street-office board, milestones and alerts (issue 12).
    path("", include("board.board_urls")),
]
