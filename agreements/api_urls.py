"""API routes of the agreements app (included from portal/api_urls.py)."""

from django.urls import path

from . import api

PREFIX = "compounds/<slug:code>/agreements/"

urlpatterns = [
    path(PREFIX, api.AgreementListView.as_view(), name="api-agreement-list"),
    path(
        f"{PREFIX}<int:agreement_id>/",
        api.AgreementDetailView.as_view(),
        name="api-agreement-detail",
    ),
    path(
        f"{PREFIX}<int:agreement_id>/parties/",
        api.PartyListView.as_view(),
        name="api-agreement-parties",
    ),
    path(
        f"{PREFIX}<int:agreement_id>/parties/<int:party_id>/sign/",
        api.AgreementSignView.as_view(),
        name="api-agreement-sign",
    ),
    path(
        f"{PREFIX}<int:agreement_id>/pdf/", api.AgreementPdfView.as_view(), name="api-agreement-pdf"
    ),
    path(
        f"{PREFIX}<int:agreement_id>/verification/",
        api.AgreementVerificationView.as_view(),
        name="api-agreement-verification",
    ),
    path("agreements/verify/", api.VerifyUploadView.as_view(), name="api-agreement-verify"),
]
