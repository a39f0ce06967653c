"""API v1 over agreements: list, detail, parties, PDF, signing and verification.

Compound views are :class:`portal.api.CompoundScopedAPIView` (404 for outsiders); the
upload verifier is public like its page, with the same size limit and rate limit.
"""

import io

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, parsers, permissions, status
from rest_framework.exceptions import NotAuthenticated, Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import CompoundScopedAPIView
from portal.models import STAFF_ROLES, Compound

from . import selectors, services, verification
from .access import get_agreement_for_user, get_party_for_user, get_revision_for_user, may_generate
from .models import Agreement, AgreementRevision, Party
from .serializers import (
    AgreementDetailSerializer,
    AgreementSerializer,
    GenerateInSerializer,
    PartySerializer,
    SignatureOutSerializer,
    SignInSerializer,
    VerificationReportSerializer,
    VerifyInSerializer,
    signature_data,
)
from .views import too_large_message, verify_max_bytes, verify_rate_limited


def report_data(report: verification.VerificationReport) -> dict:
    return VerificationReportSerializer(
        {
            "ok": report.ok,
            "sha256": report.sha256,
            "size": report.size,
            "changed_after_signing": report.changed_after_signing,
            "problems": report.problems,
            "notes": report.notes,
            "signatures": [{**vars(s), "ok": s.ok} for s in report.signatures],
            "unsigned_fields": report.unsigned_fields,
            "archive": (
                {**vars(report.archive), "is_latest": report.archive.is_latest}
                if report.archive
                else None
            ),
            "parties": [vars(p) for p in report.parties],
            "missing_parties": report.missing_parties,
        }
    ).data


class _AgreementScope(CompoundScopedAPIView):
    allowed_roles = STAFF_ROLES

    def get_compound_queryset(self, compound: Compound) -> QuerySet[Agreement]:
        return selectors.compound_agreements(compound)

    @property
    def caller(self) -> User:
        """The logged-in user acting here (the compound's scope has let no one else in)."""
        user = self.request.user
        if not isinstance(user, User):
            raise NotAuthenticated
        return user

    def get_agreement(self) -> Agreement:
        return get_agreement_for_user(
            self.request.user, self.kwargs["code"], self.kwargs["agreement_id"]
        )

    def get_latest_revision(self) -> AgreementRevision:
        return get_revision_for_user(
            self.request.user, self.kwargs["code"], self.kwargs["agreement_id"]
        )


class AgreementListView(_AgreementScope, generics.ListAPIView):
    """四方协议: the compound's agreements with status and who signed when. POST generates
    one from a passed decision item (committee members and street officers, as the page)."""

    serializer_class = AgreementSerializer

    @extend_schema(request=GenerateInSerializer, responses={201: AgreementDetailSerializer})
    def post(self, request: Request, *args, **kwargs) -> Response:
        if not may_generate(request.user, self.compound):
            raise Http404
        payload = GenerateInSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        agreement = services.agreement_generate(
            item=data["item"],
            parties=services.party_specs_for(
                compound=self.compound,
                committee_rep=data["committee_rep"],
                company_rep=data["company_rep"],
                office_rep=data["office_rep"],
                property_units=data["property_units"],
            ),
            term_start=data["term_start"],
            term_end=data["term_end"],
            actor=self.caller,
            supersedes=data.get("supersedes"),
        )
        agreement = self.get_queryset().get(pk=agreement.pk)
        return Response(
            AgreementDetailSerializer(agreement, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class AgreementDetailView(_AgreementScope, generics.RetrieveAPIView):
    """One agreement: parties, clauses, the facts it was generated from, revisions."""

    serializer_class = AgreementDetailSerializer
    lookup_url_kwarg = "agreement_id"


class PartyListView(_AgreementScope, generics.GenericAPIView):
    """The parties of an agreement and whether each has signed (signing status)."""

    serializer_class = PartySerializer

    @extend_schema(responses=PartySerializer(many=True))
    def get(self, request: Request, *args, **kwargs) -> Response:
        agreement = self.get_agreement()
        parties = agreement.parties.select_related("representative", "signature")
        return Response(PartySerializer(parties.order_by("position"), many=True).data)


class AgreementPdfView(_AgreementScope, generics.GenericAPIView):
    """The latest revision of the agreement (the last signature's output) as PDF."""

    serializer_class = AgreementSerializer

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="最新修订的PDF"
            )
        }
    )
    def get(self, request: Request, *args, **kwargs):
        revision = self.get_latest_revision()
        return FileResponse(
            io.BytesIO(services.revision_bytes(revision)),
            content_type="application/pdf",
            filename=f"{revision.agreement.number}-r{revision.number}.pdf",
        )


class AgreementSignView(_AgreementScope, generics.GenericAPIView):
    """Sign for one party as its representative, confirming with the login password.

    Refused (400 with a specific message, nothing changed) when the caller is not that
    party's representative, the party already signed, the agreement was superseded, or
    the password is wrong (5 wrong attempts per 15 minutes, then refused outright)."""

    serializer_class = SignInSerializer

    @extend_schema(request=SignInSerializer, responses={201: SignatureOutSerializer})
    def post(self, request: Request, *args, **kwargs) -> Response:
        party = get_party_for_user(
            request.user, self.kwargs["code"], self.kwargs["agreement_id"], self.kwargs["party_id"]
        )
        payload = SignInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.agreement_sign(
            agreement=party.agreement,
            party=party,
            user=self.caller,
            password=payload.validated_data["password"],
        )
        party = Party.objects.select_related("signature__signer").get(pk=party.pk)
        return Response(
            SignatureOutSerializer(signature_data(party)).data, status=status.HTTP_201_CREATED
        )


class AgreementVerificationView(_AgreementScope, generics.GenericAPIView):
    """The verifier's report on the stored latest revision."""

    serializer_class = VerificationReportSerializer

    def get(self, request: Request, *args, **kwargs) -> Response:
        revision = self.get_latest_revision()
        report = verification.verify_document(services.revision_bytes(revision))
        return Response(report_data(report))


class VerifyUploadView(APIView):
    """Public: upload an agreement PDF and get each signature's verdict (no login)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": VerifyInSerializer},
        responses={200: VerificationReportSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        limit = verify_max_bytes()
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + 64 * 1024:
            return Response(
                {"file": [too_large_message()]},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        if verify_rate_limited(request):
            raise Throttled(detail=_("核验过于频繁，请稍后再试"))
        payload = VerifyInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        if upload.size > limit:
            raise DRFValidationError({"file": [too_large_message()]})
        try:
            report = verification.verify_document(upload.read())
        except verification.NotAPdfError as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        return Response(report_data(report))
