"""The demo's second street office brings 牡丹园北里 on board through the onboarding
services: every step is done, audited, and the pages agree (on the shared full demo)."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from households.demo import seed_register
from households.onboarding import onboarding_done, onboarding_steps
from portal.models import AuditEntry, Compound, Membership, Role, StreetOffice


def test_the_second_office_onboards_its_compound_through_the_services(demo_result, client):
    compound = Compound.objects.get(code="mdybl")
    steps = onboarding_steps(compound)
    assert onboarding_done(steps), steps
    assert [s.key for s in steps if not s.done] == ["property_right_units"]  # optional
    actions = set(AuditEntry.objects.filter(compound=compound).values_list("action", flat=True))
    assert {
        "compound.create",
        "service_company.create",
        "compound.service_company_set",
        "building.create",
        "roster.import",
        "committee.form",
        "committee.member_add",
    } <= actions
    assert compound.committees.get().composition_problems() == []
    # The main compound's compound, company and committee came through the services too.
    main = Compound.objects.get(code="xynl32")
    main_actions = set(AuditEntry.objects.filter(compound=main).values_list("action", flat=True))
    assert {"compound.create", "service_company.create", "committee.form"} <= main_actions

    officer = get_user_model().objects.create_user("hyl-officer", password="x-pass-12345")
    Membership.objects.create(
        user=officer, role=Role.STREET_OFFICER, street_office=StreetOffice.objects.get(code="hyl")
    )
    client.force_login(officer)
    page = client.get(reverse("onboarding", args=["mdybl"])).content.decode()
    assert 'id="onboarding-done"' in page
    assert client.get(reverse("onboarding", args=["xynl32"])).status_code == 404

    # Seeding again adds nothing to the log.
    count = AuditEntry.objects.count()
    seed_register()
    assert AuditEntry.objects.count() == count
