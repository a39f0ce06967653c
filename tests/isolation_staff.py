"""URL kwargs of the staff-account pages for the isolation walk (tests/isolation.py):
``so/<code>/accounts/<user_id>/`` names an account of the home street office, and
``company/<company_id>/staff/<user_id>/`` the home compound's company and its staff member."""

from tests.isolation import register_kwarg

register_kwarg("user_id", lambda cast: cast.committee.pk, route="office_account")
register_kwarg("company_id", lambda cast: cast.company.pk, route="company_staff")
register_kwarg("company_id", lambda cast: cast.company.pk, route="company_staff_account")
register_kwarg("user_id", lambda cast: cast.company_staff.pk, route="company_staff_account")

# The members API (issue 11 item 6): /api/v1/compounds/<code>/members/<username>/… names a
# member of the home compound's staff, and …/roles/<role>/ one of their roles there.
for _route in (
    "api-member-roles",
    "api-member-role",
    "api-member-deactivate",
    "api-member-reactivate",
):
    register_kwarg("username", lambda cast: cast.committee.username, route=_route)
register_kwarg("role", lambda cast: "committee_member", route="api-member-role")
