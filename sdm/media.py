"""Media cells of supplier rows: files or URLs, uploaded once per content to the PIM's media files.

A cell holds an http(s) URL (downloaded, streamed to a temporary file) or a file name relative to
the job's media folder. Files are hashed; a content already uploaded to this PIM reuses its media
file code (set through the product batch), so a re-push never uploads the same bytes again.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from connector.akeneo import AkeneoClient, AkeneoError
from connector.akeneo.parallel import ordered_map

from .models import MediaFile, SupplierJob
from .url_fetch import FetchRefused, check_content, fetch

CHUNK = 64 * 1024


class MediaError(Exception):
    pass


@dataclass(frozen=True)
class MediaCell:
    attribute: str
    scope: str | None
    locale: str | None
    source: str
    image: bool = False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve(job: SupplierJob, source: str, scratch: Path, *, image: bool = False) -> Path:
    """The local file of a media cell: downloaded through the guarded fetcher, or in the media folder."""
    if "://" in source:
        try:
            return fetch(source, scratch, image=image)
        except FetchRefused as exc:
            raise MediaError(f"{_shown(source)} not used: {exc}") from None
        except OSError as exc:
            raise MediaError(f"{_shown(source)} not used: {exc.strerror or type(exc).__name__}") from None
    if not job.media_dir:
        raise MediaError(f"'{_shown(source)}' is a file name, and this job has no media folder")
    base = Path(job.media_dir).resolve()
    try:
        path = (base / source).resolve()
    except (OSError, ValueError):
        raise MediaError(f"'{_shown(source)}' is not a usable file name") from None
    if base not in path.parents:
        raise MediaError(f"'{_shown(source)}' is outside the job's media folder")
    if not path.is_file():
        raise MediaError(f"file '{_shown(source)}' not found in the job's media folder")
    try:
        check_content(path, image=image)
    except FetchRefused as exc:
        raise MediaError(f"'{_shown(source)}' not used: {exc}") from None
    return path


def _shown(source: str) -> str:
    return source if len(source) <= 200 else source[:200] + "…"


class MediaUploader:
    """Uploads media of pushed products, once per content and PIM."""

    def __init__(self, job: SupplierJob, client: AkeneoClient):
        self.job = job
        self.client = client
        self.connection = job.workflow.connection

    def attach_many(self, products: list[tuple[str, list[MediaCell]]]) -> dict[str, tuple[dict, list[str]]]:
        """Upload what is new for a batch of products, side by side (the call budget); returns per
        product (values to set with known codes, error messages).

        Files are checked and looked up here; only the uploads run in worker threads, one per new
        content: a product whose file another product of the batch uploads gets that code as a value.
        """
        answers: dict[str, tuple[dict, list[str]]] = {identifier: ({}, []) for identifier, _ in products}
        uploads: dict[str, _Upload] = {}  # sha256 → the first product cell with that new content
        followers: list[tuple[str, MediaCell, str]] = []
        with tempfile.TemporaryDirectory(prefix="sdm-media-") as scratch:
            for identifier, cells in products:
                for cell in cells:
                    try:
                        path = resolve(self.job, cell.source, Path(scratch), image=cell.image)
                        digest = sha256_of(path)
                    except MediaError as exc:
                        answers[identifier][1].append(f"{cell.attribute}: {exc}")
                        continue
                    if digest in uploads:
                        followers.append((identifier, cell, digest))
                    else:
                        uploads[digest] = _Upload(identifier, cell, path)
            known = dict(
                MediaFile.objects.filter(
                    connection=self.connection, kind="media", sha256__in=list(uploads)
                ).values_list("sha256", "pim_code")
            )
            new = [(digest, upload) for digest, upload in uploads.items() if digest not in known]
            codes = dict(known)
            for (digest, upload), outcome in zip(
                new, ordered_map(self._upload, [u for _, u in new], self.client.concurrency), strict=True
            ):
                if isinstance(outcome, AkeneoError):
                    answers[upload.identifier][1].append(f"{upload.cell.attribute}: {outcome}")
                    continue
                codes[digest] = outcome
                MediaFile.objects.get_or_create(
                    connection=self.connection,
                    kind="media",
                    sha256=digest,
                    defaults={"pim_code": outcome, "original_name": upload.path.name},
                )
        for digest, upload in uploads.items():
            if digest in known:
                _add_value(answers[upload.identifier][0], upload.cell, known[digest])
        for identifier, cell, digest in followers:
            if digest in codes:
                _add_value(answers[identifier][0], cell, codes[digest])
            else:
                answers[identifier][1].append(f"{cell.attribute}: the upload of the same file failed")
        return answers

    def _upload(self, upload: _Upload) -> str | AkeneoError:
        """A worker thread's part: one upload, the file set on its product's value by the PIM."""
        owner = {
            "identifier": upload.identifier,
            "attribute": upload.cell.attribute,
            "scope": upload.cell.scope,
            "locale": upload.cell.locale,
        }
        try:
            return self.client.upload_media_file(upload.path, product=owner)
        except AkeneoError as exc:
            return exc


@dataclass(frozen=True)
class _Upload:
    identifier: str
    cell: MediaCell
    path: Path


def _add_value(values: dict[str, list[dict]], cell: MediaCell, code: str) -> None:
    values.setdefault(cell.attribute, []).append({"locale": cell.locale, "scope": cell.scope, "data": code})


class AssetMaker:
    """Asset collection cells: one asset per distinct content, created in the asset family once."""

    def __init__(self, job: SupplierJob, client: AkeneoClient):
        from connector.models import AssetFamily

        self.job = job
        self.client = client
        self.connection = job.workflow.connection
        self.main_media = dict(
            AssetFamily.objects.live()
            .filter(connection=self.connection)
            .values_list("code", "attribute_as_main_media")
        )

    def asset_codes(self, family: str, sources: list[str]) -> list[str]:
        """Asset codes for the files or URLs of one cell (raises ``MediaError``)."""
        if family not in self.main_media or not self.main_media[family]:
            raise MediaError(f"asset family '{family}' has no main media attribute in the last sync")
        codes = []
        with tempfile.TemporaryDirectory(prefix="sdm-assets-") as scratch:
            for source in sources:
                path = resolve(self.job, source, Path(scratch))
                digest = sha256_of(path)
                kind = f"asset:{family}"
                known = MediaFile.objects.filter(connection=self.connection, kind=kind, sha256=digest).first()
                if known is not None:
                    codes.append(known.pim_code)
                    continue
                try:
                    media_code = self.client.upload_asset_media_file(path)
                    code = f"sdm_{digest[:24]}"
                    value = [{"locale": None, "channel": None, "data": media_code}]
                    [answer] = self.client.patch_list(
                        f"asset-families/{family}/assets",
                        [{"code": code, "values": {self.main_media[family]: value}}],
                    )
                except AkeneoError as exc:
                    raise MediaError(f"asset not created: {exc}") from None
                if int(answer.get("status_code", 0)) not in (201, 204):
                    raise MediaError(f"asset not created: {answer.get('message') or answer}")
                MediaFile.objects.get_or_create(
                    connection=self.connection,
                    kind=kind,
                    sha256=digest,
                    defaults={"pim_code": code, "original_name": path.name},
                )
                codes.append(code)
        return codes
