"""Supplier jobs: import a file into rows and map its columns to the workflow's SDM attributes."""

from __future__ import annotations

import shutil
import unicodedata
import uuid
from pathlib import Path

from django.db.models import Count

from connector.models import RunTrigger
from connector.pages import in_pages

from .models import JobColumn, JobRow, SdmAttribute, SupplierJob, Workflow
from .supplier_files import SupplierFileError, check_file_name, check_file_size, open_supplier_file

ROW_BATCH = 1000
NO_DATA_ROWS = "The file has column names but no data rows: there is nothing to import."
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


def _cells(cells: list[str], width: int) -> list[str]:
    return [cell.strip() for cell in cells[:width]] + [""] * (width - len(cells))


def _identifier(cells: list[str], position: int | None) -> str:
    """The row's identifier as stored on ``JobRow`` (empty when no column is the identifier)."""
    return cells[position][:255] if position is not None and position < len(cells) else ""


def inspect_supplier_file(path: Path | str) -> tuple[list[str], int]:
    """Read a whole supplier file once, as the import will: its column names and data row count.

    Raises ``SupplierFileError`` for what the import would refuse, with the same message.
    """
    supplier_file = open_supplier_file(path)
    count = sum(1 for _ in supplier_file.rows)
    if count == 0:
        raise SupplierFileError(NO_DATA_ROWS)
    return supplier_file.headers, count


def import_supplier_file(
    workflow: Workflow,
    path: Path | str,
    name: str | None = None,
    media_dir: Path | str | None = None,
    created_by=None,
) -> SupplierJob:
    """The one way a supplier job is made (admin upload, API, command): read the file, store its rows
    in batches, map its columns, collect the distinct values of select-like columns for mapping.

    Here in the caller's process (the command, the tests); uploads go through ``start_import``,
    which does the same in a background run. Media cells that name files are looked up in
    ``media_dir`` (default: the file's own folder). Raises ``SupplierFileError`` (nothing is kept)
    for a file that cannot be a supplier file.
    """
    job = new_job(workflow, path, name, media_dir, created_by)
    try:
        fill_job(job, path)
    except SupplierFileError:
        job.delete()
        raise
    job.refresh_from_db()
    return job


def new_job(
    workflow: Workflow,
    path: Path | str,
    name: str | None = None,
    media_dir: Path | str | None = None,
    created_by=None,
) -> SupplierJob:
    """The job of a file about to be read, in the "importing" state; its first row is checked now."""
    # The file type, the limits checked before reading, the column names, one data row at least:
    # what refuses most bad files at once, before the background reads the rest.
    if next(open_supplier_file(path).rows, None) is None:
        raise SupplierFileError(NO_DATA_ROWS)
    return SupplierJob.objects.create(
        workflow=workflow,
        name=name or Path(path).name,
        source_filename=Path(path).name,
        media_dir=str(Path(media_dir or Path(path).parent).resolve()),
        created_by=created_by,
        status=SupplierJob.Status.IMPORTING,
    )


def fill_job(job: SupplierJob, path: Path | str, progress=None) -> None:
    """Read the file into ``job``: columns, rows, values to map.

    Rows are written a batch per transaction, so other requests (a supplier polling its status)
    never wait for a whole import; the job stays "importing", which nothing acts on, until the
    last batch is in. On a refusal its rows are removed and ``SupplierFileError`` is raised.
    """
    from .value_mapping import collect_values  # value mapping builds on this module

    supplier_file = open_supplier_file(path)
    _clear(job)  # a rerun after a killed import starts over: nothing of the first attempt is kept
    try:
        columns = auto_map(job.workflow, supplier_file.headers)
        for column in columns:
            column.job = job
        JobColumn.objects.bulk_create(columns)
        id_position = identifier_position(job.workflow, columns)
        batch: list[JobRow] = []
        count = 0
        for count, cells in enumerate(supplier_file.rows, start=1):
            cells = _cells(cells, len(columns))
            batch.append(
                JobRow(job=job, line=count, values=cells, identifier=_identifier(cells, id_position))
            )
            if len(batch) >= ROW_BATCH:
                JobRow.objects.bulk_create(batch)
                batch = []
                if progress is not None:
                    progress.advance(ROW_BATCH)
                    progress.checkpoint()
        if count == 0:
            raise SupplierFileError(NO_DATA_ROWS)
        JobRow.objects.bulk_create(batch)
        if progress is not None:
            progress.advance(len(batch))
        job.row_count = count
        collect_values(job)
    except BaseException:
        _clear(job)
        raise
    SupplierJob.objects.filter(pk=job.pk).update(row_count=count, status=SupplierJob.Status.IMPORTED)
    job.status = SupplierJob.Status.IMPORTED


def _clear(job: SupplierJob) -> None:
    JobRow.objects.filter(job=job).delete()
    JobColumn.objects.filter(job=job).delete()


