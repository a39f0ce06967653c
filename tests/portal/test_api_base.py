"""The tenant-scoped API base refuses, when the class is created, a subclass that would
look rows up outside the compound's scope: overriding ``get_queryset`` or ``get_object``
(itself or through a mixin) is a TypeError, so an unscoped lookup cannot be written by
accident (PostHog's routing.py idea)."""

import pytest
from rest_framework import generics

from portal.api import CompoundScopedAPIView


class _OwnLookup:
    def get_object(self):
        return None


@pytest.mark.parametrize("method", ["get_queryset", "get_object"])
def test_a_subclass_overriding_a_lookup_is_refused(method):
    with pytest.raises(TypeError, match=method):
        type("Unscoped", (CompoundScopedAPIView,), {method: lambda self: None})


def test_a_mixin_bringing_its_own_get_object_is_refused_too():
    with pytest.raises(TypeError, match="get_object"):

        class Unscoped(_OwnLookup, CompoundScopedAPIView, generics.RetrieveAPIView):
            pass


def test_a_subclass_scoping_through_get_compound_queryset_is_accepted():
    class Scoped(CompoundScopedAPIView, generics.RetrieveAPIView):
        def get_compound_queryset(self, compound):
            return compound.units.all()

    assert Scoped.get_object is CompoundScopedAPIView.get_object
