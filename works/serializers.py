"""Input and output serializers of the works projects API. Money leaves as decimal
strings, buildings by their number on the register, emergency cases by their code."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import (
    Contribution,
    DocumentKind,
    FundingKind,
    FundingLine,
    Project,
    ProjectDocument,
    ProjectStatus,
)


def money_field(**options) -> serializers.DecimalField:
    """Yuan to the fen, as a decimal string."""
    return serializers.DecimalField(max_digits=12, decimal_places=2, **options)


class FundingLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingLine
        fields = ["payer", "kind", "amount"]


class ScopeSerializer(serializers.Serializer):
    buildings = serializers.ListField(child=serializers.CharField(), help_text="楼号")


class BasisSerializer(serializers.Serializer):
    item = serializers.IntegerField(allow_null=True, help_text="依据的表决事项 id")
    emergency_case = serializers.CharField(allow_null=True, help_text="应急使用情形代码")


class ProjectSerializer(serializers.ModelSerializer):
    """One project as the list shows it (the interface other tools rely on)."""

    scope = serializers.SerializerMethodField()
    basis = serializers.SerializerMethodField()
    funding = FundingLineSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = ["id", "title", "status", "budget", "scope", "basis", "funding"]

    @extend_schema_field(ScopeSerializer)
    def get_scope(self, project: Project) -> dict:
        return {"buildings": [row.building.number for row in project.scope_buildings.all()]}

    @extend_schema_field(BasisSerializer)
    def get_basis(self, project: Project) -> dict:
        case = project.emergency_case
        return {"item": project.basis_item_id, "emergency_case": case.code if case else None}


class ProjectDetailSerializer(ProjectSerializer):
    """A project with its dates, contractor, sums, single units and items."""

    units = serializers.SerializerMethodField(help_text="单独列入范围的房屋 id")
    items = serializers.SerializerMethodField()

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "description",
            "contractor",
            "contract_sum",
            "settled_amount",
            "proposed_on",
            "approved_on",
            "contracted_on",
            "started_on",
            "accepted_on",
            "settled_on",
            "illustrative",
            "units",
            "items",
        ]

    def get_units(self, project: Project) -> list[int]:
        return [row.unit_id for row in project.scope_units.all()]

    def get_items(self, project: Project) -> list[dict]:
        return [
            {
                "name": item.name,
                "registration_number": item.registration_number,
                "building": item.building.number if item.building else "",
                "quantity": item.quantity,
                "note": item.note,
            }
            for item in project.items.all()
        ]


class WorksItemInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    registration_number = serializers.CharField(max_length=64, required=False, default="")
    building = serializers.CharField(max_length=32, required=False, default="", help_text="楼号")
    quantity = serializers.IntegerField(min_value=1, max_value=10_000, required=False, default=1)
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class ProjectInputSerializer(serializers.Serializer):
    """Create (POST) or, while proposed, change (PATCH) a project. Scope: buildings by 楼号
    and/or units by id, of this compound."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    budget = money_field(help_text="预算（元）")
    proposed_on = serializers.DateField(required=False)
    buildings = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=500
    )
    units = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=5000
    )
    items = WorksItemInputSerializer(many=True, required=False, default=list)
    illustrative = serializers.BooleanField(required=False, default=False)


class FundingLineInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FundingKind.choices)
    payer = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    amount = money_field()
    property_unit = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="产权单位 id（仅 property_unit）"
    )


class FundingPlanInputSerializer(serializers.Serializer):
    """The whole plan at once: the lines must sum exactly to the budget (which may change
    with them while the project is proposed)."""

    budget = money_field(required=False, allow_null=True)
    lines = serializers.ListField(child=FundingLineInputSerializer(), min_length=1, max_length=20)


class FundingLineDetailSerializer(serializers.ModelSerializer):
    raised = money_field(read_only=True, help_text="已到账")

    class Meta:
        model = FundingLine
        fields = ["id", "position", "kind", "payer", "property_unit", "amount", "raised"]


class ProjectTransitionInputSerializer(serializers.Serializer):
    """One step of proposed → approved → contracted → in_progress → accepted → settled."""

    to_status = serializers.ChoiceField(choices=ProjectStatus.choices)
    on = serializers.DateField(required=False, help_text="日期（默认今天）")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    basis_item = serializers.IntegerField(required=False, allow_null=True, default=None)
    emergency_case = serializers.CharField(
        max_length=40, required=False, allow_null=True, default=None, help_text="情形代码"
    )
    contractor = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contract_sum = money_field(required=False, allow_null=True)
    settled_amount = money_field(required=False, allow_null=True)


class ShareSerializer(serializers.ModelSerializer):
    """One unit's share of the owners' line (label as the units API labels it)."""

    unit = serializers.IntegerField(source="unit_id", read_only=True, help_text="房屋 id")
    label = serializers.CharField(source="unit.label", read_only=True)  # type: ignore[assignment]

    class Meta:
        model = Contribution
        fields = ["unit", "label", "area", "share"]


class ProjectDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectDocument
        fields = ["id", "kind", "title", "content_type", "size", "public", "uploaded_at"]


class ProjectDocumentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    public = serializers.BooleanField(required=False, default=False)
    file = serializers.FileField()
