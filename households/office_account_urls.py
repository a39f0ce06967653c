"""A street office's account pages, under ``so/<code>/accounts/``."""

from django.urls import path

from . import reset_views

urlpatterns = [
    path("reset/", reset_views.office_reset, name="office_reset"),
]
