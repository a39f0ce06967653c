"""Two street officers of one office removing each other at the same moment: the lock on
the office's street-officer memberships serialises them, so the office keeps one."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from households.services.staff import account_deactivate, staff_membership_revoke
from portal.models import Membership, Role
from tests.concurrency import at_once
from tests.conftest import needs_postgres
from tests.factories import make_cast, make_member

User = get_user_model()


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second_move", ["deactivate", "revoke"])
def test_two_officers_removing_each_other_leave_one(second_move):
    cast = make_cast()
    first = cast.officer
    second = make_member("officer2", Role.STREET_OFFICER, street_office=cast.office)

    def first_moves():
        account_deactivate(actor=first, user=second)

    def second_moves():
        if second_move == "deactivate":
            account_deactivate(actor=second, user=first)
        else:
            membership = Membership.objects.get(user=first, role=Role.STREET_OFFICER)
            staff_membership_revoke(actor=second, membership=membership)

    outcomes = [
        o.error_list[0].code if isinstance(o, ValidationError) else o or "done"
        for o in at_once([first_moves, second_moves])
    ]
    assert sorted(map(str, outcomes)) == ["done", "last_street_officer"]
    remaining = Membership.objects.filter(
        role=Role.STREET_OFFICER, street_office=cast.office, user__is_active=True
    )
    assert remaining.count() == 1
