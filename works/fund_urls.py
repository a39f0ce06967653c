"""Pages of the maintenance fund under ``c/<code>/works/fund/`` (included from
works/urls.py, so the names live in the ``works`` namespace)."""

from django.urls import path

from . import fund_views as views

urlpatterns = [
    path("", views.fund, name="fund"),
    path("settings/", views.fund_settings_page, name="fund-settings"),
    path("credit/", views.fund_credit_page, name="fund-credit"),
    path("units/", views.fund_units, name="fund-units"),
    path("units/<int:unit_id>/", views.fund_unit, name="fund-unit"),
    path("import/", views.fund_import_page, name="fund-import"),
    path("import/<int:import_id>/", views.fund_import_job, name="fund-import-job"),
    path("import/template.xlsx", views.fund_template, name="fund-template"),
    path("statement.xlsx", views.fund_statement, name="fund-statement"),
    path("draws/new/", views.fund_draw_new, name="fund-draw-new"),
    path("draws/emergency/", views.fund_emergency_new, name="fund-emergency"),
    path("draws/<int:draw_id>/", views.fund_draw, name="fund-draw"),
    path("draws/<int:draw_id>/make/", views.fund_draw_make_page, name="fund-draw-make"),
]
