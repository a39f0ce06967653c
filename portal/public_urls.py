"""Pages anyone may open without logging in: they never show personal data."""

from django.urls import include, path

urlpatterns: list = [
    path("agreements/", include("agreements.public_urls")),
    path("", include("fees.public_urls")),
    path("", include("voting.public_urls")),
    path("", include("works.public_urls")),
]
