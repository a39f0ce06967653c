"""Once per server process, after start-up: keep what start-up loaded out of the cyclic
garbage collector's sight.

A web or worker process holds some 300,000 objects from start-up (Django's apps and
URLconf, DRF, WeasyPrint) that live as long as the process. Python's cyclic collector walks
them again on every full collection, and laying out a building's print file allocates
enough to run many: they were a sixth of the CPU of a notice (bench/fees_notices.py, issue
10 item 7). ``gc.freeze()`` moves them to a permanent generation, so the collector walks
only what was allocated since; objects freed by reference counting are freed as before.
"""

import gc


def freeze_startup_objects(*, pdf: bool = False) -> None:
    """Load what the process will need (the URLconf; WeasyPrint with ``pdf``), collect
    start-up's garbage and freeze the rest."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports every URL module now)
    if pdf:
        import weasyprint  # noqa: F401

    gc.collect()
    gc.freeze()
