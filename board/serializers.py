"""Output serializers of the compounds API (the list of one's compounds and their detail)."""

from rest_framework import serializers

from portal.models import Compound, ServiceCompany, StreetOffice


class StreetOfficeRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = StreetOffice
        fields = ["code", "name"]


class ServiceCompanyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceCompany
        fields = ["name", "contact_phone"]


class CompoundSerializer(serializers.ModelSerializer):
    """One compound as its caller sees it in a list; ``households`` counts its units."""

    street_office = StreetOfficeRefSerializer(read_only=True)
    service_company = ServiceCompanyRefSerializer(read_only=True, allow_null=True)
    households = serializers.IntegerField(read_only=True, help_text="户数 (units)")

    class Meta:
        model = Compound
        fields = ["code", "name", "address", "street_office", "service_company", "households"]


class CompoundDetailSerializer(CompoundSerializer):
    building_count = serializers.IntegerField(read_only=True, help_text="楼栋/平房区数")
    known_area = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="已知建筑面积 (m²)"
    )
    units_without_area = serializers.IntegerField(
        read_only=True, help_text="面积未知户数: they can be neither billed nor weighed in a vote"
    )

    class Meta(CompoundSerializer.Meta):
        fields = [
            *CompoundSerializer.Meta.fields,
            "built_years",
            "building_count",
            "known_area",
            "units_without_area",
        ]


class CompoundCreateSerializer(serializers.Serializer):
    """A new compound of the caller's street office (``street_office``: its code)."""

    code = serializers.CharField(
        max_length=32, help_text="小区代码: 2–32 lowercase letters, digits or hyphens"
    )
    name = serializers.CharField(max_length=100, help_text="小区名称")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    street_office = serializers.CharField(
        max_length=32, help_text="街道代码 of a street office the caller works at, e.g. btpz"
    )
