"""Reads of the fees app. Each takes its tenant first and runs a fixed number of queries,
whatever the number of units, charges or payments.

One module per topic, like ``fees/services/``; this package re-exports the names callers
use (``from fees import selectors; selectors.collection_report(...)``).

- ``collection``: the collection rate (收缴率)
- ``charges``: runs, charges, corrected areas, arrears
- ``notices``: what a fee notice, receipt or demand letter shows (``fees.pdf`` renders it)
- ``residents``: the resident's page
- ``standards``: fee standards and the decision items they rest on
- ``subsidies``: payers' statements and subsidies ending
- ``disclosure``: the public disclosure (双晒)
- ``payments``: payments, refunds and the unit a payment names
"""

from .charges import (
    ARREARS_BUCKETS,
    ArrearsRow,
    adjusted_areas,
    arrears_by_age,
    compound_runs,
    run_building_summary,
    run_charges,
    subsidy_lines_prefetch,
    unit_reminder_steps,
)
from .collection import (
    CollectionPoint,
    CollectionReport,
    CollectionRow,
    collection_report,
    collection_report_recomputed,
    collection_years,
)
from .disclosure import (
    Disclosure,
    disclosure,
)
from .lists import (
    AGE_CHOICES,
    AMOUNT_CHOICES,
    ArrearsListRow,
    arrears_export_rows,
    arrears_rows,
    arrears_totals,
    arrears_units,
    payment_years,
    payments_list,
)
from .notices import (
    DemandLetter,
    Notice,
    NoticeLine,
    NoticeNotNeeded,
    Receipt,
    build_notices,
    current_owners,
    demand_letter,
    notice_charges,
    notice_due_date,
    notice_number,
    receipt,
    unit_notice,
)
from .payments import (
    payments_of_compound,
    refundable,
    unit_by_id,
    unit_by_number,
)
from .residents import (
    UnitFees,
    fees_of_units,
    latest_charge,
)
from .standards import (
    compound_standards,
    current_standards,
    fee_basis_items,
    item_sets_fees,
)
from .subsidies import (
    WARNING_MONTHS,
    Reconciliation,
    ReconciliationLine,
    SubsidyEnding,
    households_after_subsidy,
    office_subsidy_endings,
    subsidy_endings,
    subsidy_reconciliation,
    subsidy_summary,
)

__all__ = [
    "adjusted_areas",
    "unit_notice",
    "receipt",
    "notice_number",
    "notice_due_date",
    "notice_charges",
    "demand_letter",
    "current_owners",
    "build_notices",
    "Receipt",
    "NoticeNotNeeded",
    "NoticeLine",
    "Notice",
    "DemandLetter",
    "ARREARS_BUCKETS",
    "ArrearsRow",
    "CollectionPoint",
    "CollectionReport",
    "CollectionRow",
    "Disclosure",
    "Reconciliation",
    "ReconciliationLine",
    "SubsidyEnding",
    "UnitFees",
    "WARNING_MONTHS",
    "arrears_by_age",
    "collection_report",
    "AGE_CHOICES",
    "AMOUNT_CHOICES",
    "ArrearsListRow",
    "arrears_export_rows",
    "arrears_rows",
    "arrears_totals",
    "arrears_units",
    "payment_years",
    "payments_list",
    "collection_report_recomputed",
    "collection_years",
    "compound_runs",
    "compound_standards",
    "current_standards",
    "disclosure",
    "fee_basis_items",
    "fees_of_units",
    "households_after_subsidy",
    "item_sets_fees",
    "latest_charge",
    "office_subsidy_endings",
    "payments_of_compound",
    "refundable",
    "run_building_summary",
    "run_charges",
    "subsidy_endings",
    "subsidy_lines_prefetch",
    "subsidy_reconciliation",
    "subsidy_summary",
    "unit_by_id",
    "unit_by_number",
    "unit_reminder_steps",
]
