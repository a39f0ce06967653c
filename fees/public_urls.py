"""双晒 (BJ 70): the fee disclosure anyone may open; no personal data."""

from django.urls import path

from . import views

app_name = "fees_public"

urlpatterns = [
    path("<slug:code>/fees/", views.disclosure, name="disclosure"),
]
