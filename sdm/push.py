"""Finalize → push: supplier rows become PIM products, 100 per batch request.

What is sent is what ``sdm.decisions`` decides, the same decision the preview shows: refused rows
are not sent and say why, rows the PIM already holds are left alone, the rest are created or
updated (non-empty values override; empty cells never erase a PIM value). Each row records the
PIM's own answer. Rows already done are not pushed again, so a rerun after a crash resumes
without duplicates (batch PATCH is an upsert keyed by identifier or uuid).
"""

from __future__ import annotations

import uuid
from collections import defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from connector.akeneo import AkeneoClient
from connector.akeneo.parallel import ordered_map
from connector.pages import in_pages

from .cells import split_list
from .decisions import (
    CREATE,
    OUTCOME_OF,
    REFUSE,
    UNCHANGED,
    Decider,
    RowVerdict,
    existing_products,
    pending_rows,
)
from .media import AssetMaker, MediaError, MediaUploader
from .models import JobColumn, JobRow, SupplierJob
from .option_creation import create_planned_options
from .variants import ModelPlan

BATCH = 100


@dataclass
class PushSummary:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0


def push_job(job: SupplierJob, client: AkeneoClient, progress) -> PushSummary:
    """Push every pending row. ``progress`` is a ``RunContext``-like object."""
    create_planned_options(job, client, progress)
    decider = Decider(job)
    if decider.builder.ignored_unknown:
        progress.warning("Not sent (unknown at the last sync): " + ", ".join(decider.builder.ignored_unknown))
    todo = pending_rows(job)
    progress.set_total(todo.count())
    summary = PushSummary()
    failed_models = _push_models(decider, todo, client, progress)
    media = MediaUploader(job, client)
    assets = AssetMaker(job, client)
    _push_pipelined(client, decider, todo, failed_models, assets, media, progress, summary)
    return summary


@dataclass
class _Batch:
    """One batch of at most 100 rows on its way: to send, not sent (with why), and the PIM's answers."""

    to_send: list[tuple[JobRow, dict, RowVerdict]]
    not_sent: list[tuple[JobRow, str, str]]
    media_cells: dict[str, list] = field(default_factory=dict)
    results: list = field(default_factory=list)


def _push_pipelined(client, decider: Decider, todo, failed_models, assets, media, progress, summary) -> None:
    """Every batch is one PIM read (what the PIM holds) and one PIM write, ``client.concurrency`` at a time.

    Reads run ahead of the writes; at most as many writes as the call budget are in flight, and a
    batch's outcomes are recorded as soon as its answer is in, oldest batch first. The rows of a
    batch are marked "sent as new" before it leaves, so a worker killed with writes in flight
    leaves rows a rerun judges again (finding them unchanged), never rows pushed twice.
    """
    workers = max(1, client.concurrency)

    def checked_batches():
        for rows in in_pages(todo, BATCH):
            yield [decider.check(row) for row in rows]

    def read(verdicts: list[RowVerdict]) -> tuple[list[RowVerdict], dict]:
        return verdicts, existing_products(client, (v.identifier for v in verdicts if v.action != REFUSE))

    in_flight: deque[tuple[_Batch, Future]] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="pim-push") as writers:
        try:
            for verdicts, products in ordered_map(read, checked_batches(), workers):
                batch = _prepare(
                    decider,
                    [decider.decide(v, products.get(v.identifier)) for v in verdicts],
                    failed_models,
                    assets,
                )
                _remember_new(batch.to_send)
                in_flight.append(
                    (batch, writers.submit(_send, client, *_write_request(media.job, batch.to_send)))
                )
                if len(in_flight) >= workers:
                    _finish(client, _answered(in_flight.popleft()), progress, summary, media)
        finally:
            # Whatever happened, the answers already in are recorded: a rerun must not send them again.
            error = None
            while in_flight:
                try:
                    _finish(client, _answered(in_flight.popleft()), progress, summary, media)
                except Exception as exc:  # noqa: BLE001 - the first failure is raised below
                    error = error or exc
            if error is not None:
                raise error


def _answered(entry: tuple[_Batch, Future]) -> _Batch:
    batch, future = entry
    batch.results = future.result()
    return batch


def _write_request(job: SupplierJob, batch: list[tuple[JobRow, dict, RowVerdict]]) -> tuple[str, list[dict]]:
    """Where and what a batch sends, built here so that the worker thread does no database read."""
    if job.workflow.identifier_mode == job.workflow.IdentifierMode.UUID:
        return "products-uuid", _by_uuid(job, batch)
    return "products", [payload for _, payload, _ in batch]


def _send(client: AkeneoClient, path: str, payloads: list[dict]) -> list:
    """A worker thread's part: the batch write alone."""
    return list(client.patch_batch(path, payloads)) if payloads else []


