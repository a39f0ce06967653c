"""Output serializers of the register API. Owners' ID numbers and phones leave only masked."""

from rest_framework import serializers

from .models import Building, Owner, Ownership, Unit

# A declared field named ``label`` collides in the stubs with ``Field.label`` (a serializer
# is a field); at run time the serializer's metaclass moves declared fields off the class,
# so nothing is shadowed: the ignores below cover that stub gap only.


class BuildingSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    unit_count = serializers.IntegerField(read_only=True, help_text="户数")
    area = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="已知建筑面积合计 (m²)",
    )
    units_without_area = serializers.IntegerField(read_only=True, help_text="面积未知户数")

    class Meta:
        model = Building
        fields = [
            "number",
            "label",
            "kind",
            "kind_display",
            "floors",
            "lifts",
            "unit_count",
            "area",
            "units_without_area",
        ]


class UnitOwnershipSerializer(serializers.ModelSerializer):
    """A current owner of a unit: name and share, no identifiers."""

    owner_id = serializers.IntegerField(source="owner.id", read_only=True)
    name = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = Ownership
        fields = ["owner_id", "name", "share", "is_representative", "valid_from"]


class UnitSerializer(serializers.ModelSerializer):
    building = serializers.CharField(source="building.number", read_only=True, help_text="楼号")
    building_label = serializers.CharField(source="building.label", read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    owners = UnitOwnershipSerializer(
        source="current_ownerships", many=True, read_only=True, help_text="现产权人"
    )

    class Meta:
        model = Unit
        fields = [
            "id",
            "building",
            "building_label",
            "number",
            "label",
            "floor_area",
            "area_source",
            "is_residential",
            "owners",
        ]


class OwnedUnitSerializer(serializers.ModelSerializer):
    unit_id = serializers.IntegerField(source="unit.id", read_only=True)
    label = serializers.CharField(source="unit.label", read_only=True)  # type: ignore[assignment]
    floor_area = serializers.DecimalField(
        source="unit.floor_area", max_digits=9, decimal_places=2, read_only=True, allow_null=True
    )

    class Meta:
        model = Ownership
        fields = ["unit_id", "label", "floor_area", "share", "is_representative"]


class OwnerSerializer(serializers.ModelSerializer):
    """An owner for the compound's staff. The raw ID number and phone are never serialised."""

    id_number_masked = serializers.CharField(
        source="masked_id_number", read_only=True, help_text="证件号码 (masked, PIPL)"
    )
    phone_masked = serializers.CharField(
        source="masked_phone", read_only=True, help_text="电话 (masked, PIPL)"
    )
    property_right_unit = serializers.CharField(
        source="property_right_unit.name", read_only=True, allow_null=True, default=None
    )
    units = OwnedUnitSerializer(
        source="current_ownerships", many=True, read_only=True, help_text="现有房屋"
    )

    class Meta:
        model = Owner
        fields = [
            "id",
            "kind",
            "name",
            "id_number_masked",
            "phone_masked",
            "property_right_unit",
            "units",
        ]
