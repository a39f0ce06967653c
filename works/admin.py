"""The works app in the admin. The emergency cases (应急使用情形) are the city's catalogue,
not a tenant's rows: superusers keep them (add, reword, deactivate); a case a project or
a draw names cannot be deleted (PROTECT), deactivate it instead."""

from django.contrib import admin

from portal.admin import PortalModelAdmin

from .models import EmergencyCase


@admin.register(EmergencyCase)
class EmergencyCaseAdmin(PortalModelAdmin):
    list_display = ["code", "title", "active"]
    list_filter = ["active"]
    search_fields = ["code", "title"]
