from django.urls import path

from . import api

P = "compounds/<slug:code>/"

urlpatterns = [
    path(P + "fee-standards/", api.FeeStandardListView.as_view(), name="api-fee-standards"),
    path(P + "billing-runs/", api.BillingRunListView.as_view(), name="api-billing-runs"),
    path(
        P + "billing-runs/<int:run_id>/",
        api.BillingRunDetailView.as_view(),
        name="api-billing-run",
    ),
    path(
        P + "billing-runs/<int:run_id>/charges/",
        api.ChargeListView.as_view(),
        name="api-charges",
    ),
    path(P + "payments/", api.PaymentListView.as_view(), name="api-payments"),
    path(
        P + "payments/<int:payment_id>/refund/",
        api.PaymentRefundView.as_view(),
        name="api-payment-refund",
    ),
    path(P + "collection/", api.CollectionView.as_view(), name="api-collection"),
    path(
        P + "units/<int:unit_id>/notice/",
        api.UnitNoticeView.as_view(),
        name="api-unit-notice",
    ),
]
