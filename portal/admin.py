"""Admin scoped to tenants: superusers keep the full admin; a street officer (with
``is_staff`` set, which Django requires for the admin at all) may only view the rows of
the compounds of their own street offices, and change nothing.

Every ModelAdmin derives from :class:`PortalModelAdmin`, which refuses filtering and
searching on the fields shown only masked (ID numbers, phones): a filter such as
``?id_number__startswith=110`` answers yes or no and recovers a whole number in a few
dozen requests, for superusers as much as for officers.
"""

from typing import TYPE_CHECKING

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

from .access import compounds_for
from .models import Role

# Fields never shown raw (PIPL), by model label: never filtered, searched or sorted on.
MASKED_FIELDS: dict[str, frozenset[str]] = {
    "households.owner": frozenset({"id_number", "phone"}),
}


def touches_masked_field(model: type[Model], lookup: str) -> bool:
    """Whether a lookup path (``owner__id_number__startswith``, ``ownerships__owner__phone``)
    reaches a masked field, through forward and reverse relations alike."""
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False  # a transform or lookup name: the path ends here
        if part in MASKED_FIELDS.get(model._meta.label_lower, ()):
            return True
        if not field.is_relation or field.related_model is None:
            return False
        model = field.related_model
    return False


class PortalModelAdmin(admin.ModelAdmin):
    """The base of every ModelAdmin of the portal: masked fields are not lookups."""

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        if touches_masked_field(self.model, lookup):
            return False  # the admin answers 400 (DisallowedModelAdminLookup)
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request: HttpRequest):
        return [
            name
            for name in super().get_search_fields(request)
            if not touches_masked_field(self.model, name.lstrip("^=@"))
        ]

    def get_sortable_by(self, request: HttpRequest):
        return [
            name
            for name in super().get_sortable_by(request)
            if not (isinstance(name, str) and touches_masked_field(self.model, name))
        ]


if TYPE_CHECKING:  # the mixin's super() calls reach ModelAdmin's methods
    _MixinBase = admin.ModelAdmin
else:
    _MixinBase = object


class StreetOfficerReadOnlyMixin(_MixinBase):
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


class TenantAdmin(StreetOfficerReadOnlyMixin, PortalModelAdmin):
    """A ModelAdmin with the street-officer scope."""
