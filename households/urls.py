from django.urls import path

from . import activation_views, committee_views, letter_views, reset_views, roster_views, views

urlpatterns = [
    path("buildings/<building:number>/", views.building_detail, name="building"),
    path("units/", views.register_units, name="register_units"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit"),
    path("owners/", views.register_owners, name="register_owners"),
    path("committee/", committee_views.committee_page, name="committee"),
    path("roster/", roster_views.roster_import_page, name="roster_import"),
    path("roster/template.xlsx", roster_views.roster_template, name="roster_template"),
    path("roster/export.xlsx", roster_views.roster_export, name="roster_export"),
    path("roster/export-full.xlsx", roster_views.roster_export_full, name="roster_export_full"),
    path("roster/buildings/", roster_views.building_add, name="building_add"),
    path(
        "property-right-units/",
        roster_views.property_right_units,
        name="property_right_units",
    ),
    path(
        "property-right-units/<int:pru_id>/",
        roster_views.property_right_unit_edit,
        name="property_right_unit_edit",
    ),
    path("accounts/reset/", reset_views.compound_reset, name="compound_reset"),
    path("claims/", activation_views.claims_queue, name="claims_queue"),
    path("claims/<int:claim_id>/", activation_views.claim_detail, name="claim_detail"),
    path("claims/<int:claim_id>/photo/", activation_views.claim_photo, name="claim_photo"),
    # Activation letters (开通通知书): households.letter_views.
    path("letters/", letter_views.letters_page, name="letters"),
    path("letters/<int:job_id>/", letter_views.letter_job, name="letter_job"),
    path("letters/<int:job_id>/status/", letter_views.letter_job_status, name="letter_job_status"),
    path(
        "letters/<int:job_id>/continue/",
        letter_views.letter_job_continue,
        name="letter_job_continue",
    ),
    path(
        "letters/<int:job_id>/buildings/<building:number>/letters.pdf",
        letter_views.letter_file,
        name="letter_file",
    ),
]
