"""URL kwargs of the agreements routes for the isolation walk (see tests/isolation.py)."""

import datetime as dt

import weasyprint

from agreements import services
from tests.agreements.helpers import DECISION_FACTS, party_specs
from tests.isolation import per_cast, register_kwarg, register_markers


@per_cast
def home_agreement(cast):
    """A home agreement with a stored revision 0. The PDF is a small stand-in rather than
    the rendered agreement, which would cost a second per walked URL."""
    agreement = services.agreement_create(
        compound=cast.compound,
        parties=party_specs(cast),
        facts=DECISION_FACTS,
        term_start=dt.date(2022, 1, 1),
        term_end=dt.date(2024, 12, 31),
        actor=cast.committee,
    )
    pdf = weasyprint.HTML(string=f"<p>{agreement.title}</p>").write_pdf()
    services._store_revision(agreement, 0, pdf)
    agreement.pdf_status = "ready"
    agreement.current_revision = 0
    agreement.save(update_fields=["pdf_status", "current_revision"])
    return agreement


register_kwarg("agreement_id", lambda cast: home_agreement(cast).pk)
register_kwarg("party_id", lambda cast: home_agreement(cast).parties.first().pk)
register_kwarg("code", lambda cast: cast.office.code, route="office_agreement_list")
register_markers(lambda cast: [f"{cast.compound.name}物业服务四方协议"])
