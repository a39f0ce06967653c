"""Input and output serializers of the agreements API. No key material ever leaves."""

from functools import cached_property

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from households.models import PropertyRightUnit
from voting.models import Item

from . import selectors
from .models import Agreement, Party

User = get_user_model()


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


class SignatureOutSerializer(serializers.Serializer):
    party = serializers.CharField(help_text="签署方单位名称")
    party_kind = serializers.CharField()
    party_id = serializers.IntegerField()
    signer = serializers.CharField(help_text="签署人")
    signed_at = serializers.DateTimeField(help_text="签署时间")
    revision = serializers.IntegerField(help_text="该签名形成的修订号")
    certificate_serial = serializers.CharField()


def signature_data(party: Party) -> dict:
    sig = party.signature
    return {
        "party": party.organisation,
        "party_kind": party.kind,
        "party_id": party.pk,
        "signer": _person(sig.signer),
        "signed_at": sig.signed_at,
        "revision": sig.revision_number,
        "certificate_serial": sig.certificate_serial,
    }


class PartySerializer(serializers.ModelSerializer):
    representative = serializers.SerializerMethodField(help_text="授权代表")
    signed = serializers.SerializerMethodField()
    signed_at = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = [
            "id",
            "position",
            "kind",
            "label",
            "organisation",
            "representative",
            "signed",
            "signed_at",
        ]

    def get_representative(self, party: Party) -> str:
        return _person(party.representative)

    def get_signed(self, party: Party) -> bool:
        return hasattr(party, "signature")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_signed_at(self, party: Party):
        if not hasattr(party, "signature"):
            return None
        return serializers.DateTimeField().to_representation(party.signature.signed_at)


class AgreementSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(
        help_text="draft, signing, effective, filed, expired or superseded"
    )
    signatures = serializers.SerializerMethodField()
    missing_parties = serializers.SerializerMethodField(help_text="尚未签署的签署方")
    supersedes = serializers.CharField(source="supersedes.number", default=None)
    renewal_due = serializers.SerializerMethodField(help_text="期满前六个月起为 true (BJ 75)")

    class Meta:
        model = Agreement
        fields = [
            "id",
            "number",
            "title",
            "version",
            "supersedes",
            "status",
            "term_start",
            "term_end",
            "pdf_status",
            "current_revision",
            "effective_on",
            "filing_deadline",
            "filed_at",
            "renewal_due",
            "signatures",
            "missing_parties",
        ]

    @cached_property
    def _rows(self) -> dict[int, selectors.AgreementRow]:
        """Each agreement's register row, computed once (a list shares its one child)."""
        return {}

    def _row(self, agreement: Agreement) -> selectors.AgreementRow:
        if agreement.pk not in self._rows:
            self._rows[agreement.pk] = selectors.agreement_row(agreement, timezone.localdate())
        return self._rows[agreement.pk]

    def get_status(self, agreement: Agreement) -> str:
        return self._row(agreement).status

    def get_renewal_due(self, agreement: Agreement) -> bool:
        return self._row(agreement).renewal_due

    @extend_schema_field(SignatureOutSerializer(many=True))
    def get_signatures(self, agreement: Agreement) -> list[dict]:
        parties = [p for p in agreement.parties.all() if hasattr(p, "signature")]
        parties.sort(key=lambda p: p.signature.revision_number)
        return [dict(SignatureOutSerializer(signature_data(p)).data) for p in parties]

    def get_missing_parties(self, agreement: Agreement) -> list[str]:
        return [p.organisation for p in self._row(agreement).missing]


class AgreementDetailSerializer(AgreementSerializer):
    parties = PartySerializer(many=True, read_only=True)
    clauses = serializers.JSONField(read_only=True)
    preamble = serializers.CharField(read_only=True)
    facts = serializers.JSONField(read_only=True)
    revisions = serializers.SerializerMethodField()

    class Meta(AgreementSerializer.Meta):
        fields = [
            *AgreementSerializer.Meta.fields,
            "parties",
            "preamble",
            "clauses",
            "facts",
            "revisions",
        ]

    def get_revisions(self, agreement: Agreement) -> list[dict]:
        return [
            {"number": r.number, "sha256": r.sha256, "size": r.size, "created_at": r.created_at}
            for r in agreement.revisions.order_by("number")
        ]


