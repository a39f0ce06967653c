from django.urls import path

from . import views

app_name = "fees"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("standards/", views.standards, name="standards"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/notices/", views.run_notices, name="run-notices"),
    path("runs/<int:run_id>/buildings/<building:number>/", views.run_building, name="run-building"),
    path(
        "runs/<int:run_id>/buildings/<building:number>/notices.pdf",
        views.building_file,
        name="building-file",
    ),
    path("payments/", views.payments, name="payments"),
    path("payments/<int:payment_id>/receipt.pdf", views.receipt, name="receipt"),
    path("payments/<int:payment_id>/refund/", views.refund, name="refund"),
    path("arrears/", views.arrears, name="arrears"),
    path("arrears/units/<int:unit_id>/", views.unit_reminders, name="unit-reminders"),
    path("demands/<int:step_id>/letter.pdf", views.demand_letter, name="demand-letter"),
    path("collection/", views.collection, name="collection"),
    path("collection.xlsx", views.collection_xlsx, name="collection-xlsx"),
    path("subsidies/", views.subsidies, name="subsidies"),
    path("subsidies/ending/", views.subsidy_ending, name="subsidy-ending"),
    path(
        "subsidies/<int:run_id>/<int:payer_id>/",
        views.reconciliation,
        name="reconciliation",
    ),
    path(
        "subsidies/<int:run_id>/<int:payer_id>/statement.pdf",
        views.reconciliation_pdf,
        name="reconciliation-pdf",
    ),
    path(
        "subsidies/<int:run_id>/<int:payer_id>/statement.xlsx",
        views.reconciliation_xlsx,
        name="reconciliation-xlsx",
    ),
    path("my/", views.my_fees, name="my"),
    path("units/<int:unit_id>/notice.pdf", views.unit_notice, name="unit-notice"),
]
