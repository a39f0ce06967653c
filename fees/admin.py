"""Read-mostly admin for superusers; day-to-day work goes through the pages and services
(which validate and audit), so the money tables are read-only here."""

from django.contrib import admin

from portal.admin import PortalModelAdmin

from .models import (
    AnnualAccount,
    BillingRun,
    Charge,
    FeeStandard,
    NoticeChunk,
    Payment,
    ReminderStep,
    SubsidyPayer,
)


class ReadOnlyAdmin(PortalModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FeeStandard)
class FeeStandardAdmin(ReadOnlyAdmin):
    list_display = [
        "compound",
        "building_kind",
        "version",
        "appraised_rate",
        "charged_rate",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["building_kind"]


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnlyAdmin):
    list_display = ["compound", "period_start", "months", "units_billed", "notice_status"]


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ["compound", "run", "unit", "owner_due", "owner_paid", "subsidy_due"]
    list_select_related = ["compound", "run", "unit__building"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["compound", "unit", "kind", "method", "amount", "received_on"]
    list_select_related = ["compound", "unit__building"]


admin.site.register(SubsidyPayer, ReadOnlyAdmin)
admin.site.register(ReminderStep, ReadOnlyAdmin)
admin.site.register(NoticeChunk, ReadOnlyAdmin)
admin.site.register(AnnualAccount, PortalModelAdmin)
