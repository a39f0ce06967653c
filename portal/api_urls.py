"""API v1: everything below ``compounds/{code}/`` is scoped by CompoundScopedAPIView."""

from django.urls import include, path

from . import api_views

urlpatterns = [
    path("auth/token/", api_views.TokenObtainView.as_view(), name="api-token"),
    path("", include("board.api_urls")),
    path("", include("households.api_urls")),
    path("", include("fees.api_urls")),
    path("", include("agreements.api_urls")),
    path("", include("voting.api_urls")),
    path("", include("works.api_urls")),
    path("", include("tickets.api_urls")),
]
