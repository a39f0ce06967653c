from django.urls import path

from . import api, api_accounts, api_activation

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
    path("activate/", api_activation.ActivateView.as_view(), name="api-activate"),
    path(
        "compounds/<slug:code>/members/",
        api_accounts.MemberCreateView.as_view(),
        name="api-member-create",
    ),
]
