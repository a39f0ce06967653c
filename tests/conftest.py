import pytest

from tests.factories import make_cast


def pytest_configure(config):
    from django.conf import settings

    # Hashing with PBKDF2's full cost would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db):
    """Street officer, committee member, company staff, property-unit rep and resident of
    compound ``home``, plus outsiders from another compound and another street office."""
    return make_cast()
