"""The OpenAPI schema class of the API (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.mixins import ListModelMixin


class AutoSchema(SpectacularAutoSchema):
    """Documents a response as paginated only where the view paginates.

    drf-spectacular wraps any ``many=True`` GET of a view with a pagination class in
    ``count``/``results``; but only ``ListModelMixin.list`` paginates. A view that answers
    parts of one object (a decision's per-item tally, an agreement's parties: bounded,
    never a collection to page through) returns a plain array, and is documented so.
    """

    def _get_paginator(self):
        if not isinstance(self.view, ListModelMixin):
            return None
        return super()._get_paginator()
