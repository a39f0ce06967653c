"""A street office's staff accounts, under ``so/<code>/accounts/`` (households.staff_views)."""

from django.urls import path

from . import staff_views

urlpatterns = [
    path("", staff_views.office_accounts, name="office_accounts"),
    path("<int:user_id>/", staff_views.office_account, name="office_account"),
]
