"""Isolation walk registrations of the account pages (reset codes, my account): the home
resident's and committee member's account names are home data, so a reset-code list or
account page that showed them to an outsider would fail the walk (tests/isolation.py)."""

from tests.isolation import per_cast, register_markers


@per_cast
def home_account_names(cast) -> list[str]:
    names = {cast.resident: "住户甲home", cast.committee: "委员乙home"}
    for user, name in names.items():
        user.first_name = name
        user.save(update_fields=["first_name"])
    return list(names.values())


register_markers(home_account_names)
