"""A company administrator's staff accounts, under ``company/<id>/staff/``."""

from django.urls import path

from . import staff_views

urlpatterns = [
    path("", staff_views.company_staff, name="company_staff"),
    path("<int:user_id>/", staff_views.company_staff_account, name="company_staff_account"),
]
