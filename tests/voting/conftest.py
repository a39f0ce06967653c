import pytest

from portal.models import Role
from tests.factories import make_member


@pytest.fixture
def second_committee(cast):
    return make_member("committee2", Role.COMMITTEE_MEMBER, compound=cast.compound)
