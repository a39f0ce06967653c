"""The base of every tenant-scoped API view, and the one place errors become responses.

Views under ``/api/v1/compounds/{code}/`` inherit :class:`CompoundScopedAPIView`. It
resolves the compound through the access helper (404 for outsiders) and builds the
queryset from it; a subclass that overrides ``get_queryset`` is refused at import time,
so the scope cannot be forgotten (PostHog's ``safely_get_queryset`` idea).
"""

from collections.abc import Iterable
from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework import exceptions, generics
from rest_framework.views import exception_handler as drf_exception_handler

from .access import get_compound_for_user, roles_in
from .models import Compound, Role


class CompoundScopedAPIView(generics.GenericAPIView):
    """A view over one compound's rows, for callers holding one of ``allowed_roles``."""

    allowed_roles: Iterable[Role] = tuple(Role)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset(); implement "
                "get_compound_queryset(compound) so the tenant scope always applies."
            )

    @cached_property
    def compound(self) -> Compound:
        return get_compound_for_user(self.request.user, self.kwargs["code"], self.allowed_roles)

    @cached_property
    def roles(self) -> set[Role]:
        if self.request.user.is_superuser:
            return set(Role) - {Role.RESIDENT}
        return roles_in(self.request.user, self.compound)

    @property
    def is_resident_only(self) -> bool:
        """Residents see only what is theirs; any managing role sees the compound."""
        return self.roles <= {Role.RESIDENT}

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no tenant
            return self.get_serializer_class().Meta.model.objects.none()
        return self.get_compound_queryset(self.compound)

    def get_compound_queryset(self, compound: Compound) -> QuerySet:
        raise NotImplementedError

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and "code" in self.kwargs:
            context["compound"] = self.compound
        return context


def exception_handler(exc, context):
    """Django's ValidationError from a service becomes a 400 with its messages."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
