"""Compact storage for products and product models, so that very large demo catalogs stay cheap.

A generated record starts as a ``Stub``: the handful of fields the filters need (timestamps as epoch
seconds) and a recipe from which its full JSON is rebuilt deterministically. ``RecordStore`` is a
``MutableMapping`` of key → record dict: reading an item through the mapping materializes it once
and keeps the dict (so callers may change it in place, as with a plain dict). The server reads
through ``peek``, which builds the dict without keeping it, so serving a 250,000-product catalog
does not grow memory. Records written through the API are stored as plain dicts.
"""

from __future__ import annotations

import bisect
import copy
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any

EPOCH_FIELDS = ("created", "updated")


def to_epoch(stamp: str | None) -> int | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def from_epoch(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


class Stub:
    """A generated record before it is materialized. Immutable once built."""

    __slots__ = (
        "key",
        "identifier",
        "family",
        "family_variant",
        "parent",
        "enabled",
        "categories",
        "created_at",
        "updated_at",
        "recipe",
    )

    def __init__(
        self,
        key: str,
        *,
        identifier: str | None = None,
        family: str | None = None,
        family_variant: str | None = None,
        parent: str | None = None,
        enabled: bool = True,
        categories: tuple[str, ...] = (),
        created_at: int = 0,
        updated_at: int = 0,
        recipe: tuple = (),
    ):
        self.key = key
        self.identifier = identifier
        self.family = family
        self.family_variant = family_variant
        self.parent = parent
        self.enabled = enabled
        self.categories = categories
        self.created_at = created_at
        self.updated_at = updated_at
        self.recipe = recipe

    def get(self, name: str, default: Any = None) -> Any:
        """The few fields a filter reads, with the same meaning as in the full record."""
        if name == "created":
            return from_epoch(self.created_at)
        if name == "updated":
            return from_epoch(self.updated_at)
        if name == "categories":
            return list(self.categories)
        if name in ("identifier", "family", "family_variant", "parent", "enabled"):
            return getattr(self, name)
        return default

    def __deepcopy__(self, memo: dict) -> Stub:
        return self  # immutable


Record = dict | Stub


def epoch(record: Record, field: str) -> int | None:
    """``created``/``updated`` of any record as epoch seconds (fast for stubs)."""
    if isinstance(record, Stub):
        return record.created_at if field == "created" else record.updated_at
    return to_epoch(record.get(field))


class RecordStore(MutableMapping):
    """key → record dict, with stubs materialized on demand; keeps a sorted key index."""

    def __init__(self, materialize: Callable[[Stub], dict] | None = None, *, index_field: str | None = None):
        self._data: dict[str, Record] = {}
        self._materialize = materialize
        self._index_field = index_field
        self._index: dict[str, str] = {}
        self._indexed: dict[str, str] = {}  # key → the value it is indexed under (the reverse of _index)
        self._sorted: list[str] | None = None
        self._built: OrderedDict[str, dict] = OrderedDict()  # recently built stubs (parents are read often)
        self._dicts: set[str] = set()  # keys held as dicts: callers may change those in place

    # mapping protocol --------------------------------------------------------------

    def __getitem__(self, key: str) -> dict:
        value = self._data[key]
        if isinstance(value, Stub):
            value = copy.deepcopy(self._build(value))
            self._data[key] = value  # same key: insertion order is kept
            self._built.pop(key, None)
            self._dicts.add(key)
        return value

    def __setitem__(self, key: str, value: Record) -> None:
        self._built.pop(key, None)
        if key not in self._data:
            self._sorted = None
        else:
            self._unindex(key)
        self._data[key] = value
        if isinstance(value, Stub):
            self._dicts.discard(key)
        else:
            self._dicts.add(key)
        self._reindex(key, value)

    def __delitem__(self, key: str) -> None:
        self._built.pop(key, None)
        self._unindex(key)
        del self._data[key]
        self._dicts.discard(key)
        self._sorted = None

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __repr__(self) -> str:
        return f"<RecordStore of {len(self._data)} records>"

    def __deepcopy__(self, memo: dict) -> RecordStore:
        clone = RecordStore(self._materialize, index_field=self._index_field)
        clone._data = {k: v if isinstance(v, Stub) else copy.deepcopy(v, memo) for k, v in self._data.items()}
        clone._index = dict(self._index)
        clone._indexed = dict(self._indexed)
        clone._dicts = set(self._dicts)
        clone._sorted = None
        return clone

    # server side ---------------------------------------------------------------------

    def add_stub(self, stub: Stub) -> None:
        self[stub.key] = stub

    def raw(self, key: str) -> Record | None:
        """The stored record as is (a stub or a dict), without building anything."""
        return self._data.get(key)

    def peek(self, key: str) -> dict | None:
        """The full record without keeping it materialized (do not change the result)."""
        value = self._data.get(key)
        if isinstance(value, Stub):
            return self._build(value)
        return value

    def full(self, record: Record) -> dict:
        return self._build(record) if isinstance(record, Stub) else record

    def sorted_keys(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self._data)
        return self._sorted

    def keys_after(self, cursor: str | None) -> Iterator[str]:
        keys = self.sorted_keys()
        start = 0 if cursor is None else bisect.bisect_right(keys, cursor)
        for position in range(start, len(keys)):
            yield keys[position]

    def find(self, value: str, *, scan: bool = True) -> str | None:
        """The key of the record whose ``index_field`` equals ``value`` (e.g. a product identifier).

        ``scan=False`` trusts the index (writers that call ``reindex``), so a miss costs nothing;
        otherwise a miss also looks through records that may have been changed in place.
        """
        key = self._index.get(value)
        if key is not None and self._field(self._data.get(key)) == value:
            return key
        if not scan:
            return None
        for key in self._dicts:  # a dict changed in place since it was indexed (stubs never change)
            if self._field(self._data[key]) == value:
                self._index[value] = key
                return key
        return None

    def reindex(self, key: str) -> None:
        """Call after changing a record's ``index_field`` in place."""
        self._forget(key)
        self._reindex(key, self._data[key])

    # internals -------------------------------------------------------------------------

    def _build(self, stub: Stub) -> dict:
        built = self._built.get(stub.key)
        if built is not None:
            self._built.move_to_end(stub.key)
            return built
        if self._materialize is None:
            raise RuntimeError("This store cannot build records from stubs.")
        built = self._built[stub.key] = self._materialize(stub)
        if len(self._built) > 256:
            self._built.popitem(last=False)
        return built

    def _field(self, record: Record | None) -> Any:
        if record is None or self._index_field is None:
            return None
        return record.get(self._index_field)

    def _reindex(self, key: str, record: Record) -> None:
        value = self._field(record)
        if value:
            self._index[value] = key
            self._indexed[key] = value

    def _forget(self, key: str) -> None:
        value = self._indexed.pop(key, None)
        if value is not None and self._index.get(value) == key:
            del self._index[value]

    def _unindex(self, key: str) -> None:
        self._forget(key)
        value = self._field(self._data.get(key))
        if value and self._index.get(value) == key:
            del self._index[value]
