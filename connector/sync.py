"""The structure sync: fetch the PIM's structure, then apply it to the mirror in one transaction.

Two phases keep the two promises of the issue at once:
1. **Fetch** (network, no transaction): every resource is read page by page and spooled to a
   temporary NDJSON file, so memory does not grow with the catalog.
2. **Apply** (database, one transaction, no network): the spool is upserted 100 objects at a time
   with a bounded number of queries per chunk; rows not seen are marked deleted. If fetching
   fails, nothing was written: the previous mirror stays intact.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote

from django.db import transaction
from django.utils import timezone

from .akeneo import AkeneoClient, AkeneoNotFound
from .models import (
    AkeneoConnection,
    AssetFamily,
    AssetFamilyAttribute,
    AssociationType,
    Attribute,
    AttributeGroup,
    AttributeOption,
    Category,
    Channel,
    Currency,
    Family,
    FamilyVariant,
    Locale,
    MeasurementFamily,
    MirrorModel,
    ReferenceEntity,
    ReferenceEntityAttribute,
    ReferenceEntityRecord,
)

APPLY_CHUNK = 100
OPTION_TYPES = frozenset({"pim_catalog_simpleselect", "pim_catalog_multiselect"})


class Progress(Protocol):
    """What the sync reports to (a ``RunContext``, or anything shaped like it)."""

    def info(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...
    def count(self, name: str, n: int = 1) -> None: ...
    def set_total(self, total: int | None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def checkpoint(self) -> None: ...


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _columns_channel(item: dict) -> dict:
    return {
        "locales": item.get("locales") or [],
        "currencies": item.get("currencies") or [],
        "category_tree": _text(item.get("category_tree")),
    }


def _columns_attribute(item: dict) -> dict:
    max_characters = item.get("max_characters")
    return {
        "type": _text(item.get("type")),
        "group_code": _text(item.get("group")),
        "sort_order": int(item.get("sort_order") or 0),
        "scopable": bool(item.get("scopable")),
        "localizable": bool(item.get("localizable")),
        "unique": bool(item.get("unique")),
        "available_locales": item.get("available_locales") or [],
        "metric_family": _text(item.get("metric_family")),
        "default_metric_unit": _text(item.get("default_metric_unit")),
        "decimals_allowed": item.get("decimals_allowed"),
        "negative_allowed": item.get("negative_allowed"),
        "reference_data_name": _text(item.get("reference_data_name")),
        "max_characters": int(max_characters) if max_characters not in (None, "") else None,
        "validation_rule": _text(item.get("validation_rule")),
        "validation_regexp": _text(item.get("validation_regexp"))[:500],
        "number_min": _text(item.get("number_min")),
        "number_max": _text(item.get("number_max")),
        "date_min": _text(item.get("date_min")),
        "date_max": _text(item.get("date_max")),
        "allowed_extensions": item.get("allowed_extensions") or [],
        "max_file_size": _text(item.get("max_file_size")),
    }


def _columns_family_variant(item: dict) -> dict:
    sets = item.get("variant_attribute_sets") or []
    return {
        "family_code": item["_parent"],
        "levels": max((int(s.get("level", 1)) for s in sets), default=1),
        "axes": {str(s.get("level", 1)): s.get("axes") or [] for s in sets},
        "attributes_by_level": {str(s.get("level", 1)): s.get("attributes") or [] for s in sets},
    }


def _columns_entity_attribute(parent_field: str) -> Callable[[dict], dict]:
    def columns(item: dict) -> dict:
        return {
            parent_field: item["_parent"],
            "type": _text(item.get("type")),
            "value_per_locale": bool(item.get("value_per_locale")),
            "value_per_channel": bool(item.get("value_per_channel")),
        }

    return columns


@dataclass(frozen=True)
class MirrorSpec:
    """How one resource of the API maps onto one mirror model."""

    name: str
    model: type[MirrorModel]
    columns: Callable[[dict], dict] = lambda item: {}
    code_key: str = "code"

    @property
    def parent_field(self) -> str | None:
        return self.model.PARENT_FIELD

    @property
    def update_fields(self) -> list[str]:
        typed = [
            f.name
            for f in self.model._meta.concrete_fields
            if f.name not in ("id", "connection", "code", "deleted_at", "synced_at", "checksum")
        ]
        return [*typed, "checksum", "synced_at", "deleted_at"]


SPECS: dict[str, MirrorSpec] = {
    spec.name: spec
    for spec in (
        MirrorSpec("channels", Channel, _columns_channel),
        MirrorSpec("locales", Locale, lambda item: {"enabled": bool(item.get("enabled"))}),
        MirrorSpec("currencies", Currency, lambda item: {"enabled": bool(item.get("enabled"))}),
        MirrorSpec(
            "measurement families",
            MeasurementFamily,
            lambda item: {
                "standard_unit": _text(item.get("standard_unit_code")),
                "units": item.get("units") or {},
            },
        ),
        MirrorSpec(
            "attribute groups",
            AttributeGroup,
            lambda item: {
                "sort_order": int(item.get("sort_order") or 0),
                "attributes": item.get("attributes") or [],
            },
        ),
        MirrorSpec("attributes", Attribute, _columns_attribute),
        MirrorSpec(
            "attribute options",
            AttributeOption,
            lambda item: {"attribute_code": item["_parent"], "sort_order": int(item.get("sort_order") or 0)},
        ),
        MirrorSpec(
            "families",
            Family,
            lambda item: {
                "attribute_as_label": _text(item.get("attribute_as_label")),
                "attribute_as_image": _text(item.get("attribute_as_image")),
                "attributes": item.get("attributes") or [],
                "attribute_requirements": item.get("attribute_requirements") or {},
            },
        ),
        MirrorSpec("family variants", FamilyVariant, _columns_family_variant),
        MirrorSpec(
            "categories",
            Category,
            lambda item: {
                "parent_code": _text(item.get("parent")),
                "root_code": item["_root"],
                "depth": item["_depth"],
                "position": item.get("position"),
            },
        ),
        MirrorSpec(
            "association types",
            AssociationType,
            lambda item: {
                "is_quantified": bool(item.get("is_quantified")),
                "is_two_way": bool(item.get("is_two_way")),
            },
        ),
        MirrorSpec("reference entities", ReferenceEntity),
        MirrorSpec(
            "reference entity attributes", ReferenceEntityAttribute, _columns_entity_attribute("entity_code")
        ),
        MirrorSpec(
            "reference entity records", ReferenceEntityRecord, lambda item: {"entity_code": item["_parent"]}
        ),
        MirrorSpec(
            "asset families",
            AssetFamily,
            lambda item: {"attribute_as_main_media": _text(item.get("attribute_as_main_media"))},
        ),
        MirrorSpec(
            "asset family attributes", AssetFamilyAttribute, _columns_entity_attribute("asset_family_code")
        ),
    )
}


@dataclass
class SpecResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class SyncResult:
    per_type: dict[str, SpecResult] = field(default_factory=dict)

    def totals(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for result in self.per_type.values():
            totals.update(
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                deleted=result.deleted,
            )
        return totals


class _Spool:
    """One temporary NDJSON file per resource; each item tagged with its parent code if any."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._files: dict[str, IO[str]] = {}
        self.counts: Counter[str] = Counter()

    def add(self, name: str, item: dict, parent: str | None = None) -> None:
        handle = self._files.get(name)
        if handle is None:
            handle = self._files[name] = (self.directory / f"{name.replace(' ', '_')}.ndjson").open("w+")
        item = {k: v for k, v in item.items() if k != "_links"}
        if parent is not None:
            item["_parent"] = parent
        handle.write(json.dumps(item, separators=(",", ":"), sort_keys=True) + "\n")
        self.counts[name] += 1

    def read(self, name: str) -> Iterator[dict]:
        handle = self._files.get(name)
        if handle is None:
            return
        handle.flush()
        handle.seek(0)
        for line in handle:
            yield json.loads(line)

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


