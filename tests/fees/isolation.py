"""URL kwargs of the fees app for the isolation walk (tests/isolation.py)."""

from tests.fees.helpers import home_fees, home_notices
from tests.isolation import register_kwarg, register_markers, register_query

register_kwarg("run_id", lambda cast: home_fees(cast)["run"].pk)
register_kwarg("run_id", lambda cast: home_notices(cast)["run"].pk, route="fees:building-file")
register_kwarg("payment_id", lambda cast: home_fees(cast)["payment"].pk)
register_kwarg("step_id", lambda cast: home_fees(cast)["demand"].pk)
register_kwarg("payer_id", lambda cast: home_fees(cast)["payer"].pk)
# Receipt numbers identify home payments.
register_markers(lambda cast: [home_fees(cast)["payment"].receipt_number])
# The resident's own unit, billed (its notice exists only once a run has billed it).
register_kwarg("unit_id", lambda cast: home_fees(cast)["unit"].pk, route="fees:unit-notice")
register_kwarg("unit_id", lambda cast: home_fees(cast)["unit"].pk, route="api-unit-notice")
register_query("api-collection", lambda cast: {"year": "2022"})
