"""Admin scoped to tenants: superusers keep the full admin; a street officer (with
``is_staff`` set, which Django requires for the admin at all) may only view the rows of
the compounds of their own street offices, and change nothing."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .access import compounds_for
from .models import Role


class StreetOfficerReadOnlyMixin:
    """For a ModelAdmin of a tenant table (one with a ``compound`` foreign key, or the
    path to it in :attr:`compound_path`). Do not use ``list_filter`` on the compound with
    it: the filter would list every compound's name."""

    compound_path = "compound"

    @staticmethod
    def _is_officer(request: HttpRequest) -> bool:
        user = request.user
        return (
            user.is_active
            and user.is_staff
            and user.memberships.filter(role=Role.STREET_OFFICER).exists()
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        compounds = compounds_for(request.user, [Role.STREET_OFFICER])
        return queryset.filter(**{f"{self.compound_path}__in": compounds})

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or self._is_officer(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        return self._is_officer(request)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class TenantAdmin(StreetOfficerReadOnlyMixin, admin.ModelAdmin):
    """A ModelAdmin with the street-officer scope."""
