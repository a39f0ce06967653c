"""The arrears and payments exports, long ones in the background (portal.exports): the
file the task writes is the one the request would have streamed."""

import pytest
from django.urls import reverse

from tests.fees.test_fee_lists import _compound
from tests.portal.helpers import exported_in_background_as_inline

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "params"), [("arrears", {"amount": "500-2000"}), ("payments", {"kind": "payment"})]
)
def test_a_long_fee_list_is_exported_in_the_background_as_the_same_file(
    cast, client, settings, django_capture_on_commit_callbacks, name, params
):
    compound = _compound(cast, "fbg", buildings=2, units=4)
    client.force_login(cast.officer)
    url = reverse(f"fees:{name}", args=[compound.code])
    exported_in_background_as_inline(
        client, settings, django_capture_on_commit_callbacks, url, params, f"fees.{name}"
    )
