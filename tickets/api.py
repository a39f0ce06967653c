"""API v1 over requests: ``/api/v1/compounds/{code}/requests/…``.

Every view is a :class:`portal.api.CompoundScopedAPIView`; the requests come from
:func:`tickets.access.requests_for_user` (a resident: only their own), the request a URL
names from :func:`tickets.access.get_request_for_user` (404 to anyone who may not see
it). Writes go through :mod:`tickets.services`.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from households.roster.limits import Limits
from portal.api import CompoundScopedAPIView
from portal.models import Compound
from portal.xlsx import XLSX_CONTENT_TYPE, Sheet, xlsx_file_response

from . import services
from .access import HOTLINE_KEEPERS, RATE_READERS, get_request_for_user, requests_for_user
from .hotline import EXPORT_HEADERS
from .models import HotlineImport, Request, RequestEvent, RequestPhoto
from .rates import DEFINITIONS, monthly_rates
from .serializers import (
    CommentInput,
    RatesSerializer,
    RatingInput,
    RequestCreatedSerializer,
    RequestCreateInput,
    RequestDetailSerializer,
    RequestEventSerializer,
    RequestSerializer,
    TransitionInput,
)
from .services_hotline import hotline_export_rows, hotline_import, hotline_import_enqueue

User = get_user_model()


def request_rows(requests: QuerySet[Request]) -> QuerySet[Request]:
    """What a list or a detail shows, in a fixed number of queries."""
    return requests.select_related(
        "category", "unit__building", "building", "assignee"
    ).prefetch_related(Prefetch("photos", queryset=RequestPhoto.objects.order_by("id")))


def detail_rows(user, compound: Compound) -> QuerySet[Request]:
    """Requests with their history, as the detail shows them."""
    events = Prefetch(
        "events",
        queryset=RequestEvent.objects.select_related("actor").order_by("created_at", "id"),
    )
    return request_rows(requests_for_user(user, compound)).prefetch_related(events)


class RequestListView(CompoundScopedAPIView, generics.ListAPIView):
    """工单: the requests the caller may see, newest first (a resident: their own); POST
    files a new one (multipart, photos repeatable)."""

    serializer_class = RequestSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Request]:
        return request_rows(requests_for_user(self.request.user, compound)).order_by(
            "-received_at", "-id"
        )

    @extend_schema(request=RequestCreateInput, responses={201: RequestCreatedSerializer})
    def post(self, request, code: str) -> Response:
        compound = self.compound
        data = RequestCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        photos = [
            f.read(settings.CLAIM_PHOTO_MAX_BYTES + 1) for f in request.FILES.getlist("photo")
        ]
        created = services.request_create(
            compound=compound,
            actor=request.user,
            data=services.NewRequest(
                category=data.validated_data["category"],
                description=data.validated_data["description"],
                unit_id=data.validated_data.get("unit"),
                place=data.validated_data.get("place", ""),
                emergency=data.validated_data.get("emergency", False),
            ),
            photos=photos,
        )
        return Response(RequestCreatedSerializer(created).data, status=status.HTTP_201_CREATED)


class RequestDetailView(CompoundScopedAPIView, generics.RetrieveAPIView):
    """One request with its history, to those who may see it (404 to anyone else)."""

    serializer_class = RequestDetailSerializer
    lookup_url_kwarg = "request_id"

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Request]:
        return detail_rows(self.request.user, compound)


class _RequestActionView(CompoundScopedAPIView):
    """A POST on one request the caller may see (found through the access helper)."""

    def target(self, request_id: int) -> Request:
        self.compound  # noqa: B018 (outsiders are refused before anything else)
        return get_request_for_user(self.request.user, self.kwargs["code"], request_id)

    def answer(self, request_id: int) -> Response:
        """The request as it stands after the action, as its detail shows it."""
        fresh = detail_rows(self.request.user, self.compound).get(pk=request_id)
        return Response(RequestDetailSerializer(fresh, context=self.get_serializer_context()).data)


class RequestCommentView(_RequestActionView):
    """留言 on a request (anyone who may see it)."""

    serializer_class = CommentInput

    @extend_schema(request=CommentInput, responses={201: RequestEventSerializer})
    def post(self, request, code: str, request_id: int) -> Response:
        target = self.target(request_id)
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.request_comment(
            request=target, actor=request.user, note=data.validated_data["note"]
        )
        return Response(RequestEventSerializer(event).data, status=status.HTTP_201_CREATED)


class RequestTransitionView(_RequestActionView):
    """派单 (assign: ``party``, optional ``assignee`` login), 开始处理 (start), 办结
    (resolve: ``note`` is the result), 关闭 (close), 重启 (reopen: ``note`` says why).
    For the street office, the committee and the company; a wrong state is a 400."""

    serializer_class = TransitionInput

    @extend_schema(request=TransitionInput, responses={200: RequestDetailSerializer})
    def post(self, request, code: str, request_id: int) -> Response:
        target = self.target(request_id)
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        action, note = values["action"], values["note"]
        if action == "assign":
            if "party" not in values:
                raise exceptions.ValidationError({"party": [_("请选择责任方")]})
            assignee = None
            if values.get("assignee"):
                assignee = User.objects.filter(username=values["assignee"]).first()
                if assignee is None:
                    raise exceptions.ValidationError({"assignee": [_("处理人不属于所选责任方")]})
            services.request_assign(
                request=target,
                actor=request.user,
                party=values["party"],
                assignee=assignee,
                note=note,
            )
        elif action == "start":
            services.request_start(request=target, actor=request.user, note=note)
        elif action == "resolve":
            services.request_resolve(request=target, actor=request.user, result=note)
        elif action == "close":
            services.request_close(request=target, actor=request.user, note=note)
        else:
            services.request_reopen(request=target, actor=request.user, note=note)
        return self.answer(request_id)


class RequestRatingView(_RequestActionView):
    """评价 a resolved request: its reporter (or, for a case without one, a handler
    recording the caller's answer). ``reopen`` with 不满意 reopens it."""

    serializer_class = RatingInput

    @extend_schema(request=RatingInput, responses={200: RequestDetailSerializer})
    def post(self, request, code: str, request_id: int) -> Response:
        target = self.target(request_id)
        data = RatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.request_rate(
            request=target,
            actor=request.user,
            rating=data.validated_data["rating"],
            comment=data.validated_data["comment"],
            reopen=data.validated_data["reopen"],
        )
        return self.answer(request_id)


@extend_schema(
    description="接诉即办三率，按受理月份。\n\n"
    + "\n\n".join(f"- {text}" for text in map(str, DEFINITIONS.values()))
    + "\n\n比率为百分数，保留两位小数（四舍五入），字符串；当月无可计算的工单时为 null。",
    parameters=[OpenApiParameter("year", OpenApiTypes.INT, required=True, description="YYYY")],
    responses=RatesSerializer,
)
class RatesView(CompoundScopedAPIView):
    """响应率、解决率、满意率 by month of ``year`` up to now, for the street office, the
    committee and the company."""

    allowed_roles = RATE_READERS
    serializer_class = RatesSerializer

    def get(self, request, code: str) -> Response:
        compound = self.compound
        raw = request.query_params.get("year", "")
        this_year = timezone.localdate().year
        if not (raw.isascii() and raw.isdigit() and len(raw) == 4) or not (
            2000 <= int(raw) <= this_year
        ):
            raise exceptions.ValidationError(
                {"year": [_("year 须为 2000 到 %(year)d 之间的年份") % {"year": this_year}]}
            )
        months = monthly_rates(compound, int(raw))
        return Response({"months": [m.as_dict() for m in months]})


class HotlineReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    merged = serializers.IntegerField(help_text="重复行（同一工单编号、同一内容）合并的行数")
    already = serializers.IntegerField(help_text="此前已导入、内容相同的工单数")
    repaired_rows = serializers.ListField(child=serializers.IntegerField())
    file_error = serializers.CharField()
    problems = serializers.ListField(
        child=serializers.DictField(), help_text="每个出错的行：row, column, message"
    )


class HotlineImportInput(serializers.Serializer):
    file = serializers.FileField(help_text="12345工单表 XLSX（列见 README）")


class HotlineView(CompoundScopedAPIView):
    """12345 工单: GET the compound's hotline cases back as XLSX with their results; POST
    a case file (multipart ``file``) to import it, all or nothing: 201 with the counts, or
    400 with every bad row (row, column, message) and nothing imported. Street office."""

    allowed_roles = HOTLINE_KEEPERS
    serializer_class = HotlineImportInput
    parser_classes = [MultiPartParser]

    @extend_schema(responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY})
    def get(self, request, code: str) -> FileResponse:
        compound = self.compound
        sheet = Sheet(
            "12345", EXPORT_HEADERS, hotline_export_rows(compound), text_columns=(0, 2, 3)
        )
        return xlsx_file_response(f"{compound.code}-12345.xlsx", sheet)

    @extend_schema(
        request=HotlineImportInput,
        responses={201: HotlineReportSerializer, 400: HotlineReportSerializer},
        deprecated=True,
        description="Synchronous import, kept for existing callers: prefer "
        "POST …/requests/hotline/imports/ (a background job with progress).",
    )
    def post(self, request, code: str) -> Response:
        compound = self.compound
        data = HotlineImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = hotline_import(
            compound=compound,
            actor=request.user,
            data=data.validated_data["file"].read(50 * 1024 * 1024),
        )
        body = {
            "created": report.created,
            "merged": report.merged,
            "already": report.already,
            "repaired_rows": report.repaired_rows,
            "file_error": report.file_error,
            "problems": [
                {"row": e.row, "column": e.column, "message": e.message} for e in report.errors
            ],
        }
        return Response(
            body, status=status.HTTP_201_CREATED if report.ok else status.HTTP_400_BAD_REQUEST
        )


class HotlineRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="电子表格中的行号")
    column = serializers.CharField(help_text="列名，如 受理时间")
    message = serializers.CharField()


# ``status`` is a plain string (queued, running, done, failed) rather than an enum: another
# "status" choice set would collide in the schema's enum names.
IMPORT_STATUS_HELP = "queued → running → done（全部导入）或 failed（一件也未导入，见 errors）"


class HotlineImportStartedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text=IMPORT_STATUS_HELP)


class HotlineImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text=IMPORT_STATUS_HELP)
    done = serializers.IntegerField(help_text="已检查的行数")
    total = serializers.IntegerField(help_text="文件中的工单行数（读取文件后才知道，之前为 0）")
    created = serializers.IntegerField(help_text="新建的工单数（failed 时为 0）")
    merged = serializers.IntegerField(help_text="重复行（同一工单编号、同一内容）合并的行数")
    already = serializers.IntegerField(help_text="此前已导入、内容相同的工单数")
    repaired_rows = serializers.ListField(child=serializers.IntegerField())
    file_error = serializers.CharField(help_text="整个文件无法读取的原因；否则为空")
    # The API's key is "errors" (the row report); a field may shadow Serializer.errors.
    errors = HotlineRowErrorSerializer(  # type: ignore[assignment]
        many=True, help_text="每个出错的行（最多1000处）"
    )


