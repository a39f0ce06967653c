"""API routes of works projects (included from portal/api_urls.py). The other works
helpers add their own route modules with one include line each below."""

from django.urls import include, path

from . import api

P = "compounds/<slug:code>/works/"

urlpatterns = [
    path(P, api.ProjectListView.as_view(), name="api-works"),
    path(P + "<int:project_id>/", api.ProjectDetailView.as_view(), name="api-works-project"),
    path(P + "<int:project_id>/funding/", api.FundingView.as_view(), name="api-works-funding"),
    path(
        P + "<int:project_id>/transitions/",
        api.TransitionView.as_view(),
        name="api-works-transition",
    ),
    path(P + "<int:project_id>/shares/", api.ShareListView.as_view(), name="api-works-shares"),
    path(
        P + "<int:project_id>/documents/",
        api.DocumentListView.as_view(),
        name="api-works-documents",
    ),
    path(
        P + "<int:project_id>/documents/<int:document_id>/file/",
        api.DocumentFileView.as_view(),
        name="api-works-document-file",
    ),
    path("", include("works.receipt_api_urls")),
    path("", include("works.fund_api_urls")),
]
