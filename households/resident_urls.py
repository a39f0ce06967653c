"""Residents' own way in, outside any compound's URL: activation and claims."""

from django.urls import path

from . import activation_views

urlpatterns = [
    path("activate/", activation_views.activate, name="activate"),
    path("claims/", activation_views.my_claims, name="my_claims"),
    path("claims/new/", activation_views.claim_new, name="claim_new"),
]
