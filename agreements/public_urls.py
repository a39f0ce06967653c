"""Public pages under /public/agreements/: no login, no personal data."""

from django.urls import path

from . import views

urlpatterns = [
    path("verify/", views.verify_public, name="agreement_verify_public"),
]
