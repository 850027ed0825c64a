"""Finalize → push: supplier rows become PIM products, 100 per batch request.

Rules: new products are created with every recognised attribute; non-empty values override the
PIM's; empty cells are never sent (they never erase a PIM value); columns whose SDM attribute the
last sync does not know are never sent. Each row records the PIM's own answer. Rows already
created or updated are not pushed again, so a rerun after a crash resumes without duplicates
(batch PATCH is an upsert keyed by identifier).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from connector.akeneo import AkeneoClient, Search
from connector.models import Attribute, Channel

from .jobs import normalize
from .media import AssetMaker, MediaCell, MediaError, MediaUploader
from .models import JobColumn, JobRow, SdmAttribute, SupplierJob
from .value_mapping import create_planned_options, mapping_table, suggest
from .variants import ModelPlan, VariantSplitter

BATCH = 100
TRUE_WORDS = {"1", "true", "yes", "y", "x", "oui", "ja", "si", "vrai", "wahr"}
FALSE_WORDS = {"0", "false", "no", "n", "non", "nein", "faux", "falsch"}
LIST_SPLIT = re.compile(r"\s*[,;|]\s*")
PRICE_SPLIT = re.compile(r"\s*[;|]\s*")  # a comma may be the decimal separator in a price
MEDIA_TYPES = {"pim_catalog_image", "pim_catalog_file", "pim_catalog_asset_collection"}


class CellError(ValueError):
    """A cell cannot be turned into a PIM value; the message names the column and the reason."""


@dataclass(frozen=True)
class Target:
    """Where one mapped column goes in the PIM."""

    header: str
    sdm: SdmAttribute
    decimals_allowed: bool | None
    default_unit: str
    reference: str = ""  # the asset family or reference entity the attribute points to


class ProductBuilder:
    def __init__(self, job: SupplierJob):
        workflow = job.workflow
        self.value_map = mapping_table(job)
        self.splitter = VariantSplitter(job)
        self.plan_models: ModelPlan | None = None
        self.columns = list(job.columns.all())
        derived = {a.code: a for a in SdmAttribute.objects.filter(workflow=workflow)}
        mirror = {
            a.code: a
            for a in Attribute.objects.live().filter(
                connection=workflow.connection, code__in={a.pim_attribute_code for a in derived.values()}
            )
        }
        self.targets: dict[int, Target] = {}
        self.ignored_unknown: list[str] = []
        for column in self.columns:
            if column.role != JobColumn.Role.ATTRIBUTE:
                continue
            sdm = derived.get(column.sdm_attribute)
            if sdm is None:
                # Not in the configuration of the last sync: never sent.
                self.ignored_unknown.append(column.header)
                continue
            pim = mirror.get(sdm.pim_attribute_code)
            self.targets[column.position] = Target(
                column.header,
                sdm,
                pim.decimals_allowed if pim else None,
                pim.default_metric_unit if pim else "",
                pim.reference_data_name if pim else "",
            )
        self.identifier_position = next(
            (p for p, t in self.targets.items() if t.sdm.pim_type == "pim_catalog_identifier"), None
        )
        currencies = []
        for channel in Channel.objects.live().filter(
            connection=workflow.connection, code__in=workflow.channels or []
        ):
            currencies += [c for c in channel.currencies if c not in currencies]
        self.default_currency = currencies[0] if currencies else "EUR"

    def role_cell(self, cells: list[str], role: str) -> str:
        column = next((c for c in self.columns if c.role == role), None)
        return cells[column.position].strip() if column and column.position < len(cells) else ""

    def build(self, cells: list[str]) -> dict[str, Any]:
        """The product payload for one row (raises ``CellError``)."""
        if self.identifier_position is None:
            raise CellError("No column is mapped to the identifier attribute.")
        identifier = cells[self.identifier_position].strip()
        if not identifier:
            raise CellError("The identifier cell is empty.")
        payload: dict[str, Any] = {"identifier": identifier, "values": {}}
        if family := self.role_cell(cells, JobColumn.Role.FAMILY):
            payload["family"] = family
        if categories := self.role_cell(cells, JobColumn.Role.CATEGORIES):
            payload["categories"] = [c for c in LIST_SPLIT.split(categories) if c]
        if parent := self.role_cell(cells, JobColumn.Role.PARENT):
            payload["parent"] = parent
        units: dict[tuple[str, str, str], str] = {}
        for position, target in self.targets.items():
            raw = cells[position].strip() if position < len(cells) else ""
            if raw and target.sdm.kind == SdmAttribute.Kind.UNIT:
                code = suggest(raw, target.sdm.allowed_values)
                if code is None:
                    raise CellError(f"Column '{target.header}': unknown unit '{raw}'.")
                units[(target.sdm.pim_attribute_code, target.sdm.channel, target.sdm.locale)] = code
        for position, target in self.targets.items():
            sdm = target.sdm
            raw = cells[position].strip() if position < len(cells) else ""
            if not raw or sdm.kind == SdmAttribute.Kind.UNIT or sdm.pim_type == "pim_catalog_identifier":
                continue  # empty cells are never sent: they must not erase a PIM value
            if sdm.pim_type in ("pim_catalog_image", "pim_catalog_file"):
                # Media go through the media files endpoint once the product exists.
                payload.setdefault("_media", []).append(
                    MediaCell(sdm.pim_attribute_code, sdm.channel or None, sdm.locale or None, raw)
                )
                continue
            if sdm.pim_type == "pim_catalog_asset_collection":
                payload.setdefault("_assets", []).append((target, raw))
                continue
            unit = units.get((sdm.pim_attribute_code, sdm.channel, sdm.locale))
            data = self.convert(target, raw, unit)
            payload["values"].setdefault(sdm.pim_attribute_code, []).append(
                {"locale": sdm.locale or None, "scope": sdm.channel or None, "data": data}
            )
        return payload

    def as_variant(self, payload: dict, cells: list[str], plan: ModelPlan | None = None) -> dict:
        """For a variant row, the product payload without its models' values (collected in ``plan``)."""
        if "parent" not in payload:
            return payload
        family_variant = self.role_cell(cells, JobColumn.Role.FAMILY_VARIANT)
        root = self.role_cell(cells, JobColumn.Role.ROOT_MODEL)
        if not family_variant:
            return payload  # the models exist in the PIM already: attach by parent code only
        return self.splitter.split(payload, family_variant, root, plan if plan is not None else ModelPlan())

    def models_of(self, payload: dict) -> list[str]:
        return self.plan_models.depends_on.get(payload["identifier"], []) if self.plan_models else []

    def option(self, raw: str, target: Target, where: str) -> str:
        """The value mapping decides first; otherwise an exact code or label match."""
        mapped = self.value_map.get((target.sdm.pim_attribute_code, normalize(raw)))
        code = mapped or suggest(raw, target.sdm.allowed_values)
        if code is None:
            raise CellError(
                f"{where}: '{raw}' is not an option of {target.sdm.pim_attribute_code} (map it first)."
            )
        return code

    def convert(self, target: Target, raw: str, unit: str | None) -> Any:
        kind = target.sdm.pim_type
        where = f"Column '{target.header}'"
        if kind in ("pim_catalog_text", "pim_catalog_textarea"):
            return raw
        if kind == "pim_catalog_number":
            return _number(raw, target.decimals_allowed, where)
        if kind == "pim_catalog_metric":
            return {"amount": _number(raw, True, where), "unit": unit or target.default_unit}
        if kind == "pim_catalog_price_collection":
            return _prices(raw, self.default_currency, where)
        if kind == "pim_catalog_boolean":
            word = normalize(raw)
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise CellError(f"{where}: '{raw}' is not a yes/no value.")
        if kind == "pim_catalog_date":
            return _date(raw, where)
        if kind in ("pim_catalog_simpleselect", "akeneo_reference_entity"):
            return self.option(raw, target, where)
        if kind in ("pim_catalog_multiselect", "akeneo_reference_entity_collection"):
            return [self.option(part, target, where) for part in LIST_SPLIT.split(raw) if part]
        return raw


