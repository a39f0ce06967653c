"""Who may see and keep the maintenance fund (pages and API alike).

- read the whole compound's fund (balances, ledger, draws, statement): the street office,
  the committee and the service company;
- keep it (import, credit, publish, make, the emergency application, the rule): the
  committee and the street office;
- residents: only their own units' balances and ledger, and the draws whose project's
  scope has one of their units (their own share only).
"""

from portal.models import Role

FUND_READERS = frozenset({Role.STREET_OFFICER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF})
FUND_KEEPERS = frozenset({Role.STREET_OFFICER, Role.COMMITTEE_MEMBER})
