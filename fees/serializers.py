"""Input and output serializers of the fees API. Money is a decimal string, 2 places."""

from rest_framework import serializers

from .models import (
    BillingRun,
    Charge,
    ChargeSubsidyLine,
    FeeStandard,
    NonResidentialMode,
    Payment,
    PaymentMethod,
    SubsidyShare,
)


def money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class SubsidyShareSerializer(serializers.ModelSerializer):
    payer = serializers.CharField(source="payer.name")

    class Meta:
        model = SubsidyShare
        fields = ["payer", "share"]


KIND_HELP = "楼栋类型: high_rise | low_rise | bungalow"


class FeeStandardSerializer(serializers.ModelSerializer):
    # Plain strings: the register API already names the BuildingKind enum.
    building_kind = serializers.CharField(read_only=True, help_text=KIND_HELP)
    subsidy_rate = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    shares = SubsidyShareSerializer(many=True, read_only=True)

    class Meta:
        model = FeeStandard
        fields = [
            "id",
            "building_kind",
            "version",
            "appraised_rate",
            "charged_rate",
            "subsidy_rate",
            "valid_from",
            "valid_to",
            "non_residential_mode",
            "non_residential_rate",
            "service_standard",
            "basis_item",
            "pending_vote",
            "shares",
        ]


class ShareInputSerializer(serializers.Serializer):
    payer = serializers.CharField(max_length=200)
    share = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="percent")


class FeeStandardInputSerializer(serializers.Serializer):
    building_kind = serializers.CharField(max_length=16, help_text=KIND_HELP)
    appraised_rate = serializers.DecimalField(max_digits=8, decimal_places=2)
    charged_rate = serializers.DecimalField(max_digits=8, decimal_places=2)
    valid_from = serializers.DateField(help_text="first day of a month")
    valid_to = serializers.DateField(required=False, allow_null=True)
    shares = ShareInputSerializer(many=True, required=False)
    non_residential_mode = serializers.ChoiceField(
        choices=NonResidentialMode.choices, default=NonResidentialMode.SAME
    )
    non_residential_rate = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True
    )
    service_standard = serializers.CharField(max_length=200, required=False, default="")
    basis_item_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="the passed decision item (hiring the company or setting the fee standard) "
        "behind a version that changes the owners' rate",
    )
    pending_vote = serializers.BooleanField(
        default=False,
        help_text="an appraisal awaiting the owners' joint decision: published, never billed",
    )


class BillingRunSerializer(serializers.ModelSerializer):
    period_end = serializers.DateField(read_only=True)
    period_label = serializers.CharField(read_only=True)
    notice_progress = serializers.IntegerField(read_only=True, help_text="percent")

    class Meta:
        model = BillingRun
        fields = [
            "id",
            "period_start",
            "period_end",
            "period_label",
            "months",
            "units_billed",
            "blocked_units",
            "notice_status",
            "notices_total",
            "notices_done",
            "notice_progress",
            "last_billed_at",
        ]


class BillingRunInputSerializer(serializers.Serializer):
    period_start = serializers.DateField(help_text="any day of the first month billed")
    months = serializers.IntegerField(min_value=1, max_value=36, default=1)


class BillingOutcomeSerializer(serializers.Serializer):
    run = BillingRunSerializer()
    created = serializers.IntegerField()
    adjusted = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class SubsidyLineSerializer(serializers.ModelSerializer):
    payer = serializers.CharField(source="payer.name")
    adjustment = serializers.BooleanField(source="adjustment_id", read_only=True)

    class Meta:
        model = ChargeSubsidyLine
        fields = ["payer", "share", "amount", "adjustment"]


class ChargeSerializer(serializers.ModelSerializer):
    unit_id = serializers.IntegerField(read_only=True)
    building = serializers.CharField(source="building.number")
    unit = serializers.CharField(source="unit.number")
    subsidy_lines = SubsidyLineSerializer(many=True, read_only=True)

    class Meta:
        model = Charge
        fields = [
            "id",
            "unit_id",
            "building",
            "unit",
            "standard",
            "area",
            "months",
            "appraised_rate",
            "charged_rate",
            "appraised_amount",
            "owner_amount",
            "subsidy_amount",
            "appraised_due",
            "owner_due",
            "subsidy_due",
            "owner_paid",
            "subsidy_lines",
        ]


class PaymentSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="payment | refund")
    receipt_number = serializers.CharField(read_only=True)
    unit_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "receipt_number",
            "unit_id",
            "kind",
            "method",
            "amount",
            "reference",
            "received_on",
            "is_prepayment",
            "refund_of",
            "note",
            "created_at",
        ]


class PaymentInputSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    received_on = serializers.DateField()
    idempotency_key = serializers.CharField(
        max_length=64, help_text="the same key with the same data returns the first payment"
    )
    is_prepayment = serializers.BooleanField(default=False)
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class RefundInputSerializer(serializers.Serializer):
    """A refund of (part of) one payment; money goes back the way it came by default."""

    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="positive; at most what is left to refund"
    )
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    received_on = serializers.DateField(help_text="the day the money was paid back")
    idempotency_key = serializers.CharField(
        max_length=64, help_text="the same key with the same data returns the first refund"
    )
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class CollectionFiguresSerializer(serializers.Serializer):
    billed_households = serializers.IntegerField()
    paid_households = serializers.IntegerField()
    amount_due = money()
    amount_collected = money()
    rate_households = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="%")
    rate_amount = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="%")


class BuildingCollectionSerializer(CollectionFiguresSerializer):
    building = serializers.CharField()


class CollectionSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    compound = CollectionFiguresSerializer()
    buildings = BuildingCollectionSerializer(many=True)
