"""Demo requests and 12345 cases for 学院南路32号院 (filled in by the demo step)."""

from portal.models import Compound


def seed(compound: Compound) -> dict[str, int]:
    """Nothing yet: the demo's requests come with the demo step."""
    return {}