def _prepare(decider: Decider, verdicts: list[RowVerdict], failed_models, assets) -> _Batch:
    """A batch's decisions: what to send, and the rows not sent with their outcome."""
    batch: list[tuple[JobRow, dict, RowVerdict]] = []
    # Rows not sent are saved with the batch's answers, not one query each.
    final: list[tuple[JobRow, str, str]] = []
    for verdict in verdicts:
        row = verdict.row
        if verdict.action == UNCHANGED and row.sent_as_new:
            # Created by an earlier attempt of this push that died before recording it.
            final.append((row, JobRow.Outcome.CREATED, ""))
            continue
        if verdict.action in (REFUSE, UNCHANGED):
            final.append((row, OUTCOME_OF[verdict.action], verdict.message))
            continue
        try:
            payload = verdict.payload
            _resolve_assets(payload, assets)
            payload = decider.builder.as_variant(payload, row.values)
        except (ValueError, MediaError) as exc:
            final.append((row, JobRow.Outcome.FAILED, str(exc)))
            continue
        blocked = [code for code in decider.builder.models_of(payload) if code in failed_models]
        if blocked:
            message = f"Parent model {blocked[0]} was refused by the PIM: {failed_models[blocked[0]]}"
            final.append((row, JobRow.Outcome.FAILED, message))
            continue
        batch.append((row, payload, verdict))
    return _Batch(batch, final, {payload["identifier"]: payload.pop("_media", []) for _, payload, _ in batch})


UUID_NAMESPACE = uuid.UUID("6f1c3e2a-9b7d-4c55-8a0e-2d4b8f1a7c90")


def _by_uuid(job: SupplierJob, batch: list[tuple[JobRow, dict, RowVerdict]]) -> list[dict]:
    """Products-uuid payloads: the PIM's uuid for known identifiers, a stable one for new products.

    The uuid of a new product is derived from the connection and the identifier, so a rerun after
    a crash sends the same uuid again and cannot create a second product.
    """
    converted = []
    for _, payload, verdict in batch:
        identifier = payload["identifier"]
        product = {k: v for k, v in payload.items() if k != "identifier"}
        product["uuid"] = verdict.pim_uuid or str(
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
        codes = assets.asset_codes(target.reference, split_list(raw))
        payload["values"].setdefault(target.sdm.pim_attribute_code, []).append(
            {"locale": target.sdm.locale or None, "scope": target.sdm.channel or None, "data": codes}
        )


def _push_models(decider: Decider, todo, client: AkeneoClient, progress) -> dict[str, str]:
    """Create or update the product models the variant rows need: roots, then sub-models.

    Only rows the decision would send contribute: a refused row never shapes a model.
    """
    builder = decider.builder
    plan = ModelPlan()
    for chunk in in_pages(todo, BATCH):
        for row in chunk:
            if not builder.role_cell(row.values, JobColumn.Role.PARENT):
                continue  # a simple product needs no model
            verdict = decider.check(row)
            if verdict.action != REFUSE:
                builder.as_variant(verdict.payload, row.values, plan)
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


def _finish(
    client: AkeneoClient, batch: _Batch, progress, summary: PushSummary, media: MediaUploader
) -> None:
    """A batch's answers: media of the saved products, then every row's outcome."""
    outcomes = list(batch.not_sent)
    reuse: list[dict] = []
    saved = [
        (payload["identifier"], batch.media_cells[payload["identifier"]])
        for (_, payload, _), result in zip(batch.to_send, batch.results, strict=True)
        if result.ok and batch.media_cells.get(payload["identifier"])
    ]
    attached = media.attach_many(saved) if saved else {}
    for (row, payload, _), result in zip(batch.to_send, batch.results, strict=True):
        if not result.ok:
            row.sent_as_new = False  # the PIM refused it: nothing was created
            outcomes.append((row, JobRow.Outcome.FAILED, f"HTTP {result.status_code}: {result.describe()}"))
            continue
        created = result.status_code == 201 or row.sent_as_new
        outcome = JobRow.Outcome.CREATED if created else JobRow.Outcome.UPDATED
        if payload["identifier"] in attached:
            values, errors = attached[payload["identifier"]]
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


def _remember_new(batch: list[tuple[JobRow, dict, RowVerdict]]) -> None:
    """Before the batch is sent: which rows go as new products. A worker killed after the PIM
    created them but before their answers were recorded leaves this behind, and the rerun, which
    then finds the products, still reports them created."""
    new = [row for row, _, verdict in batch if verdict.action == CREATE and not row.sent_as_new]
    for row in new:
        row.sent_as_new = True
    if new:
        JobRow.objects.filter(pk__in=[row.pk for row in new]).update(sent_as_new=True)


def _record(progress, summary: PushSummary, outcomes: list[tuple[JobRow, str, str]]) -> None:
    now = timezone.now()
    # Rows sharing an outcome and a message (every created row, every updated one) are saved by
    # one UPDATE each: bulk_update's per-row CASE costs more than the PIM call on a large batch.
    same: dict[tuple[str, str, bool], list[int]] = defaultdict(list)
    for row, outcome, message in outcomes:
        row.outcome, row.message, row.pushed_at = outcome, message[:5000], now
        same[(row.outcome, row.message, row.sent_as_new)].append(row.pk)
        setattr(summary, outcome, getattr(summary, outcome) + 1)
        progress.count(outcome)
    with transaction.atomic():
        for (outcome, message, sent_as_new), pks in same.items():
            JobRow.objects.filter(pk__in=pks).update(
                outcome=outcome, message=message, pushed_at=now, sent_as_new=sent_as_new
            )
    progress.advance(len(outcomes))
