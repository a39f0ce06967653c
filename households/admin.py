"""The register in the admin: full for superusers, read-only and scoped to their street
office's compounds for street officers (portal.admin). ID numbers and phones appear only
masked, for everyone (PIPL): they are changed through the roster import."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin import TenantAdmin

from .models import (
    Building,
    Committee,
    CommitteeCandidate,
    CommitteeFormation,
    CommitteeMember,
    Owner,
    Ownership,
    PropertyRightUnit,
    Unit,
)


@admin.register(Building)
class BuildingAdmin(TenantAdmin):
    list_display = ["label", "compound", "kind", "floors", "lifts"]
    search_fields = ["number"]
    list_select_related = ["compound"]


@admin.register(Unit)
class UnitAdmin(TenantAdmin):
    list_display = ["label", "compound", "floor_area", "area_source", "is_residential"]
    search_fields = ["number", "building__number"]
    list_select_related = ["compound", "building"]
    raw_id_fields = ["building"]


@admin.register(Owner)
class OwnerAdmin(TenantAdmin):
    list_display = ["name", "compound", "kind", "id_number_masked", "phone_masked"]
    search_fields = ["name"]
    list_select_related = ["compound"]
    exclude = ["id_number", "phone"]
    readonly_fields = ["id_number_masked", "phone_masked"]
    raw_id_fields = ["user", "property_right_unit"]

    @admin.display(description=_("证件号码（脱敏）"))
    def id_number_masked(self, owner: Owner) -> str:
        return owner.masked_id_number

    @admin.display(description=_("电话（脱敏）"))
    def phone_masked(self, owner: Owner) -> str:
        return owner.masked_phone


@admin.register(Ownership)
class OwnershipAdmin(TenantAdmin):
    list_display = ["unit", "owner", "share", "is_representative", "valid_from", "valid_to"]
    list_select_related = ["unit__building", "owner"]
    raw_id_fields = ["unit", "owner"]


@admin.register(PropertyRightUnit)
class PropertyRightUnitAdmin(TenantAdmin):
    list_display = ["name", "compound", "transfer_status", "transfer_date", "receiver"]
    search_fields = ["name"]
    list_select_related = ["compound"]
    raw_id_fields = ["representative"]


@admin.register(Committee)
class CommitteeAdmin(TenantAdmin):
    list_display = ["__str__", "formed_on", "term_end"]
    list_select_related = ["compound"]


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(TenantAdmin):
    list_display = ["name", "role", "committee", "term_start", "term_end"]
    list_select_related = ["committee__compound"]
    raw_id_fields = ["committee", "user"]


@admin.register(CommitteeFormation)
class CommitteeFormationAdmin(TenantAdmin):
    list_display = ["compound", "announced_on", "nominated_on", "confirmed_on", "filed_on"]
    list_filter = ["illustrative"]
    list_select_related = ["compound"]
    raw_id_fields = ["committee"]


@admin.register(CommitteeCandidate)
class CommitteeCandidateAdmin(TenantAdmin):
    list_display = ["name", "kind", "role", "formation"]
    list_select_related = ["formation__compound"]
    raw_id_fields = ["formation", "member"]
