from django.contrib import admin

from .models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The catalogue is configuration: street-office administrators set service levels."""

    list_display = (
        "code",
        "name",
        "service_level_hours",
        "emergency_hours",
        "covered_by_contract",
        "active",
        "sort_order",
    )
    list_editable = ("service_level_hours", "emergency_hours", "covered_by_contract", "active")
