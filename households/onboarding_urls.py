"""Bringing a compound on board: included at the root (``so/<code>/onboarding/`` starts a
compound of a street office, ``c/<code>/onboarding/…`` are the steps of one compound)."""

from django.urls import path

from . import onboarding_views as views

urlpatterns = [
    path("so/<slug:code>/onboarding/", views.onboarding_start, name="onboarding_start"),
    path("c/<slug:code>/onboarding/", views.onboarding_checklist, name="onboarding"),
    path("c/<slug:code>/onboarding/company/", views.onboarding_company, name="onboarding_company"),
    path(
        "c/<slug:code>/onboarding/buildings/",
        views.onboarding_buildings,
        name="onboarding_buildings",
    ),
    path(
        "c/<slug:code>/onboarding/committee/",
        views.onboarding_committee,
        name="onboarding_committee",
    ),
    path(
        "c/<slug:code>/onboarding/committee/members/<int:member_id>/",
        views.onboarding_member,
        name="onboarding_member",
    ),
    path(
        "c/<slug:code>/onboarding/committee/members/<int:member_id>/remove/",
        views.onboarding_member_remove,
        name="onboarding_member_remove",
    ),
]
