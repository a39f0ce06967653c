"""Claims (房屋认领): a resident without an activation letter asks to be linked to a unit.

The resident gives their name, ID number, the unit and, if they like, the property
certificate's number (不动产权证号) and a photo of it. The committee (or the street office)
reviews the queue: approving links the account to the owner record only when the claim's
ID number is that of a current owner of the unit on the roster; otherwise nothing is
linked and the answer says to correct the roster first. Rejecting needs a reason, which
the resident sees on their claims page.

The photo is accepted only when its content is a JPEG or PNG image (Pillow reads and
verifies it), at most ``CLAIM_PHOTO_MAX_BYTES`` and ``CLAIM_PHOTO_MAX_PIXELS``, and is
stored re-encoded (EXIF, GPS, text chunks and comments dropped) under a random name in the
default storage, which the portal never serves directly: only the claim's photo view,
for those who review the compound's claims, reads it back.
"""

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.audit import audit_record
from portal.models import Compound, Role
from portal.services import MembershipScope, membership_grant

from ..id_numbers import normalise_id_number
from ..models import ClaimStatus, Owner, Ownership, OwnershipClaim, Unit
from ..validators import normalise_register_number
from .accounts import _owners_link
from .activation import _new_account_check
from .locks import register_lock

_T = TypeVar("_T")

#: Larger photos are refused before decoding (a small file can unpack to gigabytes).
CLAIM_PHOTO_MAX_PIXELS = 40_000_000
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png"}
#: New logins made through the claim form per client address and hour.
CLAIM_SIGNUPS_PER_HOUR = 5


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    extension: str


def _photo_error(message: str | Promise) -> ValidationError:
    return ValidationError({"photo": message}, code="photo_invalid")


def claim_photo_clean(data: bytes) -> CleanPhoto:
    """``data`` as a JPEG or PNG re-encoded without metadata, or a ValidationError."""
    if len(data) > settings.CLAIM_PHOTO_MAX_BYTES:
        raise _photo_error(
            _("照片不能超过 %(mb).1f MB") % {"mb": settings.CLAIM_PHOTO_MAX_BYTES / 1024 / 1024}
        )
    not_an_image = _("只接受 JPEG 或 PNG 格式的照片（按文件内容判断，改扩展名无效）")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            if fmt not in PHOTO_FORMATS:
                raise _photo_error(not_an_image)
            if probe.width * probe.height > CLAIM_PHOTO_MAX_PIXELS:
                raise _photo_error(_("照片像素过多（最多4000万像素）"))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            if fmt == "JPEG":
                clean = upright.convert("RGB")
            else:
                has_alpha = upright.mode in ("RGBA", "LA", "PA", "P")
                clean = upright.convert("RGBA" if has_alpha else "RGB")
            clean.info = {}  # no comment, EXIF, XMP or text chunk is written back
            out = io.BytesIO()
            if fmt == "JPEG":
                clean.save(out, "JPEG", quality=85, optimize=True)
            else:
                clean.save(out, "PNG", optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise _photo_error(not_an_image) from None
    return CleanPhoto(content=out.getvalue(), extension=PHOTO_FORMATS[fmt])


def _claim_unit(compound_code: str, building: str, unit_number: str) -> Unit:
    compound = Compound.objects.filter(code=compound_code.strip()).first()
    if compound is None:
        raise ValidationError(
            {
                "compound_code": _("没有代码为“%(code)s”的小区")
                % {"code": compound_code.strip()[:40]}
            },
            code="compound_not_found",
        )
    building = normalise_register_number(building)
    unit_number = normalise_register_number(unit_number)
    unit = (
        compound.units.filter(building__number=building, number=unit_number)
        .select_related("building", "compound")
        .first()
    )
    if unit is None:
        raise ValidationError(
            {
                "unit_number": _("小区“%(compound)s”没有 %(building)s 号楼 %(unit)s 这套房屋")
                % {"compound": compound.name, "building": building[:32], "unit": unit_number[:32]}
            },
            code="unit_not_found",
        )
    return unit


def claim_id_number_normalise(value: str) -> str:
    try:
        return normalise_id_number("".join(str(value).split()), today=timezone.localdate())
    except ValueError as exc:
        raise ValidationError({"id_number": str(exc)}, code="id_number_invalid") from None


def _signup_throttle(ip: str | None) -> None:
    key = f"claim-signups:{ip}"
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) > CLAIM_SIGNUPS_PER_HOUR:
        raise ValidationError(
            _("此网络地址一小时内注册的账号过多，请稍后再试。"), code="signup_throttled"
        )


