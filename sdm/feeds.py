"""Supplier feeds, as the API offers them: tokens, uploaded files, jobs made from them, a job's state,
its results and its mapped data. The admin's services underneath (import, auto-mapping, value
mapping, push); nothing here is HTTP."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, CharField, Count, OuterRef, Subquery, Value, When

from connector.models import Run, RunStatus, RunTrigger

from .jobs import (
    auto_map,
    discard_upload,
    inspect_supplier_file,
    normalize,
    start_import,
    store_upload,
    upload_folder,
)
from .models import ApiToken, JobColumn, SdmAttribute, SupplierJob, SupplierUpload, Workflow
from .supplier_files import SupplierFileError, SupplierFileTooLarge
from .tasks import JOB_PUSH
from .value_mapping import MappingChoice, MappingRefused, mapping_table, save_mappings, unmapped


class FeedError(Exception):
    """Bad input from a supplier: the message says what and where."""

    def __init__(self, message: str, *, details: dict | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.status = status

    @classmethod
    def of_file(cls, exc: SupplierFileError) -> FeedError:
        return cls(str(exc), status=413 if isinstance(exc, SupplierFileTooLarge) else 400)


# --------------------------------------------------------------------------------- tokens
def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user, name: str) -> tuple[ApiToken, str]:
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "token", key_hash=hash_key(key), prefix=key[:8]
    )
    return token, key


def token_for_key(key: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()


# ---------------------------------------------------------------------------------- files
def _upload_folder() -> Path:
    return upload_folder(f"api/{uuid.uuid4().hex}")


def _register(user, path: Path) -> SupplierUpload:
    try:
        headers, rows = inspect_supplier_file(path)
    except SupplierFileError as exc:
        discard_upload(path)
        raise FeedError.of_file(exc) from None
    return SupplierUpload.objects.create(
        user=user, file_name=path.name, path=str(path), columns=headers, row_count=rows
    )


def save_uploaded_file(user, upload) -> SupplierUpload:
    """A multipart upload (CSV or XLSX), written in chunks, then read once to check it."""
    try:
        path = store_upload(upload, f"api/{uuid.uuid4().hex}")
    except SupplierFileError as exc:
        raise FeedError.of_file(exc) from None
    return _register(user, path)


def save_json_rows(user, rows) -> SupplierUpload:
    """``[{"column": "value", ...}, ...]`` as a CSV; a missing or null value is an empty cell."""
    if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) for row in rows):
        raise FeedError('"data" must be a non-empty list of objects, one per product.')
    headers: dict[str, None] = {}
    for number, row in enumerate(rows, start=1):
        for column, value in row.items():
            headers.setdefault(str(column), None)
            if isinstance(value, str) and "\x00" in value:
                raise FeedError(f"Product {number}, {str(column)[:100]!r}: the value holds a NUL character.")
            if not _plain(value):
                raise FeedError(
                    f"Product {number}, {str(column)[:100]!r}: a value is a string, a number, a boolean, "
                    "null or a list of those, not an object or a nested list."
                )
    target = _upload_folder() / "data.csv"
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if row.get(h) is None else _cell(row.get(h)) for h in headers])
    return _register(user, target)


def _plain(value, nested: bool = False) -> bool:
    if value is None or isinstance(value, bool | str | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list) and not nested:
        return all(item is not None and _plain(item, nested=True) for item in value)
    return False


def _cell(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


# ----------------------------------------------------------------------------------- jobs
def unknown_columns(workflow: Workflow, headers: list[str]) -> list[str]:
    columns = auto_map(workflow, headers)
    # family, categories, parent...: auto_map gives them their roles, so only unknown ones are ignored
    return [c.header for c in columns if c.role == JobColumn.Role.IGNORED]


def create_job(upload: SupplierUpload, workflow: Workflow, name: str, created_by=None) -> SupplierJob:
    """The API's job: imported like an admin upload, columns auto-mapped, values collected for mapping."""
    unknown = unknown_columns(workflow, upload.columns)
    if unknown:
        raise FeedError(
            f"Columns unknown to project '{workflow.name}': {', '.join(unknown)}.",
            details={"unknown_columns": unknown},
        )
    try:
        return start_import(
            workflow,
            upload.path,
            name or upload.file_name,
            created_by=created_by,
            user=created_by,
            trigger=RunTrigger.API,
        )
    except SupplierFileError as exc:
        raise FeedError.of_file(exc) from None


@dataclass
class JobState:
    status: str  # pending, running, done, error
    step: str
    message: str


