"""How many calls to one PIM connection may be in flight at once.

Akeneo's fair-use rule is 4 concurrent calls per connection (10 per instance). A ``CallBudget``
hands out that many slots; every HTTP call the client makes, token requests included, holds one
for as long as the PIM is working on it (a streamed download until its last byte).

``LocalBudget`` shares its slots between the threads of one process. Budgets shared between
processes (PostgreSQL advisory locks, lock files) live on the Django side, in ``connector.call_budget``,
and implement the same two methods.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

# Akeneo's documented ceiling per connection; a higher setting would only earn 429s.
MAX_CONCURRENCY = 4


class CallBudget(Protocol):
    size: int

    def acquire(self) -> Callable[[], None]:
        """Wait for a free slot; returns the function that gives it back (call it exactly once)."""
        ...


class LocalBudget:
    """Slots shared by the threads of this process only."""

    def __init__(self, size: int):
        self.size = clamp(size)
        self._slots = threading.BoundedSemaphore(self.size)

    def acquire(self) -> Callable[[], None]:
        self._slots.acquire()
        return once(self._slots.release)


def clamp(size: int | None) -> int:
    """Unset means Akeneo's ceiling; anything else is brought between 1 and the ceiling."""
    return MAX_CONCURRENCY if size is None else max(1, min(MAX_CONCURRENCY, int(size)))


@contextmanager
def holding(budget: CallBudget) -> Iterator[None]:
    release = budget.acquire()
    try:
        yield
    finally:
        release()


def once(release: Callable[[], None]) -> Callable[[], None]:
    """``release`` behind a guard: a slot given back twice is given back once."""
    lock = threading.Lock()
    pending = [release]

    def give_back() -> None:
        with lock:
            if not pending:
                return
            pending.pop()()

    return give_back
