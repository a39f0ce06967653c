from django.urls import path

from . import api_accounts
from . import api

urlpatterns = [
    path(
        "compounds/<slug:code>/buildings/",
        api.BuildingListView.as_view(),
        name="api-building-list",
    ),
    path("compounds/<slug:code>/units/", api.UnitListView.as_view(), name="api-unit-list"),
    path(
        "compounds/<slug:code>/units/<int:unit_id>/",
        api.UnitDetailView.as_view(),
        name="api-unit-detail",
    ),
    path("compounds/<slug:code>/owners/", api.OwnerListView.as_view(), name="api-owner-list"),
    path(
        "compounds/<slug:code>/members/",
        api_accounts.MemberCreateView.as_view(),
        name="api-member-create",
    ),
]
