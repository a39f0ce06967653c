"""Public pages of decisions (no login): the notice and the published result."""

from django.urls import path

from . import views

app_name = "voting_public"

urlpatterns = [
    path("<slug:code>/decisions/<int:decision_id>/notice/", views.public_notice, name="notice"),
    path("<slug:code>/decisions/<int:decision_id>/result/", views.public_result, name="result"),
]