def start_import(
    workflow: Workflow,
    path: Path | str,
    name: str | None = None,
    created_by=None,
    user=None,
    trigger: str = RunTrigger.MANUAL,
) -> SupplierJob:
    """An uploaded file, imported by a background run (progress on the run, never a web worker's
    time); returns its job at once, in the "importing" state."""
    from connector.runs import start_run

    from .tasks import JOB_IMPORT

    job = new_job(workflow, path, name, created_by=created_by)
    start_run(JOB_IMPORT, job, user=user, trigger=trigger, params={"path": str(path)})
    job.refresh_from_db()
    return job


def duplicate_identifiers(job: SupplierJob) -> dict[str, list[int]]:
    """Identifiers found on more than one row of the file → their lines (one query)."""
    repeated = (
        job.rows.exclude(identifier="")
        .values("identifier")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("identifier", flat=True)
    )
    lines: dict[str, list[int]] = {}
    for identifier, line in (
        job.rows.filter(identifier__in=repeated).order_by("line").values_list("identifier", "line")
    ):
        lines.setdefault(identifier, []).append(line)
    return lines


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
    """An uploaded file, copied in chunks into its own folder under UPLOAD_ROOT (name and size
    checked first, the size again while copying); nothing is left behind when it is refused."""
    name = Path(upload.name or "supplier.csv").name
    check_file_name(name)
    check_file_size(upload.size or 0)
    target = upload_folder(folder_name) / name
    written = 0
    try:
        with target.open("wb") as out:
            for chunk in upload.chunks():
                written += len(chunk)
                check_file_size(written)
                out.write(chunk)
    except BaseException:
        discard_upload(target)
        raise
    return target


def discard_upload(path: Path | str) -> None:
    """Remove a refused upload and its own folder (only ever a folder under UPLOAD_ROOT)."""
    from django.conf import settings

    path = Path(path)
    root = Path(settings.UPLOAD_ROOT).resolve()
    folder = path.parent.resolve()
    if root in folder.parents:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def import_uploaded_file(workflow: Workflow, upload, name: str | None = None, created_by=None) -> SupplierJob:
    """A file uploaded in the admin: stored, checked, then imported in the background."""
    target = store_upload(upload, f"{workflow.pk}-{uuid.uuid4().hex[:12]}")
    try:
        return start_import(workflow, target, name or upload.name, created_by=created_by, user=created_by)
    except SupplierFileError:
        discard_upload(target)
        raise


def attribute_choices(workflow: Workflow) -> list[tuple[str, str]]:
    """The SDM attributes a column may be mapped to, in words: "Name (en_US) · name-en_US"."""
    rows = SdmAttribute.objects.filter(workflow=workflow).order_by("position", "code")
    return [
        (code, f"{(labels or {}).get('en_US') or next(iter((labels or {}).values()), code)} · {code}")
        for code, labels in rows.values_list("code", "labels")
    ]


def column_mapping_problems(workflow: Workflow, columns: list[tuple[str, str, str]]) -> list[str]:
    """Why a set of (header, role, SDM attribute) cannot be saved; empty when it can.

    A column maps to an SDM attribute of the workflow's last sync, or has one of the documented
    roles; no two columns may fill the same attribute or the same role.
    """
    known = set(SdmAttribute.objects.filter(workflow=workflow).values_list("code", flat=True))
    roles = set(JobColumn.Role.values)
    problems, taken = [], {}
    for header, role, sdm_attribute in columns:
        if role not in roles:
            problems.append(f"Column '{header}': '{role}' is not a column role.")
        elif role == JobColumn.Role.ATTRIBUTE:
            if not sdm_attribute:
                problems.append(f"Column '{header}': choose the SDM attribute it fills.")
            elif sdm_attribute not in known:
                problems.append(
                    f"Column '{header}': '{sdm_attribute}' is not an SDM attribute of workflow "
                    f"'{workflow}' (as of its last sync)."
                )
        elif sdm_attribute:
            problems.append(
                f"Column '{header}': only a column in the 'SDM attribute' role names an attribute."
            )
        slot = sdm_attribute if role == JobColumn.Role.ATTRIBUTE else role
        if role != JobColumn.Role.IGNORED and slot:
            if slot in taken:
                problems.append(f"Columns '{taken[slot]}' and '{header}' both fill {slot}: keep one.")
            taken.setdefault(slot, header)
    return problems


def refresh_after_mapping(job: SupplierJob) -> None:
    """After the columns were remapped: the rows' identifiers and the values to map follow."""
    from .value_mapping import collect_values

    columns = list(job.columns.all())
    position = identifier_position(job.workflow, columns)
    for rows in in_pages(job.rows.only("pk", "values", "identifier"), ROW_BATCH):
        changed = []
        for row in rows:
            identifier = _identifier(row.values, position)
            if identifier != row.identifier:
                row.identifier = identifier
                changed.append(row)
        JobRow.objects.bulk_update(changed, ["identifier"])
    collect_values(job)
