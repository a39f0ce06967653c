"""URL kwargs of the board's routes for the isolation walk (tests/isolation.py)."""

from tests.board.helpers import open_alert
from tests.isolation import per_cast, register_kwarg


@per_cast
def home_alert(cast):
    # Committee term alerts reach the street office and the committee (board.alerts.AUDIENCE).
    return open_alert(cast.compound)


register_kwarg("alert_id", lambda cast: home_alert(cast).pk)
# Under street-offices/ (the API) the code is the home street office's, as under so/.
register_kwarg("code", lambda cast: cast.office.code, route="api-street-office-board")
