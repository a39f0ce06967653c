"""API v1 of owners' joint decisions, under ``/api/v1/compounds/{code}/decisions/``.

Every view is a :class:`portal.api.CompoundScopedAPIView`; the service functions do the
checking, their ValidationErrors become 400s in the project's exception handler.
"""

from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, parsers, serializers, status
from rest_framework.response import Response

from portal.api import CompoundScopedAPIView
from portal.db import prepared_statements
from portal.models import Compound, Role

from . import selectors, services
from .access import (
    MANAGERS,
    decisions_for_user,
    get_decision_for_user,
    get_proxy_for_user,
    get_roll_entry_by_number,
    get_voting_entry_for_user,
    may_create_decision,
    may_see_tally,
    proxies_for_user,
)
from .models import (
    DRAFT_SETTINGS,
    Ballot,
    Choice,
    Decision,
    Item,
    PaperEntry,
    Proxy,
)


class ItemSerializer(serializers.ModelSerializer):
    buildings = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = [
            "id",
            "position",
            "title",
            "category",
            "sets_fee_standard",
            "description",
            "buildings",
        ]

    def get_buildings(self, item: Item) -> list[str]:
        """楼号 of the scope; empty for the whole compound."""
        return [row.building.number for row in item.scope_rows.all()]


class DecisionSerializer(serializers.ModelSerializer):
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            *DRAFT_SETTINGS,
            "state",
            "announced_at",
            "opened_at",
            "closed_at",
            "counted_at",
            "published_at",
            "counting_date",
            "counting_place",
            "counters",
            "notary_office",
            "public_counting",
            "ballot_set_sha256",
            "items",
        ]


class ItemInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    category = serializers.IntegerField(min_value=1, max_value=9)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    sets_fee_standard = serializers.BooleanField(
        required=False, default=False, help_text="the item decides the service fee standard"
    )
    buildings = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, help_text="楼号"
    )


class DecisionInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    voting_opens_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    voting_closes_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    spoiled_counts_as_participating = serializers.BooleanField(required=False, default=False)
    allow_changes_until_close = serializers.BooleanField(required=False, default=False)
    adopted_rules_follow_majority = serializers.BooleanField(required=False, default=False)
    items = ItemInputSerializer(many=True, required=False, default=list)


def _decisions(view: CompoundScopedAPIView, compound: Compound) -> QuerySet[Decision]:
    return (
        decisions_for_user(view.request.user, compound)
        .prefetch_related("items__scope_rows__building")
        .order_by("-created_at")
    )


def _decision(view: CompoundScopedAPIView, roles: Iterable[Role] | None = None) -> Decision:
    """The decision of the URL, through the access helper (404 when not for this user)."""
    return get_decision_for_user(
        view.request.user, view.kwargs["code"], view.kwargs["decision_id"], roles
    )


class DecisionListView(CompoundScopedAPIView, generics.ListCreateAPIView):
    """业主共同决定: list (residents see announced ones), or create a draft with its items
    (committee members)."""

    serializer_class = DecisionSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Decision]:
        return _decisions(self, compound)

    @extend_schema(request=DecisionInputSerializer, responses={201: DecisionSerializer})
    def post(self, request, *args, **kwargs):
        if not may_create_decision(request.user, self.compound):
            raise Http404
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        items = fields.pop("items")
        with transaction.atomic():
            decision = services.decision_create(
                compound=self.compound, actor=request.user, **fields
            )
            for item in items:
                numbers = item.pop("buildings")
                ids = list(
                    self.compound.buildings.filter(number__in=numbers).values_list("id", flat=True)
                )
                if len(ids) != len(set(numbers)):
                    raise ValidationError({"buildings": "表决范围中有不属于本小区的楼栋"})
                services.item_add(decision=decision, actor=request.user, building_ids=ids, **item)
        decision = _decisions(self, self.compound).get(pk=decision.pk)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class DecisionDetailView(CompoundScopedAPIView, generics.RetrieveAPIView):
    serializer_class = DecisionSerializer
    lookup_url_kwarg = "decision_id"

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Decision]:
        return _decisions(self, compound)


class BallotInputSerializer(serializers.Serializer):
    entry = serializers.IntegerField(
        required=False, help_text="名册序号; needed only when you may vote for several"
    )
    choices = serializers.DictField(
        child=serializers.ChoiceField(choices=[c for c in Choice.values if c != "spoiled"]),
        help_text="{item id: agree | disagree | abstain}",
    )


class BallotSerializer(serializers.ModelSerializer):
    """Your own ballot (nobody else's choice is ever returned)."""

    class Meta:
        model = Ballot
        fields = ["id", "item", "choice", "channel", "receipt_code", "cast_at", "changed_at"]


