"""The landing page and the boards: included at the root, before the apps' compound routes."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("so/<slug:code>/", views.street_office_overview, name="street_office"),
    path("c/<slug:code>/", views.compound_detail, name="compound"),
]
