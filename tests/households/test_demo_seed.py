"""seed_demo from an empty database: the register is deterministic, and the apps' demo
modules are optional but run in order. (Kept apart from test_demo.py, whose tests share
one seeded database for the whole module; the full demo seeded twice is tested in
tests/demo/test_seed.py.)"""

import pytest

from board import demo as portal_demo
from board.demo import seed_demo
from households import demo as register_demo
from households.demo import seed_register
from portal.models import AuditEntry, Compound, ServiceCompany
from tests.households.test_demo import register_fingerprint


def test_the_register_is_the_same_when_built_from_scratch(db):
    first = seed_register()
    fingerprints = {c.code: register_fingerprint(c) for c in Compound.objects.all()}
    # The demo's onboarding is audited like any other: the log and the companies go too.
    AuditEntry.objects.all().delete()
    Compound.objects.all().delete()
    ServiceCompany.objects.all().delete()
    assert seed_register().pk != first.pk  # really built again, not found
    assert {c.code: register_fingerprint(c) for c in Compound.objects.all()} == fingerprints


def test_missing_app_demos_are_skipped_but_broken_ones_fail(db, monkeypatch):
    monkeypatch.setattr(portal_demo, "APP_SEEDS", ("households.no_such_demo",))
    assert seed_demo().app_seeds == {"households.no_such_demo": False}

    def import_module(name):
        raise ModuleNotFoundError("No module named 'reportlab'", name="reportlab")

    monkeypatch.setattr(portal_demo.importlib, "import_module", import_module)
    with pytest.raises(ModuleNotFoundError):
        seed_demo()


def test_app_demos_run_in_order_with_the_main_compound(db, monkeypatch):
    calls = []

    class FakeDemo:
        def __init__(self, name):
            self.name = name

        def seed(self, compound):
            calls.append((self.name, compound.code))

    monkeypatch.setattr(portal_demo, "APP_SEEDS", ("a.demo", "b.demo"))
    monkeypatch.setattr(portal_demo.importlib, "import_module", FakeDemo)
    assert seed_demo().app_seeds == {"a.demo": True, "b.demo": True}
    assert calls == [("a.demo", "xynl32"), ("b.demo", "xynl32")]
    assert register_demo.TOTAL_HOUSEHOLDS == 1412
