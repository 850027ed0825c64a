"""One call budget per PIM connection, shared by every run, thread and worker process using it.

Akeneo counts concurrent calls per API connection, whoever makes them: a sync in one django-q
worker and an export in another must share the connection's ``max_concurrency`` slots.

- **PostgreSQL**: slot *i* of connection *c* is a session-level advisory lock. Each process holds
  one extra database connection (autocommit, outside Django's) on which it takes and releases
  them; a killed process's locks go with its session, so a crash never leaks a slot.
- **Any other database** (SQLite, the embedded default, runs on one machine): slot *i* is an
  exclusive ``flock`` on a small file under ``CALL_SLOTS_DIR``. Every process on the machine sees
  the same files, and the kernel drops the lock of a process that dies.

Waiting for a slot is a short poll (the holder may be another process); the threads of this
process wake as soon as one of them gives a slot back.
"""

from __future__ import annotations

import fcntl
import os
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connections

from .akeneo.budget import clamp

POLL_FIRST = 0.005
POLL_MAX = 0.05
# Advisory lock keys: (this namespace, connection id * 16 + slot). The namespace keeps them apart
# from any other advisory lock the database may see.
LOCK_NAMESPACE = zlib.crc32(b"akeneo-call-slots") & 0x7FFFFFFF


class _SharedSlots:
    """The waiting and bookkeeping common to both kinds; subclasses take and drop one slot."""

    def __init__(self, connection_id: int, size: int):
        self.connection_id = connection_id
        self.size = clamp(size)
        self._lock = threading.Condition()
        self._held: dict[int, object] = {}

    def acquire(self) -> Callable[[], None]:
        wait = POLL_FIRST
        with self._lock:
            while True:
                for slot in range(self.size):
                    if slot in self._held:
                        continue
                    token = self._try_take(slot)
                    if token is not None:
                        self._held[slot] = token
                        return self._releaser(slot, token)
                # Another process holds the rest: look again soon, or as soon as a thread here gives one back.
                self._lock.wait(wait)
                wait = min(POLL_MAX, wait * 2)

    def _releaser(self, slot: int, token: object) -> Callable[[], None]:
        given_back = False

        def release() -> None:
            nonlocal given_back
            with self._lock:
                if given_back:
                    return
                given_back = True
                # Only this take's own lock: after a reconnection the slot may be someone else's now.
                if self._held.get(slot) is token:
                    del self._held[slot]
                    self._drop(slot, token)
                self._lock.notify()

        return release

    def _try_take(self, slot: int) -> object | None:
        raise NotImplementedError

    def _drop(self, slot: int, token: object) -> None:
        raise NotImplementedError


class PostgresSlots(_SharedSlots):
    def __init__(self, connection_id: int, size: int, alias: str = "default"):
        super().__init__(connection_id, size)
        self._alias = alias
        self._db = None
        self._pid = None

    def _cursor(self):
        if self._db is None or self._pid != os.getpid() or self._db.closed:
            wrapper = connections[self._alias]
            self._db = wrapper.get_new_connection(wrapper.get_connection_params())
            self._db.autocommit = True
            self._pid = os.getpid()
            # A new session holds none of the old one's locks (a fork, or a dropped connection).
            self._held.clear()
        return self._db.cursor()

    def _key(self, slot: int) -> tuple[int, int]:
        return LOCK_NAMESPACE, self.connection_id * 16 + slot

    def _try_take(self, slot: int) -> object | None:
        with self._cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", self._key(slot))
            return object() if cursor.fetchone()[0] else None  # a token of its own per take

    def _drop(self, slot: int, token: object) -> None:
        with self._cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", self._key(slot))


class FileSlots(_SharedSlots):
    def __init__(self, connection_id: int, size: int, folder: Path):
        super().__init__(connection_id, size)
        self._folder = folder

    def _try_take(self, slot: int) -> object | None:
        self._folder.mkdir(parents=True, exist_ok=True)
        # A new open file per attempt: flock conflicts between open files, so threads count too.
        name = f"connection-{self.connection_id}-slot-{slot}.lock"
        fd = os.open(self._folder / name, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return [fd]  # a token of its own per take, even when the descriptor number comes back

    def _drop(self, slot: int, token: object) -> None:
        os.close(token[0])  # closing the last descriptor of the open file drops its lock


_budgets: dict[tuple[int, int, int], _SharedSlots] = {}
_budgets_lock = threading.Lock()


def close_all() -> None:
    """Close this process's slot connections (tests, before their database is dropped)."""
    with _budgets_lock:
        for budget in _budgets.values():
            if isinstance(budget, PostgresSlots) and budget._db is not None:
                budget._db.close()
                budget._db = None
        _budgets.clear()


def budget_for(connection_id: int, size: int) -> _SharedSlots:
    """This process's handle on the connection's shared slots (one per connection and size)."""
    key = (os.getpid(), connection_id, clamp(size))
    with _budgets_lock:
        budget = _budgets.get(key)
        if budget is None:
            if connections["default"].vendor == "postgresql":
                budget = PostgresSlots(connection_id, size)
            else:
                budget = FileSlots(connection_id, size, Path(settings.CALL_SLOTS_DIR))
            _budgets[key] = budget
        return budget
