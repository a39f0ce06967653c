"""The demo leaves one pending claim in the committee's queue (households.demo_claims)."""

from django.urls import reverse

from households import demo_claims
from households.models import ClaimStatus, OwnershipClaim
from tests.households.activation_helpers import give_id, owner_of, unit_of


def test_the_demo_claim_is_pending_in_the_queue_and_made_once(cast, client):
    unit = unit_of(cast, "1", "0201")  # 1-0101's owner already has the cast's resident
    owner = give_id(owner_of(unit), 90)
    demo_claims.seed(cast.compound)
    demo_claims.seed(cast.compound)
    claim = OwnershipClaim.objects.get(compound=cast.compound)
    assert claim.status == ClaimStatus.PENDING and claim.unit == unit
    assert claim.id_number == owner and claim.user.username == demo_claims.CLAIMANT
    assert claim.photo.name.endswith(".jpg")
    client.force_login(cast.committee)
    queue = client.get(reverse("claims_queue", args=["home"])).content.decode()
    assert reverse("claim_detail", args=["home", claim.pk]) in queue
