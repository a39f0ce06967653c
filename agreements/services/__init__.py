"""Writes of the agreements app: templates, agreements, rendering, signing, filing.

Every function is atomic and validates before it saves; a refused action changes nothing
(the throttle counter of wrong passwords, kept in the cache, is the one deliberate
exception: it must survive the rollback).

The code lives in one module per topic; this package re-exports the names callers use, so
``from agreements import services; services.agreement_sign(...)`` keeps working. To patch a
name in a test, patch it in the module that uses it (``agreements.services.signatures.X``).

- ``templates``: the shipped default template and its edited versions
- ``parties``: the four parties, their legal names and who may sign for each
- ``authorisation``: whether a decision item authorises an agreement, the term's window
- ``generation``: new agreements, filled from the facts and numbered
- ``revisions``: the PDF revisions, rendered, stored and checked against their SHA-256
- ``signatures``: signing with the password, one PAdES revision per party
- ``filing``: filing with the street office, expiry
"""

from .authorisation import (
    decision_day,
    generation_blockers,
    item_allows_agreement,
    max_months_after_decision,
    term_start_problems,
    term_start_window,
)
from .filing import agreement_file, agreements_expire
from .generation import agreement_create, agreement_generate
from .parties import (
    PARTY_LABELS,
    PARTY_ORDER,
    PartySpec,
    missing_legal_names,
    party_specs_for,
    representative_name,
)
from .revisions import _store_revision, agreement_render, latest_revision, revision_bytes
from .signatures import (
    SIGN_FAILURE_WINDOW,
    SIGN_MAX_FAILURES,
    agreement_sign,
    agreement_sign_recorded,
)
from .templates import (
    DEFAULT_TEMPLATE,
    agreement_template_for,
    agreement_template_update,
    default_template_data,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "PARTY_LABELS",
    "PARTY_ORDER",
    "SIGN_FAILURE_WINDOW",
    "SIGN_MAX_FAILURES",
    "PartySpec",
    "_store_revision",
    "agreement_create",
    "agreement_file",
    "agreement_generate",
    "agreement_render",
    "agreement_sign",
    "agreement_sign_recorded",
    "agreement_template_for",
    "agreement_template_update",
    "agreements_expire",
    "decision_day",
    "default_template_data",
    "generation_blockers",
    "item_allows_agreement",
    "latest_revision",
    "max_months_after_decision",
    "missing_legal_names",
    "party_specs_for",
    "representative_name",
    "revision_bytes",
    "term_start_problems",
    "term_start_window",
]
