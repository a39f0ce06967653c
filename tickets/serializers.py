"""API serializers of requests. Callers' phones leave only masked (PIPL)."""

from django.urls import reverse
from rest_framework import serializers

from .models import Party, Rating, Request, RequestEvent
from .rates import DEFINITIONS


class RequestCreateInput(serializers.Serializer):
    category = serializers.CharField(
        max_length=32,
        help_text="类别代码: repairs, sanitation, greening, parking, noise, security, fees, other",
    )
    description = serializers.CharField(max_length=2000, help_text="诉求内容")
    unit = serializers.IntegerField(
        required=False, min_value=1, help_text="房屋 id (居民只能填自己名下的房屋；不填为公共区域)"
    )
    place = serializers.CharField(required=False, max_length=200, allow_blank=True)
    emergency = serializers.BooleanField(required=False, default=False)
    photo = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="照片，可重复，JPEG 或 PNG",
    )


class RequestCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    due = serializers.DateTimeField(source="due_at")


class RequestEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)

    class Meta:
        model = RequestEvent
        fields = ["kind", "from_state", "to_state", "actor", "note", "created_at"]


class RequestSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    unit = serializers.IntegerField(source="unit_id", read_only=True, allow_null=True)
    place = serializers.CharField(source="place_label", read_only=True)
    due = serializers.DateTimeField(source="due_at", read_only=True)
    caller_phone = serializers.CharField(source="caller_phone_masked", read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Request
        fields = [
            "id",
            "channel",
            "hotline_case_number",
            "category",
            "category_name",
            "unit",
            "place",
            "description",
            "emergency",
            "state",
            "received_at",
            "due",
            "assigned_party",
            "assignee",
            "caller_phone",
            "first_response_at",
            "resolved_at",
            "result",
            "rating",
            "rating_comment",
            "photos",
        ]

    def get_photos(self, obj: Request) -> list[dict[str, str]]:
        code = self.context["compound"].code
        return [
            {
                "image": reverse("tickets:photo", args=[code, obj.pk, photo.pk]),
                "thumbnail": reverse("tickets:photo_thumbnail", args=[code, obj.pk, photo.pk]),
            }
            for photo in obj.photos.all()
        ]


class RequestDetailSerializer(RequestSerializer):
    events = RequestEventSerializer(many=True, read_only=True)

    class Meta(RequestSerializer.Meta):
        fields = [*RequestSerializer.Meta.fields, "events"]


class CommentInput(serializers.Serializer):
    note = serializers.CharField(max_length=1000)


class TransitionInput(serializers.Serializer):
    action = serializers.ChoiceField(["assign", "start", "resolve", "close", "reopen"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    party = serializers.ChoiceField(Party.choices, required=False, help_text="派单时的责任方")
    assignee = serializers.CharField(required=False, max_length=150, help_text="处理人登录名")


class RatingInput(serializers.Serializer):
    rating = serializers.ChoiceField(Rating.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    reopen = serializers.BooleanField(
        required=False, default=False, help_text="不满意时要求重新处理"
    )


class MonthRatesSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    received = serializers.IntegerField(help_text="当月受理的工单数")
    response_rate = serializers.CharField(
        allow_null=True, help_text=str(DEFINITIONS["response_rate"])
    )
    resolution_rate = serializers.CharField(
        allow_null=True, help_text=str(DEFINITIONS["resolution_rate"])
    )
    satisfaction_rate = serializers.CharField(
        allow_null=True, help_text=str(DEFINITIONS["satisfaction_rate"])
    )


class RatesSerializer(serializers.Serializer):
    months = MonthRatesSerializer(many=True)
