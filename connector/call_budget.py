"""One call budget per PIM connection, shared by every run, thread and worker process using it.

Akeneo counts concurrent calls per API connection, whoever makes them: a sync in one django-q
worker and an export in another must share the connection's ``max_concurrency`` slots.

- **PostgreSQL**: slot *i* of connection *c* is a session-level advisory lock. Each process holds
  one extra database connection (autocommit, outside Django's), whatever the number of PIM
  connections, on which it takes and releases them; a killed process's locks go with its
  session, so a crash never leaks a slot.
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

from .akeneo.budget import clamp, once

POLL_FIRST = 0.005
POLL_MAX = 0.05
# Advisory lock keys: (this namespace, connection id * 16 + slot). The namespace keeps them apart
# from any other advisory lock the database may see.
LOCK_NAMESPACE = zlib.crc32(b"akeneo-call-slots") & 0x7FFFFFFF


class _SharedSlots:
    """The waiting common to both kinds; subclasses take and drop one slot."""

    def __init__(self, connection_id: int, size: int):
        self.connection_id = connection_id
        self.size = clamp(size)

    def _guard(self) -> threading.Condition:
        raise NotImplementedError

    def acquire(self) -> Callable[[], None]:
        wait = POLL_FIRST
        guard = self._guard()
        with guard:
            while True:
                for slot in range(self.size):
                    token = self._try_take(slot)
                    if token is not None:
                        return self._releaser(slot, token)
                # Another process holds the rest: look again soon, or as soon as a thread here gives one back.
                guard.wait(wait)
                wait = min(POLL_MAX, wait * 2)

    def _releaser(self, slot: int, token: object) -> Callable[[], None]:
        def give_back() -> None:
            guard = self._guard()
            with guard:
                self._drop(slot, token)
                guard.notify_all()

        return once(give_back)

    def _try_take(self, slot: int) -> object | None:
        raise NotImplementedError

    def _drop(self, slot: int, token: object) -> None:
        raise NotImplementedError


class _PostgresSession:
    """This process's one extra database session, on which every connection's slots are locked.

    Advisory locks are re-entrant within a session, so the session also notes which slots this
    process holds: two threads, or two handles of one connection, never share a slot.
    """

    def __init__(self) -> None:
        self.guard = threading.Condition()
        self.db = None
        self.pid: int | None = None
        self.held: dict[tuple[int, int], object] = {}

    def cursor(self):
        if self.db is None or self.pid != os.getpid() or self.db.closed:
            wrapper = connections["default"]
            self.db = wrapper.get_new_connection(wrapper.get_connection_params())
            self.db.autocommit = True
            self.pid = os.getpid()
            # A new session holds none of the old one's locks (a fork, or a dropped connection).
            self.held.clear()
        return self.db.cursor()

    def close(self) -> None:
        with self.guard:
            if self.db is not None and self.pid == os.getpid():
                self.db.close()
            self.db = None
            self.held.clear()


_session = _PostgresSession()


class PostgresSlots(_SharedSlots):
    def _guard(self) -> threading.Condition:
        return _session.guard

    @property
    def _db(self):
        return _session.db

    def _key(self, slot: int) -> tuple[int, int]:
        return LOCK_NAMESPACE, self.connection_id * 16 + slot

    def _try_take(self, slot: int) -> object | None:
        with _session.cursor() as cursor:
            if (self.connection_id, slot) in _session.held:
                return None
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", self._key(slot))
            if not cursor.fetchone()[0]:
                return None
        token = _session.held[(self.connection_id, slot)] = object()  # a token of its own per take
        return token

    def _drop(self, slot: int, token: object) -> None:
        # Only this take's own lock: after a reconnection the slot may be someone else's now.
        if _session.held.get((self.connection_id, slot)) is not token:
            return
        del _session.held[(self.connection_id, slot)]
        with _session.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", self._key(slot))


class FileSlots(_SharedSlots):
    def __init__(self, connection_id: int, size: int, folder: Path):
        super().__init__(connection_id, size)
        self._folder = folder
        self._condition = threading.Condition()

    def _guard(self) -> threading.Condition:
        return self._condition

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
        return fd

    def _drop(self, slot: int, token: object) -> None:
        os.close(token)  # closing the last descriptor of the open file drops its lock


_budgets: dict[tuple[int, int, int], _SharedSlots] = {}
_budgets_lock = threading.Lock()


def close_all() -> None:
    """Close this process's slot session (tests, before their database is dropped)."""
    _session.close()
    with _budgets_lock:
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
