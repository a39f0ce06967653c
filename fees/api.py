"""API v1 of the fees app: standards, runs, charges, payments, collection, notices.

Every view is a :class:`portal.api.CompoundScopedAPIView`; writes check the role for the
write on top (a caller without it gets 404, as for an absent compound).
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from portal.access import get_compound_for_user
from portal.api import CompoundScopedAPIView
from portal.models import STAFF_ROLES, Compound

from . import access, pdf, selectors, services
from .access import CASHIERS, RUN_EDITORS, STANDARD_EDITORS
from .models import (
    BillingRun,
    Charge,
    FeeStandard,
    Payment,
    PaymentKind,
    SubsidyShare,
)
from .params import parse_year
from .serializers import (
    BillingOutcomeSerializer,
    BillingRunInputSerializer,
    BillingRunSerializer,
    ChargeSerializer,
    CollectionSerializer,
    FeeStandardInputSerializer,
    FeeStandardSerializer,
    PaymentInputSerializer,
    PaymentSerializer,
    RefundInputSerializer,
)


class _FeesView(CompoundScopedAPIView):
    allowed_roles = STAFF_ROLES


class FeeStandardListView(_FeesView, generics.ListAPIView):
    """收费标准: every version of the compound's fee standards; street officers add one."""

    serializer_class = FeeStandardSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[FeeStandard]:
        return compound.fee_standards.prefetch_related(
            Prefetch("shares", queryset=SubsidyShare.objects.select_related("payer"))
        ).order_by("building_kind", "-valid_from")

    @extend_schema(request=FeeStandardInputSerializer, responses={201: FeeStandardSerializer})
    def post(self, request, code: str):
        compound = get_compound_for_user(request.user, code, STANDARD_EDITORS)
        data = FeeStandardInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        shares = [services.ShareInput(s["payer"], s["share"]) for s in values.pop("shares", [])]
        standard = services.fee_standard_create(
            compound=compound, shares=shares, actor=request.user, **values
        )
        return Response(FeeStandardSerializer(standard).data, status=status.HTTP_201_CREATED)


class BillingRunListView(_FeesView, generics.ListAPIView):
    """计费批次: runs of the compound; POST bills a period (idempotent, see the service)."""

    serializer_class = BillingRunSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[BillingRun]:
        return compound.billing_runs.order_by("-period_start")

    @extend_schema(request=BillingRunInputSerializer, responses={200: BillingOutcomeSerializer})
    def post(self, request, code: str):
        compound = get_compound_for_user(request.user, code, RUN_EDITORS)
        data = BillingRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.billing_run_create(
            compound=compound, actor=request.user, **data.validated_data
        )
        return Response(BillingOutcomeSerializer(outcome).data)


class BillingRunDetailView(_FeesView, generics.RetrieveAPIView):
    serializer_class = BillingRunSerializer
    lookup_url_kwarg = "run_id"

    def get_compound_queryset(self, compound: Compound) -> QuerySet[BillingRun]:
        return compound.billing_runs.all()


@extend_schema(
    parameters=[OpenApiParameter("building", OpenApiTypes.STR, description="楼号, e.g. `16`")]
)
class ChargeListView(_FeesView, generics.ListAPIView):
    """应缴费用 of one run, with each payer's subsidy line (and adjustment lines)."""

    serializer_class = ChargeSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Charge]:
        charges = (
            compound.charges.filter(run_id=self.kwargs["run_id"])
            .select_related("unit", "building")
            .prefetch_related(selectors.subsidy_lines_prefetch())
            .order_by("building__sort_key", "building__number", "unit__number")
        )
        building = self.request.query_params.get("building")
        if building is not None:
            charges = charges.filter(building__number=building)
        return charges


class PaymentListView(_FeesView, generics.ListAPIView):
    """收款: payments and refunds; company staff POST a payment with an idempotency key
    (201 when recorded, 200 with the first payment when the same request is replayed)."""

    serializer_class = PaymentSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Payment]:
        return compound.payments.order_by("-received_on", "-id")

    @extend_schema(
        request=PaymentInputSerializer,
        responses={201: PaymentSerializer, 200: PaymentSerializer},
    )
    def post(self, request, code: str):
        compound = get_compound_for_user(request.user, code, CASHIERS)
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        unit = selectors.unit_by_id(compound, values.pop("unit_id"))
        if unit is None:
            raise ValidationError({"unit_id": _("本小区没有这个房屋")})
        payment = services.payment_record(
            compound=compound, unit=unit, actor=request.user, **values
        )
        code_ = status.HTTP_200_OK if payment.was_replayed else status.HTTP_201_CREATED
        return Response(PaymentSerializer(payment).data, status=code_)


class PaymentRefundView(_FeesView):
    """退款 of one payment, by company staff, with an idempotency key (201 when recorded,
    200 with the first refund when the same request is replayed). Only payments can be
    refunded: a refund's id answers 404, as for an absent payment."""

    serializer_class = PaymentSerializer
    lookup_url_kwarg = "payment_id"

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Payment]:
        return compound.payments.filter(kind=PaymentKind.PAYMENT)

    @extend_schema(
        request=RefundInputSerializer,
        responses={201: PaymentSerializer, 200: PaymentSerializer},
    )
    def post(self, request, code: str, payment_id: int):
        payment = access.get_refundable_payment_for_user(request.user, code, payment_id)
        data = RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_record(
            compound=payment.compound, payment=payment, actor=request.user, **data.validated_data
        )
        code_ = status.HTTP_200_OK if refund.was_replayed else status.HTTP_201_CREATED
        return Response(PaymentSerializer(refund).data, status=code_)


class CollectionView(_FeesView):
    """收缴率 of a year: the compound and each building, by households and by amount."""

    serializer_class = CollectionSerializer
    queryset = Charge.objects.none()  # for the schema only; get() reads via a selector

    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, required=True)],
        responses={200: CollectionSerializer},
    )
    def get(self, request, code: str):
        year = parse_year(request.query_params.get("year"))
        report = selectors.collection_report(self.compound, year, with_time=False)

        def figures(row) -> dict:
            return {
                "billed_households": row.billed_households,
                "paid_households": row.paid_households,
                "amount_due": row.amount_due,
                "amount_collected": row.amount_collected,
                "rate_households": row.rate_households,
                "rate_amount": row.rate_amount,
            }

        data = {
            "year": year,
            "compound": figures(report.compound),
            "buildings": [{"building": b.label, **figures(b)} for b in report.buildings],
        }
        return Response(CollectionSerializer(data).data)


class UnitNoticeView(CompoundScopedAPIView):
    """The unit's latest fee notice as PDF: staff for any unit, a resident for their own."""

    queryset = Charge.objects.none()  # for the schema only

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF")
        }
    )
    def get(self, request, code: str, unit_id: int):
        charge = access.get_unit_notice_charge_for_user(request.user, code, unit_id)
        compound = charge.unit.compound
        response = HttpResponse(
            pdf.render_notices(compound, [selectors.unit_notice(compound, charge)]),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = f'inline; filename="notice-{charge.unit_id}.pdf"'
        return response
