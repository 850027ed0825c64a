"""Supplier jobs: import a file into rows and map its columns to the workflow's SDM attributes."""

from __future__ import annotations

import unicodedata
import uuid
from pathlib import Path

from django.db import transaction

from .models import JobColumn, JobRow, SdmAttribute, SupplierJob, Workflow
from .supplier_files import open_supplier_file

ROW_BATCH = 1000
SPECIAL_HEADERS = {
    "family": JobColumn.Role.FAMILY,
    "categories": JobColumn.Role.CATEGORIES,
    "parent": JobColumn.Role.PARENT,
    "root model": JobColumn.Role.ROOT_MODEL,
    "family variant": JobColumn.Role.FAMILY_VARIANT,
}


def normalize(text: str) -> str:
    """Case- and accent-insensitive form used to match headers and values."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace("_", " ").replace("-", " ").split())


def _attribute_index(workflow: Workflow) -> dict[str, str]:
    """Normalized code or label → SDM attribute code (codes win over labels)."""
    index: dict[str, str] = {}
    by_label: dict[str, str] = {}
    for code, labels in SdmAttribute.objects.filter(workflow=workflow).values_list("code", "labels"):
        index[normalize(code)] = code
        for label in (labels or {}).values():
            by_label.setdefault(normalize(label), code)
    return {**by_label, **index}


def auto_map(workflow: Workflow, headers: list[str]) -> list[JobColumn]:
    index = _attribute_index(workflow)
    columns = []
    for position, header in enumerate(headers):
        key = normalize(header)
        if key in SPECIAL_HEADERS:
            columns.append(
                JobColumn(position=position, header=header, role=SPECIAL_HEADERS[key], auto_mapped=True)
            )
        elif key in index:
            columns.append(
                JobColumn(
                    position=position,
                    header=header,
                    role=JobColumn.Role.ATTRIBUTE,
                    sdm_attribute=index[key],
                    auto_mapped=True,
                )
            )
        else:
            columns.append(JobColumn(position=position, header=header, role=JobColumn.Role.IGNORED))
    return columns


def identifier_position(workflow: Workflow, columns: list[JobColumn]) -> int | None:
    identifiers = set(
        SdmAttribute.objects.filter(workflow=workflow, pim_type="pim_catalog_identifier").values_list(
            "code", flat=True
        )
    )
    return next((c.position for c in columns if c.sdm_attribute in identifiers), None)


def import_supplier_file(
    workflow: Workflow, path: Path | str, name: str | None = None, media_dir: Path | str | None = None
) -> SupplierJob:
    """Create a job from a supplier file, streaming its rows into the database in batches.

    Media cells that name files are looked up in ``media_dir`` (default: the file's own folder).
    """
    supplier_file = open_supplier_file(path)
    with transaction.atomic():
        job = SupplierJob.objects.create(
            workflow=workflow,
            name=name or Path(path).name,
            source_filename=Path(path).name,
            media_dir=str(Path(media_dir or Path(path).parent).resolve()),
        )
        columns = auto_map(workflow, supplier_file.headers)
        for column in columns:
            column.job = job
        JobColumn.objects.bulk_create(columns)
        id_position = identifier_position(workflow, columns)
        batch: list[JobRow] = []
        count = 0
        for count, cells in enumerate(supplier_file.rows, start=1):
            cells = [cell.strip() for cell in cells[: len(columns)]] + [""] * (len(columns) - len(cells))
            identifier = cells[id_position] if id_position is not None else ""
            batch.append(JobRow(job=job, line=count, values=cells, identifier=identifier[:255]))
            if len(batch) >= ROW_BATCH:
                JobRow.objects.bulk_create(batch)
                batch = []
        JobRow.objects.bulk_create(batch)
        SupplierJob.objects.filter(pk=job.pk).update(row_count=count)
    job.refresh_from_db()
    return job


def mapping_summary(job: SupplierJob) -> dict:
    columns = list(job.columns.all())
    return {
        "job": job.pk,
        "rows": job.row_count,
        "columns": len(columns),
        "mapped": [
            {"header": c.header, "role": c.role, "sdm_attribute": c.sdm_attribute or None}
            for c in columns
            if c.role != JobColumn.Role.IGNORED
        ],
        "unmapped": [c.header for c in columns if c.role == JobColumn.Role.IGNORED],
    }


def upload_folder(name: str) -> Path:
    """A new folder under UPLOAD_ROOT for one supplier file."""
    from django.conf import settings

    folder = Path(settings.UPLOAD_ROOT) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(upload, folder_name: str) -> Path:
    """An uploaded file, copied in chunks into its own folder under UPLOAD_ROOT."""
    target = upload_folder(folder_name) / Path(upload.name or "supplier.csv").name
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return target


def import_uploaded_file(workflow: Workflow, upload, name: str | None = None) -> SupplierJob:
    """Import a file uploaded in the admin: copied to the uploads folder in chunks, then imported."""
    target = store_upload(upload, f"{workflow.pk}-{uuid.uuid4().hex[:12]}")
    return import_supplier_file(workflow, target, name or upload.name)