def _checksum(item: dict) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _chunks(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---------------------------------------------------------------------------- fetch phase

FETCH_STEPS = (
    "channels",
    "locales",
    "currencies",
    "measurement families",
    "attribute groups",
    "attributes",
    "attribute options",
    "families",
    "family variants",
    "categories",
    "association types",
    "reference entities",
    "asset families",
)

# Without it the PIM leaves the options out of a table attribute's select columns, and the
# mirror's ``raw`` is where the table configuration is kept.
LIST_PARAMS = {"attributes": {"with_table_select_options": "true"}}


TOP_LEVEL = {
    "channels": "channels",
    "locales": "locales",
    "currencies": "currencies",
    "measurement families": "measurement-families",
    "attribute groups": "attribute-groups",
    "attributes": "attributes",
    "families": "families",
    "categories": "categories",
    "association types": "association-types",
    "reference entities": "reference-entities",
    "asset families": "asset-families",
}
# Read first: the lists whose items have lists of their own (options, variants, records...).
PARENT_STEPS = ("attributes", "families", "reference entities", "asset families")


class _Listing:
    """One listing read by a worker thread into its own file; ``vanished`` if its parent was deleted."""

    def __init__(self, folder: Path, number: int):
        self.path = folder / f"listing-{number}.ndjson"
        self.vanished = False

    def read(self) -> Iterator[dict]:
        if self.vanished:
            return
        with self.path.open() as handle:
            for line in handle:
                yield json.loads(line)


class _Fetcher:
    """Reads every listing of the structure ``client.concurrency`` at a time.

    The top-level lists go first; a parent's children (an attribute's options, a family's
    variants, an entity's attributes and records) are asked for as soon as the parent list is
    in. Each listing lands in its own file; the spool is then filled from them in a fixed order,
    so the mirror and the run's messages are the same as a sequential read's.
    """

    def __init__(self, client: AkeneoClient, folder: Path, pool: ThreadPoolExecutor):
        self.client = client
        self.folder = folder
        self.pool = pool
        self._numbers = iter(range(1_000_000))

    def submit(
        self, path: str, params: dict | None = None, *, child: bool = False, whole: bool = False
    ) -> Future[_Listing]:
        """``whole``: an endpoint that may answer with a plain JSON array instead of pages."""
        listing = _Listing(self.folder, next(self._numbers))
        return self.pool.submit(self._read, listing, path, params, child, whole)

    def _read(self, listing: _Listing, path: str, params: dict | None, child: bool, whole: bool) -> _Listing:
        try:
            items = self.client.list_all(path, params) if whole else self.client.paginate(path, params)
            with listing.path.open("w") as out:
                for item in items:
                    out.write(json.dumps(item, separators=(",", ":")) + "\n")
        except AkeneoNotFound:
            if not child:
                raise
            listing.vanished = True  # deleted in the PIM between listing the parent and reading it
        return listing


def _fetch(client: AkeneoClient, spool: _Spool, progress: Progress) -> dict[str, str]:
    """Spool everything. Returns category code → parent code, for the tree columns."""
    folder = spool.directory / "listings"
    folder.mkdir()
    pool = ThreadPoolExecutor(max(1, client.concurrency), thread_name_prefix="pim-sync")
    try:
        return _fetch_with(_Fetcher(client, folder, pool), spool, progress)
    finally:
        # After a failure, the listings not started yet are not worth the PIM's time.
        pool.shutdown(wait=True, cancel_futures=True)


def _fetch_with(fetcher: _Fetcher, spool: _Spool, progress: Progress) -> dict[str, str]:
    order = [*PARENT_STEPS, *(step for step in TOP_LEVEL if step not in PARENT_STEPS)]
    top = {
        step: fetcher.submit(TOP_LEVEL[step], LIST_PARAMS.get(step), whole=step == "measurement families")
        for step in order
    }
    children: dict[str, list[tuple[str, Future[_Listing]]]] = {
        "attribute options": [],
        "family variants": [],
        "reference entity attributes": [],
        "reference entity records": [],
        "asset family attributes": [],
    }
    for code in _codes(top["attributes"].result(), lambda item: item.get("type") in OPTION_TYPES):
        path = f"attributes/{quote(code)}/options"
        children["attribute options"].append((code, fetcher.submit(path, child=True)))
    for code in _codes(top["families"].result()):
        path = f"families/{quote(code)}/variants"
        children["family variants"].append((code, fetcher.submit(path, child=True)))
    for code in _codes(top["reference entities"].result()):
        base = f"reference-entities/{quote(code)}"
        children["reference entity attributes"].append(
            (code, fetcher.submit(f"{base}/attributes", child=True, whole=True))
        )
        children["reference entity records"].append((code, fetcher.submit(f"{base}/records", child=True)))
    for code in _codes(top["asset families"].result()):
        path = f"asset-families/{quote(code)}/attributes"
        children["asset family attributes"].append((code, fetcher.submit(path, child=True, whole=True)))

    category_parents: dict[str, str] = {}
    for step in FETCH_STEPS:
        if step in TOP_LEVEL:
            for item in top[step].result().read():
                spool.add(step, item)
                if step == "categories":
                    category_parents[item["code"]] = item.get("parent") or ""
            if step == "reference entities":
                _spool_children(spool, children, "reference entity attributes", progress)
                _spool_children(spool, children, "reference entity records", progress)
            elif step == "asset families":
                _spool_children(spool, children, "asset family attributes", progress)
        else:
            _spool_children(spool, children, step, progress)
        progress.info(f"Fetched {step}: {spool.counts[step]}.")
        progress.advance()
        progress.checkpoint()
    return category_parents


def _codes(listing: _Listing, keep=lambda item: True) -> list[str]:
    return [item["code"] for item in listing.read() if keep(item)]


def _spool_children(spool: _Spool, children: dict, step: str, progress: Progress) -> None:
    for parent, future in children[step]:
        listing = future.result()
        if listing.vanished:
            progress.warning(f"{step}: {parent} disappeared from the PIM during the sync; skipped.")
            continue
        for item in listing.read():
            spool.add(step, item, parent=parent)


def _tree_position(code: str, parents: dict[str, str]) -> tuple[str, int]:
    """Root code and depth of a category (a cycle or a missing parent stops the walk)."""
    depth, current, seen = 0, code, {code}
    while parents.get(current):
        current = parents[current]
        if current in seen or current not in parents:
            break
        seen.add(current)
        depth += 1
    return current, depth


# ---------------------------------------------------------------------------- apply phase


def _apply(
    connection: AkeneoConnection,
    spec: MirrorSpec,
    items: Iterable[dict],
    stamp: datetime,
) -> SpecResult:
    result = SpecResult()
    model = spec.model
    parent_field = spec.parent_field
    for chunk in _chunks(items, APPLY_CHUNK):
        incoming = {}
        for item in chunk:
            parent = item.get("_parent") if parent_field else None
            incoming[(parent, str(item[spec.code_key]))] = item
        existing_rows = model.objects.filter(connection=connection, code__in={code for _, code in incoming})
        if parent_field:
            existing_rows = existing_rows.filter(**{f"{parent_field}__in": {p for p, _ in incoming}})
        existing = {
            (getattr(row, parent_field) if parent_field else None, row.code): row for row in existing_rows
        }
        to_create, to_update, unchanged_ids = [], [], []
        for key, item in incoming.items():
            raw = {k: v for k, v in item.items() if not k.startswith("_")}
            checksum = _checksum(raw)
            values = {
                "labels": item.get("labels") or {},
                "raw": raw,
                "checksum": checksum,
                "synced_at": stamp,
                "deleted_at": None,
                **spec.columns(item),
            }
            row = existing.get(key)
            if row is None:
                to_create.append(model(connection=connection, code=key[1], **values))
            elif row.checksum != checksum or row.deleted_at is not None:
                for name, value in values.items():
                    setattr(row, name, value)
                to_update.append(row)
            else:
                unchanged_ids.append(row.pk)
        if to_create:
            model.objects.bulk_create(to_create)
        if to_update:
            model.objects.bulk_update(to_update, spec.update_fields)
        if unchanged_ids:
            model.objects.filter(pk__in=unchanged_ids).update(synced_at=stamp)
        result.created += len(to_create)
        result.updated += len(to_update)
        result.unchanged += len(unchanged_ids)
    result.deleted = (
        model.objects.filter(connection=connection, deleted_at__isnull=True)
        .exclude(synced_at=stamp)
        .update(deleted_at=stamp)
    )
    return result


def _with_tree(items: Iterable[dict], parents: dict[str, str]) -> Iterator[dict]:
    for item in items:
        root, depth = _tree_position(item["code"], parents)
        yield {**item, "_root": root, "_depth": depth}


def sync_structure(connection: AkeneoConnection, client: AkeneoClient, progress: Progress) -> SyncResult:
    """Mirror the PIM's structure for ``connection``. Raises ``AkeneoError`` if the PIM fails us."""
    progress.set_total(len(FETCH_STEPS) + 1)
    result = SyncResult()
    with tempfile.TemporaryDirectory(prefix="akeneo-sync-") as directory:
        spool = _Spool(Path(directory))
        try:
            parents = _fetch(client, spool, progress)
            stamp = timezone.now()
            with transaction.atomic():
                for name, spec in SPECS.items():
                    items = spool.read(name)
                    if spec.model is Category:
                        items = _with_tree(items, parents)
                    result.per_type[name] = _apply(connection, spec, items, stamp)
                AkeneoConnection.objects.filter(pk=connection.pk).update(last_synced_at=stamp)
            progress.advance()
        finally:
            spool.close()
    for name, spec_result in result.per_type.items():
        progress.info(
            f"{name.capitalize()}: {spec_result.created} created, {spec_result.updated} updated, "
            f"{spec_result.unchanged} unchanged, {spec_result.deleted} deleted."
        )
    totals = result.totals()
    for counter in ("created", "updated", "unchanged", "deleted"):
        progress.count(counter, totals[counter])
    return result


def mirror_counts(connection: AkeneoConnection) -> dict[str, int]:
    """Live (not deleted) mirrored objects per type."""
    return {
        name: spec.model.objects.live().filter(connection=connection).count() for name, spec in SPECS.items()
    }
