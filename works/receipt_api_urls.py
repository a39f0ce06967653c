"""API route of a project's receipts (included from works/api_urls.py)."""

from django.urls import path

from . import receipt_api

urlpatterns = [
    path(
        "compounds/<slug:code>/works/<int:project_id>/receipts/",
        receipt_api.ReceiptListView.as_view(),
        name="api-works-receipts",
    ),
    path(
        "compounds/<slug:code>/works/<int:project_id>/receipts/<int:receipt_id>/refunds/",
        receipt_api.RefundListView.as_view(),
        name="api-works-receipt-refunds",
    ),
]
