"""The base of every tenant-scoped API view, and the one place errors become responses.

Views under ``/api/v1/compounds/{code}/`` inherit :class:`CompoundScopedAPIView`. It
resolves the compound through the access helper (404 for outsiders) and builds the
queryset from it; a subclass that overrides ``get_queryset`` or ``get_object`` (itself or
through a mixin) is refused at import time, so the scope cannot be forgotten and an
unscoped lookup cannot be written by accident (PostHog's ``routing.py`` idea). Objects
named by the URL come from ``get_compound_queryset(compound)`` via ``lookup_field``, or,
in a ``post()``, from the app's ``access.get_<thing>_for_user`` helper.
"""

from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from rest_framework import exceptions, generics, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from .access import acting_roles, get_compound_for_user
from .models import Compound, Role


class CompoundScopedAPIView(generics.GenericAPIView):
    """A view over one compound's rows, for callers holding one of ``allowed_roles``."""

    allowed_roles: Iterable[Role] = tuple(Role)

    #: The lookups that apply the tenant scope, and what to write instead of overriding them.
    SCOPED_LOOKUPS = {
        "get_queryset": "implement get_compound_queryset(compound)",
        "get_object": "set lookup_field over get_compound_queryset(compound), or call the "
        "app's access.get_<thing>_for_user helper",
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, instead in CompoundScopedAPIView.SCOPED_LOOKUPS.items():
            # Resolved through the whole MRO, so a mixin cannot slip an override in either.
            if getattr(cls, name) is not getattr(CompoundScopedAPIView, name):
                raise TypeError(
                    f"{cls.__name__} overrides {name}(); {instead}, so the tenant scope "
                    "always applies."
                )

    @cached_property
    def compound(self) -> Compound:
        return get_compound_for_user(self.request.user, self.kwargs["code"], self.allowed_roles)

    @cached_property
    def roles(self) -> set[Role]:
        """The roles the caller acts with here (a superuser: every managing role)."""
        return acting_roles(self.request.user, self.compound)

    @property
    def is_resident_only(self) -> bool:
        """Residents see only what is theirs; any managing role sees the compound."""
        return self.roles <= {Role.RESIDENT}

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no tenant
            serializer_class = self.get_serializer_class()
            assert issubclass(serializer_class, serializers.ModelSerializer)
            model: type[Model] = serializer_class.Meta.model
            return model._default_manager.none()
        return self.get_compound_queryset(self.compound)

    def get_object(self) -> Any:
        """The row named by the URL, looked up only among ``get_queryset()``'s (404 else)."""
        return super().get_object()

    def get_compound_queryset(self, compound: Compound) -> QuerySet:
        raise NotImplementedError

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not getattr(self, "swagger_fake_view", False) and "code" in self.kwargs:
            context["compound"] = self.compound
        return context


def exception_handler(exc, context):
    """Django's ValidationError from a service becomes a 400 with its messages."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
