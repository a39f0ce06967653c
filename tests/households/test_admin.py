"""The register in the Django admin: superusers see all, a street officer (is_staff) sees
their street office's compounds read-only, nobody sees raw ID numbers or phones."""

import pytest
from django.urls import reverse

from households.models import Building, Owner, Ownership, PropertyRightUnit, Unit

MODELS = ["building", "unit", "owner", "ownership", "propertyrightunit"]


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def changelist(model: str) -> str:
    return reverse(f"admin:households_{model}_changelist")


def home_owner(cast) -> Owner:
    return Owner.objects.get(compound=cast.compound, name="业主-home-1-1")


def test_officer_sees_their_offices_compounds_masked_and_read_only(cast, client):
    client.force_login(staff(cast.officer))
    page = client.get(changelist("owner") + "?all=").content.decode()
    owner = home_owner(cast)
    assert owner.name in page and "业主-neighbour-1-1" in page  # same street office
    assert "业主-far-1-1" not in page  # another street office
    assert owner.masked_id_number in page and owner.masked_phone in page
    assert owner.id_number not in page and owner.phone not in page
    detail = client.get(reverse("admin:households_owner_change", args=[owner.pk]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert owner.masked_id_number in text and owner.id_number not in text
    assert owner.phone not in text
    assert 'name="_save"' not in text  # nothing to save: read-only
    # Changing, adding and deleting are refused.
    assert (
        client.post(
            reverse("admin:households_owner_change", args=[owner.pk]), {"name": "x"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:households_owner_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:households_owner_delete", args=[owner.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    owner.refresh_from_db()
    assert owner.name == "业主-home-1-1"


@pytest.mark.parametrize("model", MODELS)
def test_an_officer_of_another_street_office_sees_nothing_of_home(cast, client, model):
    PropertyRightUnit.objects.create(compound=cast.compound, name="home 产权单位")
    client.force_login(staff(cast.outsider_office))
    response = client.get(changelist(model))
    assert response.status_code == 200
    page = response.content.decode()
    for marker in ("业主-home-1-1", "小区home", "home 产权单位"):
        assert marker not in page
    model_class = {
        "building": Building,
        "unit": Unit,
        "owner": Owner,
        "ownership": Ownership,
        "propertyrightunit": PropertyRightUnit,
    }[model]
    home_row = model_class.objects.filter(compound=cast.compound).first()
    detail = client.get(reverse(f"admin:households_{model}_change", args=[home_row.pk]))
    # The admin answers "does not exist" (a redirect to its index), showing nothing.
    assert detail.status_code == 302
    assert "小区home" not in client.get(detail["Location"]).content.decode()


def test_staff_without_a_street_office_sees_no_register(cast, client):
    client.force_login(staff(cast.committee))
    assert client.get(changelist("owner")).status_code == 403


def test_superuser_keeps_the_full_admin_still_masked(cast, client, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="pw-for-tests-9")
    client.force_login(root)
    page = client.get(changelist("owner") + "?all=").content.decode()
    assert "业主-far-1-1" in page and "业主-home-1-1" in page
    owner = home_owner(cast)
    assert owner.id_number not in page
    text = client.get(reverse("admin:households_owner_change", args=[owner.pk])).content.decode()
    assert 'name="_save"' in text and owner.id_number not in text and owner.phone not in text
    assert client.get(reverse("admin:households_owner_add")).status_code == 200


# --- masked fields are no oracle -------------------------------------------------------


def superuser(cast):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", password="x" * 12)


MASKED_LOOKUPS = [
    ("owner", "id_number__startswith", "1"),
    ("owner", "id_number", "x"),
    ("owner", "phone__contains", "1"),
    ("owner", "id_number__iregex", "^1"),
    ("ownership", "owner__id_number__startswith", "1"),
    ("unit", "ownerships__owner__phone__startswith", "1"),
]


@pytest.mark.parametrize("model,lookup,value", MASKED_LOOKUPS)
@pytest.mark.parametrize("who", ["officer", "superuser"])
def test_filtering_on_a_masked_field_is_refused(cast, client, model, lookup, value, who):
    user = superuser(cast) if who == "superuser" else staff(cast.officer)
    client.force_login(user)
    owner = home_owner(cast)
    # A prefix of the real number would be the "yes" answer of the oracle.
    value = owner.id_number[:3] if "id_number" in lookup else value
    response = client.get(changelist(model), {lookup: value})
    assert response.status_code == 400


def test_filtering_on_an_ordinary_field_still_works(cast, client):
    client.force_login(staff(cast.officer))
    response = client.get(changelist("owner"), {"name__startswith": "业主-home-1-1"})
    assert response.status_code == 200
    assert "业主-home-1-1" in response.content.decode()


def test_searching_does_not_look_at_id_numbers_or_phones(cast, client):
    client.force_login(superuser(cast))
    owner = home_owner(cast)
    for needle in (owner.id_number, owner.phone):
        page = client.get(changelist("owner"), {"q": needle}).content.decode()
        assert owner.name not in page


def test_every_admin_of_the_portal_refuses_masked_lookups():
    from django.contrib import admin

    from portal.admin import PortalModelAdmin

    ours = {"portal", "households", "fees", "voting", "agreements"}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in ours:
            assert isinstance(model_admin, PortalModelAdmin), model
