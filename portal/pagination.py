"""The one pagination of every API list (``REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]``).

A module of its own: DRF imports it while ``rest_framework.generics`` loads, so it must
not import the views in ``portal.api``.
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """Every API list: ``limit`` (1 to ``max_limit``, default ``PAGE_SIZE``) and ``offset``
    (0 or more). A value out of range or not a whole number is refused with a 400 naming
    the parameter, never silently replaced, so a client knows what it got."""

    max_limit = 500

    def _bounded_int(
        self, request, name: str, default: int, minimum: int, maximum: int | None
    ) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            if maximum is None:
                message = _("%(name)s 须为不小于 %(minimum)d 的整数。") % {
                    "name": name,
                    "minimum": minimum,
                }
            else:
                message = _("%(name)s 须为 %(minimum)d 到 %(maximum)d 之间的整数。") % {
                    "name": name,
                    "minimum": minimum,
                    "maximum": maximum,
                }
            raise exceptions.ValidationError({name: [message]})
        return value

    def get_limit(self, request) -> int:
        # REST_FRAMEWORK["PAGE_SIZE"] is set (settings.py), so there is always a default.
        assert self.default_limit is not None
        return self._bounded_int(
            request, self.limit_query_param, self.default_limit, 1, self.max_limit
        )

    def get_offset(self, request) -> int:
        return self._bounded_int(request, self.offset_query_param, 0, 0, None)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        limit, offset = super().get_schema_operation_parameters(view)
        limit["schema"].update(minimum=1, maximum=self.max_limit, default=self.default_limit)
        offset["schema"].update(minimum=0, default=0)
        return [limit, offset]
