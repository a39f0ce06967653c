"""API v1 of a works project's receipts: ``/api/v1/compounds/{code}/works/{id}/receipts/``.

GET lists the project's receipts with what was refunded of each (those who manage the
compound's works); POST records one with an idempotency key (committee and service
company: 201 when recorded, 200 with the first receipt when the same request is replayed,
400 with the refusal's words).

``…/receipts/{receipt_id}/refunds/``: GET lists a receipt's refunds; POST records one
(201, or 200 for a replay; 400 for a refusal such as more than is left of the receipt;
409 when the idempotency key was used for a different refund)."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from fees.models import PaymentMethod
from portal.api import CompoundScopedAPIView
from portal.models import Compound

from . import receipt_selectors
from .models import Receipt, ReceiptRefund
from .receipt_access import (
    RECEIPT_READERS,
    RECEIPT_RECORDERS,
    get_money_project_for_user,
    get_receipt_for_user,
)
from .services.receipts import RefundKeyConflict, receipt_record, receipt_refund

_REFUSALS = {
    404: OpenApiResponse(
        description="No such compound, project or receipt, or not the caller's (a reader "
        "who may not record gets 404 on POST too)"
    ),
}


class ReceiptSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="line.kind", read_only=True)
    payer = serializers.CharField(source="line.payer", read_only=True)
    unit = serializers.SerializerMethodField()
    unit_label = serializers.SerializerMethodField()
    refunded = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="refunded of this receipt"
    )
    refundable = serializers.SerializerMethodField(help_text="what is left to refund")

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
            "refunded",
            "refundable",
        ]

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_refundable(self, receipt: Receipt) -> str:
        return str(receipt.amount - receipt.refunded)  # type: ignore[attr-defined]

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
        request=ReceiptInputSerializer,
        responses={
            201: ReceiptSerializer,
            200: OpenApiResponse(ReceiptSerializer, description="The same request replayed"),
            400: OpenApiResponse(
                description="Bad amount or date, over the unit's outstanding share or the "
                "line's target, the key used for another receipt: the refusal's words by field"
            ),
            **_REFUSALS,
        },
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


class ReceiptRefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReceiptRefund
        fields = ["id", "receipt", "amount", "refunded_on", "reason", "idempotency_key"]


class ReceiptRefundInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="at most what is left of the receipt"
    )
    refunded_on = serializers.DateField(help_text="not in the future nor before the receipt")
    reason = serializers.CharField(max_length=200, help_text="退款原因, required")
    idempotency_key = serializers.CharField(
        max_length=64, help_text="the same key with the same data returns the first refund"
    )


class RefundListView(CompoundScopedAPIView, generics.ListAPIView):
    """退款 of one receipt, oldest first; POST pays back part or all of it."""

    allowed_roles = RECEIPT_READERS
    serializer_class = ReceiptRefundSerializer
    pagination_class = None

    def get_compound_queryset(self, compound: Compound) -> QuerySet[ReceiptRefund]:
        receipt = get_receipt_for_user(
            self.request.user,
            compound.code,
            self.kwargs["project_id"],
            self.kwargs["receipt_id"],
            RECEIPT_READERS,
        )
        return receipt_selectors.refunds_of_receipt(compound, receipt)

    @extend_schema(
        request=ReceiptRefundInputSerializer,
        responses={
            201: ReceiptRefundSerializer,
            200: OpenApiResponse(ReceiptRefundSerializer, description="The same request replayed"),
            400: OpenApiResponse(
                description="Amount not positive or over what is left of the receipt, a "
                "future date or one before the receipt, no reason, a settled or unapproved "
                "project: the refusal's words by field"
            ),
            409: OpenApiResponse(
                description="The idempotency key was used for a different refund "
                "(``idempotency_key``: the refusal's words)"
            ),
            **_REFUSALS,
        },
    )
    def post(self, request, code: str, project_id: int, receipt_id: int):
        receipt = get_receipt_for_user(
            request.user, code, project_id, receipt_id, RECEIPT_RECORDERS
        )
        data = ReceiptRefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            refund = receipt_refund(
                compound=receipt.project.compound,
                project=receipt.project,
                receipt=receipt,
                actor=request.user,
                **data.validated_data,
            )
        except RefundKeyConflict as exc:
            return Response(exc.message_dict, status=status.HTTP_409_CONFLICT)
        code_ = status.HTTP_200_OK if refund.was_replayed else status.HTTP_201_CREATED
        return Response(ReceiptRefundSerializer(refund).data, status=code_)
