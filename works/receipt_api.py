"""API v1 of a works project's receipts: ``/api/v1/compounds/{code}/works/{id}/receipts/``.

GET lists the project's receipts (those who manage the compound's works); POST records one
with an idempotency key (committee and service company: 201 when recorded, 200 with the
first receipt when the same request is replayed, 400 with the refusal's words)."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from fees.models import PaymentMethod
from portal.api import CompoundScopedAPIView
from portal.models import Compound

from . import receipt_selectors
from .models import Receipt
from .receipt_access import RECEIPT_READERS, RECEIPT_RECORDERS, get_money_project_for_user
from .services.receipts import receipt_record


class ReceiptSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="line.kind", read_only=True)
    payer = serializers.CharField(source="line.payer", read_only=True)
    unit = serializers.SerializerMethodField()
    unit_label = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = [
            "id",
            "line",
            "kind",
            "payer",
            "unit",
            "unit_label",
            "amount",
            "method",
            "reference",
            "received_on",
            "note",
            "idempotency_key",
        ]

    def get_unit(self, receipt: Receipt) -> int | None:
        return receipt.contribution.unit_id if receipt.contribution else None

    def get_unit_label(self, receipt: Receipt) -> str | None:
        return receipt.contribution.unit.label if receipt.contribution else None


class ReceiptInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="a funding line of this project")
    unit = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="the unit (owners' line only)"
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.BANK)
    reference = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    received_on = serializers.DateField()
    idempotency_key = serializers.CharField(
        max_length=64, help_text="the same key with the same data returns the first receipt"
    )
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class ReceiptListView(CompoundScopedAPIView, generics.ListAPIView):
    """工程收款 of one project, newest first."""

    allowed_roles = RECEIPT_READERS
    serializer_class = ReceiptSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Receipt]:
        project = get_money_project_for_user(
            self.request.user, compound.code, self.kwargs["project_id"], RECEIPT_READERS
        )
        return receipt_selectors.project_receipts(compound, project)

    @extend_schema(
        request=ReceiptInputSerializer, responses={201: ReceiptSerializer, 200: ReceiptSerializer}
    )
    def post(self, request, code: str, project_id: int):
        project = get_money_project_for_user(request.user, code, project_id, RECEIPT_RECORDERS)
        data = ReceiptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        line = project.funding.filter(pk=values.pop("line")).first()
        if line is None:
            raise ValidationError({"line": _("该资金来源不属于本工程")})
        unit_id = values.pop("unit")
        unit = None
        if unit_id is not None:
            unit = project.compound.units.select_related("building").filter(pk=unit_id).first()
            if unit is None:
                raise ValidationError({"unit": _("本小区没有这个房屋")})
        receipt = receipt_record(
            compound=project.compound,
            project=project,
            line=line,
            unit=unit,
            actor=request.user,
            **values,
        )
        code_ = status.HTTP_200_OK if receipt.was_replayed else status.HTTP_201_CREATED
        shown = receipt_selectors.project_receipts(project.compound, project).get(pk=receipt.pk)
        return Response(ReceiptSerializer(shown).data, status=code_)