def with_states(jobs):
    """Jobs annotated with their API status in the query itself: filterable, no query per job."""
    last_push = Run.objects.filter(
        target_type=ContentType.objects.get_for_model(SupplierJob), target_id=OuterRef("pk"), kind=JOB_PUSH
    ).order_by("-created_at", "-pk")
    return jobs.annotate(
        push_status=Subquery(last_push.values("status")[:1]),
        push_error=Subquery(last_push.values("error")[:1]),
        push_done=Subquery(last_push.values("progress_done")[:1]),
        unmapped=Count("value_mappings", filter=unmapped("value_mappings__")),
    ).annotate(
        api_status=Case(
            When(status=SupplierJob.Status.IMPORTING, then=Value("running")),
            When(status=SupplierJob.Status.IMPORT_FAILED, then=Value("error")),
            When(push_status__in=[RunStatus.QUEUED, RunStatus.IN_PROGRESS], then=Value("running")),
            When(push_status=RunStatus.FAILED, then=Value("error")),
            When(status__in=[SupplierJob.Status.PUSHED, SupplierJob.Status.PARTIAL], then=Value("done")),
            default=Value("pending"),
            output_field=CharField(),
        )
    )


def job_state(job: SupplierJob) -> JobState:
    """The state of a job from ``with_states``."""
    if job.status == SupplierJob.Status.IMPORTING:
        return JobState("running", "import", "Importing the file: its rows are being read.")
    if job.status == SupplierJob.Status.IMPORT_FAILED:
        return JobState("error", "import", job.import_error or "The file was refused.")
    if job.api_status == "running":
        return JobState("running", "push", f"Pushing to the PIM ({job.push_done or 0} rows done).")
    if job.api_status == "error":
        return JobState("error", "push", job.push_error or "The push failed.")
    if job.api_status == "done":
        message = (
            "Pushed with failures: see the results."
            if job.status == SupplierJob.Status.PARTIAL
            else "Pushed."
        )
        return JobState("done", "results", message)
    if job.unmapped:
        return JobState(
            "pending", "value_mapping", f"{job.unmapped} values have no PIM option yet: map them."
        )
    return JobState("pending", "finalize", "Ready: finalize the job to push it to the PIM.")


def apply_mappings(job: SupplierJob, mappings: list[dict]) -> int:
    """Set PIM options for raw values: ``[{"attribute", "value", "option", "create"?, "table_column"?}]``.

    Checked like the admin's choices (``save_mappings``); returns how many changed.
    """
    choices = [
        MappingChoice(
            attribute=str(item.get("attribute", "")),
            value=str(item.get("value", "")),
            option=str(item.get("option") or ""),
            create=bool(item.get("create")),
            table_column=str(item.get("table_column") or ""),
        )
        for item in mappings
    ]
    try:
        return save_mappings(job, choices)
    except MappingRefused as exc:
        raise FeedError(
            "Some value mappings were refused; nothing was saved.",
            details={"errors": {"mappings": exc.errors}},
            status=409,  # well-formed, but naming values or options this job does not have
        ) from None


def mapped_rows(job: SupplierJob) -> tuple[list[str], Iterator[list[str]]]:
    """The job's data as it will be pushed: mapped columns only, select values through the value mapping."""
    columns = [c for c in job.columns.order_by("position") if c.role != JobColumn.Role.IGNORED]
    headers = [c.sdm_attribute or c.role for c in columns]
    table = mapping_table(job)
    pim_code = dict(
        SdmAttribute.objects.filter(workflow=job.workflow).values_list("code", "pim_attribute_code")
    )
    attribute_of = {c.position: pim_code.get(c.sdm_attribute) for c in columns if c.sdm_attribute}

    def rows() -> Iterator[list[str]]:
        for row in job.rows.order_by("line").iterator(chunk_size=1000):
            cells = []
            for column in columns:
                raw = row.values[column.position] if column.position < len(row.values) else ""
                attribute = attribute_of.get(column.position)
                mapped = table.get((attribute, "", normalize(raw))) if attribute else None
                cells.append(mapped.code if mapped else raw)
            yield cells

    return headers, rows()


# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): it starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")


def neutralize(value) -> str:
    """A supplier cell as safe text: a leading quote stops a spreadsheet from evaluating it.

    Plain signed numbers ("-5", "+3.2") cannot be formulas and are left as they are.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def as_csv(headers: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralize(header) for header in headers])
    writer.writerows([neutralize(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(headers: list[str], rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("products")

    def text_cells(values):
        # Typed as text so openpyxl never writes "=..." as a formula; quoted like the CSV so a
        # user who copies the cell into another sheet does not run it either.
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=neutralize(value))
            cell.data_type = "s"
            cells.append(cell)
        return cells

    sheet.append(text_cells(headers))
    for row in rows:
        sheet.append(text_cells(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def project_columns(workflow: Workflow) -> list[str]:
    """The columns a supplier file of this project may have: the identifier first, then family, then
    every derived SDM attribute code."""
    codes = list(
        SdmAttribute.objects.filter(workflow=workflow).order_by("code").values_list("code", "pim_type")
    )
    identifiers = [code for code, kind in codes if kind == "pim_catalog_identifier"]
    return [*identifiers, "family", "categories", *(code for code, kind in codes if code not in identifiers)]