class GenerateInSerializer(serializers.Serializer):
    """Generate an agreement from a passed decision item: the item, the term, and the user
    who signs for each party (ids among those holding that party's role in the compound)."""

    item = serializers.PrimaryKeyRelatedField(
        queryset=Item.objects.none(), help_text="授权表决事项 id"
    )
    term_start = serializers.DateField(help_text="期限开始；须在共同决定计票日期后的规定月数内")
    term_end = serializers.DateField(help_text="期限结束")
    committee_rep = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), help_text="甲方（物业管理委员会）授权代表的用户 id"
    )
    company_rep = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), help_text="乙方（物业服务企业）授权代表的用户 id"
    )
    office_rep = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), help_text="丙方（街道办事处）授权代表的用户 id"
    )
    property_units = serializers.PrimaryKeyRelatedField(
        queryset=PropertyRightUnit.objects.none(),
        many=True,
        allow_empty=False,
        help_text="丁方：产权单位 id",
    )
    supersedes = serializers.PrimaryKeyRelatedField(
        queryset=Agreement.objects.none(),
        required=False,
        allow_null=True,
        help_text="取代的协议 id",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        compound = self.context.get("compound")
        if compound is None:  # schema generation
            return
        for name, queryset in selectors.generation_choices(compound).items():
            field = self.fields[name]
            (
                field.child_relation if hasattr(field, "child_relation") else field
            ).queryset = queryset


class SignInSerializer(serializers.Serializer):
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, help_text="签署人的登录密码（再次确认）"
    )


class VerifyInSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="协议PDF文件")


# DRF's metaclass takes declared fields off the class, so a field called ``field_name`` or
# ``label`` never replaces the Field attribute of that name; the stubs cannot know that.


class SignatureReportSerializer(serializers.Serializer):
    field_name = serializers.CharField()  # type: ignore[assignment]
    signer = serializers.CharField()
    organisation = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    certificate_serial = serializers.CharField()
    intact = serializers.BooleanField()
    valid = serializers.BooleanField()
    trusted = serializers.BooleanField()
    trusted_by = serializers.CharField(help_text="签发证书的街道办事处；不受信任时为空")
    trusted_by_code = serializers.CharField()
    changed_after = serializers.BooleanField(help_text="签署后文件被改动（追加签名除外）")
    padding_changed = serializers.BooleanField(
        help_text="签名值（/Contents）中DER之后的填充字节不全为0：签名未覆盖的部分被改动"
    )
    ok = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())


class ArchiveMatchSerializer(serializers.Serializer):
    agreement_id = serializers.IntegerField()
    number = serializers.CharField(help_text="协议编号")
    title = serializers.CharField()
    compound = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    revision = serializers.IntegerField(help_text="文件与之一致（或以之开头）的最后一个存档修订号")
    latest_revision = serializers.IntegerField(help_text="存档中的最新修订号")
    identical = serializers.BooleanField(help_text="整个文件与该存档修订逐字节一致")
    is_latest = serializers.BooleanField(help_text="文件就是存档中的最新修订")
    differs_at = serializers.IntegerField(
        allow_null=True, help_text="与下一个存档修订第一个不同字节的位置"
    )


class PartyCheckSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    organisation = serializers.CharField()
    field_name = serializers.CharField()  # type: ignore[assignment]
    signed = serializers.BooleanField(help_text="此文件中有该方的签名")


class VerificationReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    changed_after_signing = serializers.BooleanField()
    signatures = SignatureReportSerializer(many=True)
    problems = serializers.ListField(child=serializers.CharField())
    notes = serializers.ListField(
        child=serializers.CharField(), help_text="说明（不影响结论），如“平台存档中没有这份文件”"
    )
    unsigned_fields = serializers.ListField(
        child=serializers.CharField(), help_text="文件中尚未签署的签名栏"
    )
    archive = ArchiveMatchSerializer(
        allow_null=True, help_text="平台存档中的对应协议；平台未签发的文件为 null"
    )
    parties = PartyCheckSerializer(many=True, help_text="存档协议的各签署方及此文件中是否已签署")
    missing_parties = serializers.ListField(
        child=serializers.CharField(), help_text="应签署而此文件中没有签名的一方"
    )
