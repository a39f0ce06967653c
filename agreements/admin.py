"""Admin views of agreements. Key columns are ``editable=False`` and never listed."""

from django.contrib import admin

from portal.admin import PortalModelAdmin

from .models import (
    Agreement,
    AgreementTemplate,
    Party,
    Signature,
    SignerCertificate,
    SigningAuthority,
)


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    fields = readonly_fields = ("position", "label", "kind", "organisation", "representative")
    can_delete = False


@admin.register(Agreement)
class AgreementAdmin(PortalModelAdmin):
    list_display = ["number", "compound", "version", "status", "term_start", "term_end"]
    list_filter = ["status"]
    search_fields = ["number", "title"]
    readonly_fields = [f.name for f in Agreement._meta.fields]
    inlines = [PartyInline]


@admin.register(AgreementTemplate)
class AgreementTemplateAdmin(PortalModelAdmin):
    list_display = ["compound", "name", "version", "created_at"]


@admin.register(Signature)
class SignatureAdmin(PortalModelAdmin):
    list_display = ["agreement", "party", "signer", "signed_at", "certificate_serial"]
    readonly_fields = [f.name for f in Signature._meta.fields]


@admin.register(SigningAuthority)
class SigningAuthorityAdmin(PortalModelAdmin):
    list_display = ["street_office", "fingerprint_sha256", "created_at"]
    fields = readonly_fields = (
        "street_office",
        "fingerprint_sha256",
        "certificate_pem",
        "created_at",
    )


@admin.register(SignerCertificate)
class SignerCertificateAdmin(PortalModelAdmin):
    list_display = ["common_name", "organisation", "street_office", "serial", "not_after"]
    fields = readonly_fields = (
        "street_office",
        "user",
        "common_name",
        "organisation",
        "serial",
        "not_before",
        "not_after",
        "certificate_pem",
    )
