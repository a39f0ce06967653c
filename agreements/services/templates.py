"""Agreement templates (协议模板): the shipped default, and edits saved as new versions."""

import json
from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound

from .. import facts as facts_mod
from ..models import AgreementTemplate

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "data" / "default_template.json"


def default_template_data() -> dict:
    return json.loads(DEFAULT_TEMPLATE.read_text(encoding="utf-8"))


@transaction.atomic
def agreement_template_for(compound: Compound) -> AgreementTemplate:
    """The compound's current template, copied from the shipped default on first use (two
    first uses at once share the copy: the unique (compound, version) key decides)."""
    current = compound.agreement_templates.order_by("-version").first()
    if current is not None:
        return current
    data = default_template_data()
    template = AgreementTemplate(
        compound=compound,
        name=data["name"],
        version=1,
        title=data["title"],
        preamble=data["preamble"],
        clauses=data["clauses"],
    )
    template.full_clean(validate_constraints=False)  # the unique version: the database's call
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:  # another first use saved the copy a moment earlier
        return compound.agreement_templates.get(version=1)
    return template


def _clean_clauses(clauses: list[dict]) -> list[dict]:
    cleaned = []
    for index, clause in enumerate(clauses, start=1):
        title = str(clause.get("title", "")).strip()
        body = str(clause.get("body", "")).strip()
        if not title or not body:
            raise ValidationError(_("第%(n)s条的标题和正文都不能为空") % {"n": index})
        cleaned.append({"title": title, "body": body})
    if not cleaned:
        raise ValidationError(_("模板至少需要一条条款"))
    return cleaned


@transaction.atomic
def agreement_template_update(
    *,
    template: AgreementTemplate,
    title: str,
    preamble: str,
    clauses: list[dict],
    actor: User,
) -> AgreementTemplate:
    """Save edited clauses as the next version; agreements keep the version they used."""
    cleaned = _clean_clauses(clauses)
    facts_mod.check_template_text([title, preamble, *(c["title"] + c["body"] for c in cleaned)])
    latest = template.compound.agreement_templates.select_for_update(of=("self",)).latest("version")
    new = AgreementTemplate(
        compound=template.compound,
        name=template.name,
        version=latest.version + 1,
        title=title.strip(),
        preamble=preamble.strip(),
        clauses=cleaned,
        created_by=actor,
    )
    new.full_clean()
    new.save()
    audit_record(
        action="agreement_template.update",
        actor=actor,
        compound=template.compound,
        obj=new,
        data={"version": new.version},
    )
    return new
