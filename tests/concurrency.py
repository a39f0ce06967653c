"""Calls raced against each other, as two requests or two workers would race in production.

Each call runs in a thread of its own with its own database connection (closed after), and
all are released together by a barrier, so their transactions overlap. Race tests need
PostgreSQL (``needs_postgres``) and ``django_db(transaction=True)``: the threads must see
each other's commits and wait for each other's row locks.
"""

import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection


def at_once(calls: Sequence[Callable[[], Any]], *, timeout: float = 60) -> list[Any]:
    """Run ``calls`` at once; what each returned, or the exception it raised, in the calls'
    order. A thread still running after ``timeout`` seconds leaves None in its place."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=30)
            outcomes[index] = call()
        except Exception as exc:  # the outcome: the caller's assertions read it
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes


def refusal(outcome: Any) -> str | None:
    """The words of a refused call (a ValidationError's messages), None for anything else."""
    if isinstance(outcome, ValidationError):
        return " ".join(outcome.messages)
    return None


def raised(outcomes: Sequence[Any]) -> list[Exception]:
    """The exceptions among ``outcomes``."""
    return [o for o in outcomes if isinstance(o, Exception)]
