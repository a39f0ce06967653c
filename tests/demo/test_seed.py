"""The full demo seeded a second time (the command, every app's demo module that exists)
gives the same database: the second seed ran in tests/demo/conftest.py."""


def test_the_full_seed_demo_twice_gives_the_same_database(full_demo, db):
    assert full_demo.second_state == full_demo.first_state
    out = full_demo.second_output
    assert "portal-demo-2021" in out
    # The pending claim's applicant is among the printed logins, landing on their claims.
    claimant = next(line for line in out.splitlines() if line.startswith("renling "))
    assert "/claims/" in claimant
