from django.urls import path

from . import api

urlpatterns = [
    path("compounds/<slug:code>/requests/", api.RequestListView.as_view(), name="api-request-list"),
    path(
        "compounds/<slug:code>/requests/rates/",
        api.RatesView.as_view(),
        name="api-request-rates",
    ),
    path(
        "compounds/<slug:code>/requests/hotline/",
        api.HotlineView.as_view(),
        name="api-request-hotline",
    ),
    path(
        "compounds/<slug:code>/requests/hotline/imports/",
        api.HotlineImportListView.as_view(),
        name="api-request-hotline-imports",
    ),
    path(
        "compounds/<slug:code>/requests/hotline/imports/<int:import_id>/",
        api.HotlineImportDetailView.as_view(),
        name="api-request-hotline-import",
    ),
    path(
        "compounds/<slug:code>/requests/<int:request_id>/",
        api.RequestDetailView.as_view(),
        name="api-request-detail",
    ),
    path(
        "compounds/<slug:code>/requests/<int:request_id>/comments/",
        api.RequestCommentView.as_view(),
        name="api-request-comments",
    ),
    path(
        "compounds/<slug:code>/requests/<int:request_id>/transitions/",
        api.RequestTransitionView.as_view(),
        name="api-request-transitions",
    ),
    path(
        "compounds/<slug:code>/requests/<int:request_id>/rating/",
        api.RequestRatingView.as_view(),
        name="api-request-rating",
    ),
]
