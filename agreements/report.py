"""The verifier's report: what a signed agreement PDF proves, signature by signature, and
how it matches the portal's archive. Filled by :mod:`agreements.verification` (the
cryptography) and :mod:`agreements.provenance` (the archive); read by the page, the API
and ``manage.py verify_agreement``."""

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class SignatureReport:
    """One signature's findings. The verdict fields start at "nothing proven" (not intact,
    not valid, not trusted, changed after): a check that fails half-way never reports more
    than it proved."""

    field_name: str
    signer: str = ""
    organisation: str = ""
    signed_at: dt.datetime | None = None
    certificate_serial: str = ""
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    trusted_by: str = ""  # the street office whose CA issued the certificate, "" when untrusted
    trusted_by_code: str = ""
    covers_whole_file: bool = False
    changed_after: bool = True
    padding_changed: bool = False  # /Contents beyond the DER blob is not zero padding
    problems: list[str] = field(default_factory=list)
    readable: bool = True
    signed_end: int = 0  # where the signed byte range ends: the end of its revision

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.valid
            and self.trusted
            and not self.changed_after
            and not self.padding_changed
        )


@dataclass
class ArchiveMatch:
    """The agreement in the portal's archive that the file comes from.

    ``revision`` is the last archived revision the file matches, as a whole (``identical``)
    or as its beginning; ``differs_at`` is the first byte where the file departs from the
    archived revision after it."""

    agreement_id: int
    number: str
    title: str
    compound: str
    status: str
    status_label: str
    revision: int
    latest_revision: int
    identical: bool
    differs_at: int | None = None

    @property
    def is_latest(self) -> bool:
        return self.identical and self.revision == self.latest_revision


@dataclass
class PartyCheck:
    """One expected party of the archived agreement and whether this file carries its
    signature."""

    label: str
    organisation: str
    field_name: str
    signed: bool


@dataclass
class VerificationReport:
    """What the file proves. ``problems`` make it fail; ``notes`` only inform (such as "the
    portal does not know this file"). ``archive`` and ``parties`` are filled by
    :func:`verify_document` when the portal issued the file."""

    sha256: str
    size: int
    signatures: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unsigned_fields: list[str] = field(default_factory=list)
    archive: ArchiveMatch | None = None
    parties: list[PartyCheck] = field(default_factory=list)

    @property
    def missing_parties(self) -> list[str]:
        """The expected parties (of the archived agreement) that did not sign this file."""
        return [p.organisation for p in self.parties if not p.signed]

    @property
    def changed_after_signing(self) -> bool:
        """True when any signed content was altered or unsigned content was appended."""
        return any(not s.intact or s.changed_after for s in self.signatures) or (
            bool(self.signatures) and not self.signatures[-1].covers_whole_file
        )

    @property
    def ok(self) -> bool:
        return (
            bool(self.signatures)
            and not self.problems
            and all(s.ok for s in self.signatures)
            and not self.changed_after_signing
            and not self.unsigned_fields
            and not self.missing_parties
        )
