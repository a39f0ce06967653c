"""Where an uploaded agreement comes from: the portal's archive of PDF revisions.

Every signature appends an incremental revision, and the portal stores each revision with
its SHA-256 (:class:`~agreements.models.AgreementRevision`), so each archived revision is a
prefix of the later ones. Hashing the upload's prefixes that end where a revision may end
(the end of each signed byte range, each ``%%EOF``) finds the last archived revision the file
still matches. The file is then that revision exactly (the latest, or an earlier one that
some parties have not signed yet), or it departs from the archive after it: a changed byte
that no signature covers (such as the padding of /Contents) or appended content.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import services
from .models import AgreementRevision
from .report import ArchiveMatch, PartyCheck, VerificationReport

EOF_MARKER = b"%%EOF"
# Revision ends looked at: an agreement has a handful of revisions; a file with many more
# markers is not one of ours and must not cost a hash per marker.
MAX_REVISION_ENDS = 64
CHUNK = 1 << 16


def revision_ends(data: bytes, report: VerificationReport) -> list[int]:
    """Offsets where a revision of ``data`` may end: after each signed byte range, after
    each ``%%EOF`` (with and without its end-of-line), and the end of the file."""
    ends = {len(data)}
    ends.update(s.signed_end for s in report.signatures if s.signed_end)
    position = data.find(EOF_MARKER)
    while position != -1 and len(ends) < MAX_REVISION_ENDS:
        end = position + len(EOF_MARKER)
        ends.add(end)
        for eol in (b"\r\n", b"\n", b"\r"):
            if data.startswith(eol, end):
                ends.add(end + len(eol))
                break
        position = data.find(EOF_MARKER, end)
    return sorted(e for e in ends if 0 < e <= len(data))


def prefix_hashes(data: bytes, ends: list[int]) -> dict[str, int]:
    """SHA-256 of ``data[:end]`` for each of the sorted ``ends``, in one pass."""
    digest = hashlib.sha256()
    view = memoryview(data)
    hashes, position = {}, 0
    for end in ends:
        digest.update(view[position:end])
        position = end
        hashes[digest.copy().hexdigest()] = end
    return hashes


def first_difference(data: bytes, other: bytes, start: int = 0) -> int:
    """The first offset from ``start`` where the two byte strings differ."""
    limit = min(len(data), len(other))
    position = start
    while position < limit:
        if data[position : position + CHUNK] != other[position : position + CHUNK]:
            return next(
                i for i in range(position, min(position + CHUNK, limit)) if data[i] != other[i]
            )
        position += CHUNK
    return limit


def compare_with_archive(data: bytes, report: VerificationReport) -> None:
    """Fill ``report.archive`` and ``report.parties`` from the archive, with a problem for
    every way the file departs from it, or a note that the portal does not know it."""
    hashes = prefix_hashes(data, revision_ends(data, report))
    found = list(
        AgreementRevision.objects.filter(sha256__in=list(hashes)).select_related(
            "agreement__compound"
        )
    )
    if not found:
        report.notes.append(
            _(
                "平台存档中没有这份文件：它不是本平台签发的协议，或其最初版本已被改动。"
                "以下仅为电子签名的密码学核验结果。"
            )
        )
        if report.unsigned_fields:
            report.problems.append(
                _("文件中有%(n)s个签名栏尚未签署：%(fields)s")
                % {"n": len(report.unsigned_fields), "fields": "、".join(report.unsigned_fields)}
            )
        return
    matched = max(found, key=lambda r: (hashes[r.sha256], r.number))
    agreement = matched.agreement
    archived = {r.number: r for r in agreement.revisions.all()}
    match = ArchiveMatch(
        agreement_id=agreement.pk,
        number=agreement.number,
        title=agreement.title,
        compound=agreement.compound.name,
        status=agreement.status,
        status_label=str(agreement.get_status_display()),
        revision=matched.number,
        latest_revision=max(archived),
        identical=hashes[matched.sha256] == len(data),
    )
    report.archive = match
    report.notes.append(_("协议状态：%(status)s") % {"status": match.status_label})
    _compare_bytes(data, report, match, archived, matched_end=hashes[matched.sha256])
    _check_parties(report, agreement)


def _compare_bytes(
    data: bytes,
    report: VerificationReport,
    match: ArchiveMatch,
    archived: dict[int, AgreementRevision],
    *,
    matched_end: int,
) -> None:
    names = {"number": match.number, "n": match.revision, "latest": match.latest_revision}
    if match.is_latest:
        report.notes.append(
            _("与平台存档一致：%(compound)s 协议 %(number)s 第 %(n)s 次修订（最新版本）")
            % {**names, "compound": match.compound}
        )
        return
    if match.identical:
        report.problems.append(
            _(
                "此文件是平台存档中协议 %(number)s 的第%(n)s次修订，不是最新版本"
                "（最新为第%(latest)s次修订）"
            )
            % names
        )
        return
    following = archived.get(match.revision + 1)
    if following is None:
        report.problems.append(
            _("此文件在平台存档的最新版本（协议 %(number)s 第%(n)s次修订）之后被追加了内容") % names
        )
        return
    try:
        expected = services.revision_bytes(following)
    except ValidationError as exc:
        report.problems.extend(exc.messages)
        return
    match.differs_at = first_difference(data, expected, start=matched_end)
    report.problems.append(
        _(
            "此文件与平台存档的第%(next)s次修订不一致"
            "（协议 %(number)s，自第%(offset)s字节起不同）：文件在签署后被改动"
        )
        % {**names, "next": following.number, "offset": match.differs_at}
    )


def _check_parties(report: VerificationReport, agreement) -> None:
    """The agreement's parties against the signatures the file carries, by signature field."""
    signed = {s.field_name: s for s in report.signatures if s.readable}
    for party in agreement.parties.order_by("position"):
        signature = signed.get(party.field_name)
        report.parties.append(
            PartyCheck(
                label=party.label,
                organisation=party.organisation,
                field_name=party.field_name,
                signed=signature is not None,
            )
        )
        if signature is not None and signature.organisation != party.organisation:
            report.problems.append(
                _("%(label)s的签名栏由“%(found)s”签署，应为“%(expected)s”")
                % {
                    "label": party.label,
                    "found": signature.organisation,
                    "expected": party.organisation,
                }
            )
    if report.missing_parties:
        report.problems.append(
            _("缺少签署方：%(parties)s") % {"parties": "、".join(report.missing_parties)}
        )