class BallotCreateView(CompoundScopedAPIView, generics.GenericAPIView):
    """A resident casts their own ballot (or, as an active proxy's holder, the principal's)."""

    serializer_class = BallotSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Ballot]:
        return Ballot.objects.none()

    @extend_schema(request=BallotInputSerializer, responses={201: BallotSerializer(many=True)})
    def post(self, request, *args, **kwargs):
        decision = _decision(self)
        data = BallotInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = get_voting_entry_for_user(request.user, decision, data.validated_data.get("entry"))
        try:
            choices = {int(k): v for k, v in data.validated_data["choices"].items()}
        except ValueError:
            raise ValidationError({"choices": "事项须以其编号表示"}) from None
        ballots = services.ballot_cast(
            decision=decision, entry=entry, user=request.user, choices=choices
        )
        return Response(BallotSerializer(ballots, many=True).data, status=status.HTTP_201_CREATED)


class PaperEntryInputSerializer(serializers.Serializer):
    ballot_code = serializers.CharField(max_length=16)
    choices = serializers.DictField(
        child=serializers.ChoiceField(choices=Choice.values),
        help_text="{item id: agree | disagree | abstain | spoiled}",
    )


class PaperEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PaperEntry
        fields = ["id", "status", "created_at"]


class PaperEntryCreateView(CompoundScopedAPIView, generics.GenericAPIView):
    """A committee member keys a paper ballot; two agreeing keyings by two members count."""

    allowed_roles = MANAGERS
    serializer_class = PaperEntrySerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[PaperEntry]:
        return PaperEntry.objects.none()

    @extend_schema(request=PaperEntryInputSerializer, responses={201: PaperEntrySerializer})
    def post(self, request, *args, **kwargs):
        decision = _decision(self, MANAGERS)
        data = PaperEntryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        paper = services.paper_entry_record(
            decision=decision,
            ballot_code=data.validated_data["ballot_code"],
            actor=request.user,
            choices=data.validated_data["choices"],
        )
        return Response(PaperEntrySerializer(paper).data, status=status.HTTP_201_CREATED)


class ProxySerializer(serializers.ModelSerializer):
    """A registered proxy vote (委托投票); the authorisation file itself is not returned."""

    voter_number = serializers.IntegerField(source="entry.number", help_text="名册序号")
    units = serializers.CharField(source="entry.units_label", help_text="房屋")
    holder_username = serializers.CharField(
        source="holder_user.username", allow_null=True, default=None
    )
    is_active = serializers.BooleanField()
    has_voted = serializers.BooleanField(help_text="the holder has voted under it")

    class Meta:
        model = Proxy
        fields = [
            "id",
            "voter_number",
            "units",
            "holder_name",
            "holder_username",
            "created_at",
            "is_active",
            "has_voted",
            "revoked_at",
            "revoked_reason",
        ]


class ProxyInputSerializer(serializers.Serializer):
    voter_number = serializers.IntegerField(min_value=1, help_text="名册序号")
    holder_name = serializers.CharField(max_length=100)
    holder_username = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        default="",
        help_text="the holder's account, so they may vote online",
    )
    authorisation = serializers.FileField(help_text="授权委托书 (scan of the signed form)")


class ProxyRevokeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="撤销原因 (required)"
    )


class _ProxyScope(CompoundScopedAPIView, generics.GenericAPIView):
    """Proxies of one decision, for committee members (as on the decision page)."""

    allowed_roles = MANAGERS
    serializer_class = ProxySerializer

    @cached_property
    def decision(self) -> Decision:
        return _decision(self, MANAGERS)

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Proxy]:
        return proxies_for_user(self.request.user, self.decision)


class ProxyListView(_ProxyScope, generics.ListAPIView):
    """委托投票 of a decision: list, or register one with the owner's signed authorisation
    (multipart upload)."""

    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    @extend_schema(
        request={"multipart/form-data": ProxyInputSerializer}, responses={201: ProxySerializer}
    )
    def post(self, request, *args, **kwargs):
        decision = self.decision
        data = ProxyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        entry = get_roll_entry_by_number(request.user, decision, fields["voter_number"])
        holder = None
        if fields["holder_username"]:
            holder = services.proxy_holder_find(decision.compound, fields["holder_username"])
        proxy = services.proxy_register(
            decision=decision,
            entry=entry,
            actor=request.user,
            holder_name=fields["holder_name"],
            holder_user=holder,
            authorisation=fields["authorisation"],
        )
        proxy = self.get_queryset().get(pk=proxy.pk)
        return Response(ProxySerializer(proxy).data, status=status.HTTP_201_CREATED)


