"""API v1: everything below ``compounds/{code}/`` is scoped by CompoundScopedAPIView."""

from django.urls import include, path

urlpatterns = [
    path("", include("households.api_urls")),
]