def _number(raw: str, decimals_allowed: bool | None, where: str) -> Any:
    text = raw.replace(" ", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(f"{where}: '{raw}' is not a number.") from None
    if decimals_allowed is False:
        if value != value.to_integral_value():
            raise CellError(f"{where}: '{raw}' must be a whole number.")
        return int(value)
    return str(value)


def _prices(raw: str, default_currency: str, where: str) -> list[dict[str, str]]:
    prices = []
    for part in PRICE_SPLIT.split(raw):
        if not part:
            continue
        match = re.fullmatch(r"([A-Za-z]{3})?\s*([-0-9.,\s]+?)\s*([A-Za-z]{3})?", part)
        if not match:
            raise CellError(f"{where}: '{part}' is not a price like '12.50 EUR'.")
        currency = (match.group(1) or match.group(3) or default_currency).upper()
        prices.append({"amount": _number(match.group(2), True, where), "currency": currency})
    return prices


def _date(raw: str, where: str) -> str:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(raw[:19], pattern).strftime("%Y-%m-%dT00:00:00+00:00")
        except ValueError:
            continue
    raise CellError(f"{where}: '{raw}' is not a date (YYYY-MM-DD or DD/MM/YYYY).")


@dataclass
class PushSummary:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0


def push_job(job: SupplierJob, client: AkeneoClient, progress) -> PushSummary:
    """Push every row not yet created or updated. ``progress`` is a ``RunContext``-like object."""
    create_planned_options(job, client, progress)
    builder = ProductBuilder(job)
    if builder.ignored_unknown:
        progress.warning("Not sent (unknown at the last sync): " + ", ".join(builder.ignored_unknown))
    todo = job.rows.exclude(outcome__in=[JobRow.Outcome.CREATED, JobRow.Outcome.UPDATED]).order_by("line")
    progress.set_total(todo.count())
    summary = PushSummary()
    failed_models = _push_models(job, builder, todo, client, progress)
    media = MediaUploader(job, client)
    assets = AssetMaker(job, client)
    batch: list[tuple[JobRow, dict]] = []
    # Rows refused before reaching the PIM are saved with the next batch, not one query each.
    refused: list[tuple[JobRow, str, str]] = []
    for row in todo.iterator(chunk_size=BATCH):
        try:
            payload = builder.build(row.values)
            _resolve_assets(payload, assets)
            payload = builder.as_variant(payload, row.values)
        except (CellError, ValueError, MediaError) as exc:
            refused.append((row, JobRow.Outcome.FAILED, str(exc)))
            continue
        blocked = [code for code in builder.models_of(payload) if code in failed_models]
        if blocked:
            message = f"Parent model {blocked[0]} was refused by the PIM: {failed_models[blocked[0]]}"
            refused.append((row, JobRow.Outcome.FAILED, message))
            continue
        batch.append((row, payload))
        if len(batch) == BATCH:
            _push_batch(client, batch, progress, summary, media, refused)
            batch, refused = [], []
    if batch or refused:
        _push_batch(client, batch, progress, summary, media, refused)
    return summary


UUID_NAMESPACE = uuid.UUID("6f1c3e2a-9b7d-4c55-8a0e-2d4b8f1a7c90")


def _by_uuid(client: AkeneoClient, job: SupplierJob, payloads: list[dict]) -> list[dict]:
    """Products-uuid payloads: the PIM's uuid for known identifiers, a stable one for new products.

    The uuid of a new product is derived from the connection and the identifier, so a rerun after
    a crash sends the same uuid again and cannot create a second product.
    """
    identifiers = [p["identifier"] for p in payloads]
    known = (
        {
            product["values"].get(job.identifier_attribute, [{}])[0].get("data"): product["uuid"]
            for product in client.paginate(
                "products-uuid", search=Search().where("identifier", "IN", identifiers)
            )
        }
        if job.identifier_attribute
        else {}
    )
    converted = []
    for payload in payloads:
        identifier = payload["identifier"]
        product = {k: v for k, v in payload.items() if k != "identifier"}
        product["uuid"] = known.get(identifier) or str(
            uuid.uuid5(UUID_NAMESPACE, f"{job.workflow.connection_id}:{identifier}")
        )
        product["values"] = {
            **payload["values"],
            job.identifier_attribute: [{"locale": None, "scope": None, "data": identifier}],
        }
        converted.append(product)
    return converted


def _resolve_assets(payload: dict, assets: AssetMaker) -> None:
    """Create or reuse the assets of asset-collection cells; their codes become the product value."""
    for target, raw in payload.pop("_assets", []):
        codes = assets.asset_codes(target.reference, [s for s in LIST_SPLIT.split(raw) if s])
        payload["values"].setdefault(target.sdm.pim_attribute_code, []).append(
            {"locale": target.sdm.locale or None, "scope": target.sdm.channel or None, "data": codes}
        )


def _push_models(
    job: SupplierJob, builder: ProductBuilder, todo, client: AkeneoClient, progress
) -> dict[str, str]:
    """Create or update the product models the variant rows need: roots, then sub-models."""
    plan = ModelPlan()
    for row in todo.iterator(chunk_size=BATCH):
        if not builder.role_cell(row.values, JobColumn.Role.PARENT):
            continue  # a simple product needs no model
        try:
            payload = builder.build(row.values)
            builder.as_variant(payload, row.values, plan)
        except (CellError, ValueError):
            continue  # the row reports its own error when products are pushed
    failed: dict[str, str] = {}
    for level, models in (("root", plan.roots), ("sub", plan.subs)):
        if not models:
            continue
        payloads = [m for code, m in models.items() if m.get("parent") not in failed]
        results = list(client.patch_batch("product-models", payloads))
        for payload, result in zip(payloads, results, strict=True):
            if not result.ok:
                failed[payload["code"]] = f"HTTP {result.status_code}: {result.describe()}"
        refused = sum(1 for p in payloads if p["code"] in failed)
        progress.info(f"Product models ({level}): {len(payloads) - refused} written, {refused} refused.")
    for code, message in failed.items():
        progress.warning(f"Product model {code} refused: {message}")
    builder.plan_models = plan
    return failed


def _push_batch(
    client: AkeneoClient,
    batch: list[tuple[JobRow, dict]],
    progress,
    summary: PushSummary,
    media: MediaUploader,
    refused: list[tuple[JobRow, str, str]],
) -> None:
    media_cells = {payload["identifier"]: payload.pop("_media", []) for _, payload in batch}
    if not batch:
        results = []
    elif media.job.workflow.identifier_mode == media.job.workflow.IdentifierMode.UUID:
        results = list(
            client.patch_batch("products-uuid", _by_uuid(client, media.job, [p for _, p in batch]))
        )
    else:
        results = list(client.patch_batch("products", [payload for _, payload in batch]))
    outcomes = list(refused)
    reuse: list[dict] = []
    for (row, payload), result in zip(batch, results, strict=True):
        if not result.ok:
            outcomes.append((row, JobRow.Outcome.FAILED, f"HTTP {result.status_code}: {result.describe()}"))
            continue
        outcome = JobRow.Outcome.CREATED if result.status_code == 201 else JobRow.Outcome.UPDATED
        cells = media_cells.get(payload["identifier"]) or []
        if cells:
            values, errors = media.attach(payload["identifier"], cells)
            if values:
                reuse.append({"identifier": payload["identifier"], "values": values})
            if errors:
                # The product is saved; failing the row makes a rerun retry its media.
                outcomes.append(
                    (row, JobRow.Outcome.FAILED, "Product saved, media not: " + "; ".join(errors))
                )
                continue
        outcomes.append((row, outcome, ""))
    if reuse:
        for result in client.patch_batch("products", reuse):
            if not result.ok:
                progress.warning(f"Media of {result.key} not set: {result.describe()}")
    _record(progress, summary, outcomes)
    progress.checkpoint()


def _record(progress, summary: PushSummary, outcomes: list[tuple[JobRow, str, str]]) -> None:
    now = timezone.now()
    for row, outcome, message in outcomes:
        row.outcome, row.message, row.pushed_at = outcome, message[:5000], now
        setattr(summary, outcome, getattr(summary, outcome) + 1)
        progress.count(outcome)
    with transaction.atomic():
        JobRow.objects.bulk_update([row for row, _, _ in outcomes], ["outcome", "message", "pushed_at"])
    progress.advance(len(outcomes))