class ProxyRevokeView(_ProxyScope):
    """Withdraw a proxy (body: reason). Refused once the holder has voted under it, or
    after voting has closed."""

    @extend_schema(request=ProxyRevokeInputSerializer, responses={200: ProxySerializer})
    def post(self, request, *args, **kwargs):
        proxy = get_proxy_for_user(request.user, self.decision, self.kwargs["proxy_id"])
        data = ProxyRevokeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.proxy_revoke(proxy=proxy, actor=request.user, reason=data.validated_data["reason"])
        proxy = self.get_queryset().get(pk=proxy.pk)
        return Response(ProxySerializer(proxy).data)


class RatiosSerializer(serializers.Serializer):
    participation_owners = serializers.CharField(help_text="percent, 2 decimals")
    participation_area = serializers.CharField()
    consent_owners = serializers.CharField()
    consent_area = serializers.CharField()


class CheckSerializer(serializers.Serializer):
    rule = serializers.CharField()
    threshold = serializers.CharField()
    value = serializers.CharField()
    passed = serializers.BooleanField()


class TallyReadingSerializer(serializers.Serializer):
    total_owners = serializers.IntegerField()
    total_area = serializers.CharField(help_text="m², decimal string")
    participating_owners = serializers.IntegerField()
    participating_area = serializers.CharField()
    consenting_owners = serializers.IntegerField()
    consenting_area = serializers.CharField()
    opposing_owners = serializers.IntegerField()
    opposing_area = serializers.CharField()
    abstaining_owners = serializers.IntegerField()
    abstaining_area = serializers.CharField()
    spoiled_owners = serializers.IntegerField()
    spoiled_area = serializers.CharField()
    not_voted_owners = serializers.IntegerField()
    not_voted_area = serializers.CharField()
    ratios = RatiosSerializer()
    checks = CheckSerializer(many=True)
    passed = serializers.BooleanField()
    incomplete = serializers.BooleanField(help_text="units of unknown area are in scope")
    unknown_area_units = serializers.IntegerField()


class TallyItemSerializer(TallyReadingSerializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.IntegerField()
    scope = serializers.CharField()
    spoiled_counts_as_participating = serializers.BooleanField()
    adjusted = TallyReadingSerializer(
        allow_null=True, help_text="non-voters follow the majority (adopted rules only)"
    )

    class Meta:
        model = Decision  # for schema generation of the scoped base view


class TallyView(CompoundScopedAPIView, generics.GenericAPIView):
    """计票结果 per item. Refused while the vote is not closed; residents see it once
    published."""

    serializer_class = TallyItemSerializer

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Decision]:
        return _decisions(self, compound)

    def dispatch(self, request, *args, **kwargs):
        # The token (or session) and user, the memberships and the decision: the same
        # statements on every call, prepared once per connection (portal/db.py).
        with prepared_statements():
            return super().dispatch(request, *args, **kwargs)

    @extend_schema(responses={200: TallyItemSerializer(many=True)})
    def get(self, request, *args, **kwargs):
        decision = _decision(self)
        if not decision.may_be_tallied:
            raise ValidationError("投票尚未结束，不能计票")
        if not may_see_tally(request.user, decision):
            raise ValidationError("计票结果公布后业主才能查看")
        data = selectors.decision_result(decision).to_json()
        # The certified snapshot is already JSON of the documented shape: the serializer
        # documents it (schema) and names the fields returned, without building its
        # fields on every request (a fifth of the request's CPU).
        return Response([_tally_item(item) for item in data["items"]])


def _field_tree(serializer: serializers.Serializer) -> dict[str, Any]:
    """The field names of ``serializer``, with those of its nested serializers."""
    tree: dict[str, Any] = {}
    for name, field in serializer.fields.items():
        item = field.child if isinstance(field, serializers.ListSerializer) else field
        tree[name] = _field_tree(item) if isinstance(item, serializers.Serializer) else None
    return tree


_TALLY_FIELDS = _field_tree(TallyItemSerializer())


def _project(data: Any, tree: dict[str, Any]) -> Any:
    if data is None:
        return None
    if isinstance(data, list):
        return [_project(x, tree) for x in data]
    return {k: data[k] if sub is None else _project(data[k], sub) for k, sub in tree.items()}


def _tally_item(item: dict[str, Any]) -> dict[str, Any]:
    """One item of the snapshot with exactly the fields of :class:`TallyItemSerializer`."""
    return _project(item, _TALLY_FIELDS)