@transaction.atomic
def claim_create(
    *,
    user: User | None,
    compound_code: str,
    building: str,
    unit_number: str,
    name: str,
    id_number: str,
    certificate_number: str = "",
    photo: bytes | None = None,
    username: str = "",
    password: str = "",
    ip: str | None = None,
) -> OwnershipClaim:
    """A pending claim of ``user`` (or, without one, of a new login ``username``) on the
    unit; audited. Every input is checked before anything is written."""
    if user is not None and not user.is_authenticated:
        user = None
    errors: dict[str, list[str]] = {}

    def attempt(check: Callable[[], _T]) -> _T | None:
        try:
            return check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
            return None

    unit = attempt(lambda: _claim_unit(compound_code, building, unit_number))
    id_clean = attempt(lambda: claim_id_number_normalise(id_number))
    clean_photo = attempt(lambda: claim_photo_clean(photo)) if photo else None
    new_username = attempt(lambda: _new_account_check(username, password)) if user is None else ""
    name = name.strip()
    if not name:
        errors.setdefault("name", []).append(str(_("请填写姓名")))
    if errors or unit is None or id_clean is None:
        raise ValidationError(errors)

    if user is not None:
        if unit.ownerships.current().filter(owner__user=user).exists():
            raise ValidationError(_("你的账号已关联这套房屋，无需认领"), code="already_linked")
        if user.ownership_claims.filter(unit=unit, status=ClaimStatus.PENDING).exists():
            raise ValidationError(_("你已提交过这套房屋的认领申请，请等待审核"), code="pending")
    else:
        username = new_username or ""
        if User.objects.filter(username=username).exists():
            raise ValidationError(
                {"username": _("登录名“%(username)s”已被使用，请换一个") % {"username": username}},
                code="username_taken",
            )
        _signup_throttle(ip)
        user = User.objects.create_user(username=username, password=password)
        audit_record(action="user.create", obj=user, data={"username": username, "via": "claim"})

    claim = OwnershipClaim(
        compound=unit.compound,
        unit=unit,
        user=user,
        name=name[:100],
        id_number=id_clean,
        certificate_number=certificate_number.strip()[:64],
    )
    claim.full_clean(exclude=["photo", "user", "compound", "unit"])
    stored = ""
    if clean_photo is not None:
        claim.photo.save(
            f"{secrets.token_hex(16)}.{clean_photo.extension}",
            ContentFile(clean_photo.content),
            save=False,
        )
        stored = claim.photo.name or ""
    try:
        claim.save()
        audit_record(
            action="claim.create",
            actor=user,
            compound=unit.compound,
            obj=claim,
            data={"unit": unit.pk, "photo": bool(stored)},
        )
    except Exception:
        if stored:  # nothing half-saved: no file without its claim
            claim.photo.storage.delete(stored)
        raise
    return claim


def _decidable(claim: OwnershipClaim) -> OwnershipClaim:
    locked = OwnershipClaim.objects.select_for_update(of=("self",)).get(
        pk=claim.pk, compound_id=claim.compound_id
    )
    if locked.status != ClaimStatus.PENDING:
        raise ValidationError(
            _("该申请已处理（%(status)s）") % {"status": locked.get_status_display()},
            code="claim_decided",
        )
    return locked


@transaction.atomic
def claim_approve(*, claim: OwnershipClaim, actor: User) -> Owner:
    """Link the claimant to the current owner of the unit whose ID number the claim
    gives, or refuse (nothing linked) when the roster has no such owner."""
    claim = _decidable(claim)
    register_lock(claim.compound_id)
    ownerships = (
        Ownership.objects.current()
        .filter(compound_id=claim.compound_id, unit_id=claim.unit_id)
        .select_related("owner")
    )
    owners = [o.owner for o in ownerships if o.owner.id_number.strip().upper() == claim.id_number]
    if not owners:
        raise ValidationError(
            _(
                "申请人的证件号码与名册中这套房屋的现业主不符，未关联任何房屋。"
                "如申请人确是业主，请先更正业主名册（名册导入），再审核此申请；否则请驳回。"
            ),
            code="not_on_roster",
        )
    owner = owners[0]
    if owner.user_id is not None and owner.user_id != claim.user_id:
        raise ValidationError(
            _(
                "名册中的这位业主已关联另一个账号，未关联任何房屋。请核实后驳回，或请业主用原账号登录。"
            ),
            code="owner_has_account",
        )
    compound = Compound.objects.get(pk=claim.compound_id)
    _owners_link([owner], claim.user, compound)
    membership_grant(user=claim.user, role=Role.RESIDENT, scope=MembershipScope(compound=compound))
    claim.status = ClaimStatus.APPROVED
    claim.decided_by = actor
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action="claim.approve",
        actor=actor,
        compound=compound,
        obj=claim,
        data={"unit": claim.unit_id, "owner": owner.pk, "username": claim.user.get_username()},
    )
    return owner


@transaction.atomic
def claim_reject(*, claim: OwnershipClaim, actor: User, reason: str) -> OwnershipClaim:
    """Refuse the claim with ``reason`` (required), which the resident sees."""
    reason = " ".join(str(reason).split())
    if not reason:
        raise ValidationError(
            {"reason": _("驳回须填写理由，申请人会看到它")}, code="reason_required"
        )
    if len(reason) > 200:
        raise ValidationError({"reason": _("理由最多200个字")}, code="reason_too_long")
    claim = _decidable(claim)
    claim.status = ClaimStatus.REJECTED
    claim.reason = reason
    claim.decided_by = actor
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit_record(
        action="claim.reject",
        actor=actor,
        compound=Compound.objects.get(pk=claim.compound_id),
        obj=claim,
        data={"unit": claim.unit_id},
    )
    return claim