def hotline_import_body(job: HotlineImport) -> dict:
    report = job.report or {}
    return {
        "id": job.pk,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "created": report.get("created", 0),
        "merged": report.get("merged", 0),
        "already": report.get("already", 0),
        "repaired_rows": report.get("repaired_rows", []),
        "file_error": report.get("file_error", ""),
        "errors": report.get("errors", []),
    }


class HotlineImportListView(CompoundScopedAPIView):
    """12345 工单导入: POST the hotline's case file (multipart ``file``, XLSX or CSV); the
    import runs in the background, all or nothing, and the answer (202) names the job to
    poll at …/hotline/imports/{id}/. Street office only. An empty or oversized file is
    refused at once (400) and nothing is kept."""

    allowed_roles = HOTLINE_KEEPERS
    serializer_class = HotlineImportInput
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=HotlineImportInput,
        responses={202: HotlineImportStartedSerializer, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request, code: str) -> Response:
        compound = self.compound
        data = HotlineImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        job = hotline_import_enqueue(
            compound=compound,
            actor=request.user,
            data=upload.read(Limits.from_settings().upload_bytes + 1),
            filename=upload.name or "",
        )
        job.refresh_from_db(fields=["status"])  # run already where tasks are eager
        return Response(
            HotlineImportStartedSerializer({"id": job.pk, "status": job.status}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class HotlineImportDetailView(CompoundScopedAPIView):
    """One 12345 import: its status, progress (done of total rows checked) and report."""

    allowed_roles = HOTLINE_KEEPERS
    serializer_class = HotlineImportSerializer

    @extend_schema(responses={200: HotlineImportSerializer, 404: OpenApiTypes.OBJECT})
    def get(self, request, code: str, import_id: int) -> Response:
        job = HotlineImport.objects.filter(compound=self.compound, pk=import_id).first()
        if job is None:
            raise exceptions.NotFound
        return Response(HotlineImportSerializer(hotline_import_body(job)).data)
