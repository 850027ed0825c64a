"""The `assets` job's images: PIM image and asset attributes → SFCC image groups per view type.

PIM media keys name one content for ever, so each key is downloaded once per connection and kept
by content hash (``MediaFile``); a later run, any profile, finds it there and downloads nothing.
Keys are resolved a page at a time: one query for the page's known keys, downloads for the rest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils import timezone

from connector.akeneo import AkeneoClient, DownloadResult
from connector.akeneo.parallel import ordered_map
from connector.models import AssetFamily, Attribute

from .models import ExportProfile, MediaFile
from .spool import Spool
from .writers.catalog import ImageGroup

IMAGE_TYPES = {"pim_catalog_image"}
ASSET_TYPE = "pim_catalog_asset_collection"
STATIC_IMAGES = PurePosixPath("static/default/images")
BASE_PATH = "/images"


@dataclass(frozen=True)
class MediaRef:
    key: str
    from_asset: bool


class ImageResolver:
    def __init__(
        self,
        profile: ExportProfile,
        client: AkeneoClient,
        spool: Spool,
        static_folder: Path | None,
        progress,
        count: Callable[[str, int], None],
    ):
        self.profile = profile
        self.client = client
        self.spool = spool
        self.static_folder = static_folder  # None: images referenced by URL, nothing packed
        self.progress = progress
        self.count = count
        codes = {code for codes in profile.image_view_types.values() for code in codes}
        attributes = Attribute.objects.live().filter(connection=profile.connection, code__in=codes)
        self.kinds = {a.code: a.type for a in attributes}
        self.asset_family_of = {
            a.code: a.reference_data_name or (a.raw or {}).get("reference_data_name") or ""
            for a in attributes
            if a.type == ASSET_TYPE
        }
        unusable = sorted(codes - {c for c, t in self.kinds.items() if t in IMAGE_TYPES or t == ASSET_TYPE})
        if unusable:
            progress.warning(
                f"Image view types name attributes that are not images or assets: {', '.join(unusable)}."
            )
        self.default_locale = next(
            (pim for pim, sfcc in profile.locale_mapping.items() if sfcc == "x-default"), None
        )
        self.names: dict[str, str] = {}  # media key → file name in SFCC, for the page being written

    # --------------------------------------------------------------- asset index
    def load_assets(self, changed_since=None, see: Callable[[dict], None] = lambda item: None) -> list[str]:
        """Spool each asset's main media key; returns the codes updated since ``changed_since``."""
        changed = []
        main_media = dict(
            AssetFamily.objects.live()
            .filter(connection=self.profile.connection, code__in=set(self.asset_family_of.values()))
            .values_list("code", "attribute_as_main_media")
        )
        families = sorted(main_media)

        def listing(family: str) -> list[tuple[str, str | None, str | None]]:
            """(code, main media key, updated) of a family's assets: small, whatever the values hold."""
            return [
                (
                    asset["code"],
                    self._pick(asset.get("values", {}).get(main_media[family]) or [], "channel"),
                    asset.get("updated"),
                )
                for asset in self.client.paginate(f"asset-families/{family}/assets")
            ]

        for family, assets in zip(families, ordered_map(listing, families, self._workers()), strict=True):
            for code, _, stamp in assets:
                if changed_since and stamp and stamp > changed_since.isoformat():
                    changed.append(code)
                see(
                    {"updated": stamp}
                )  # asset dates move the watermark too: the next run compares against them
            self.spool.add_assets((family, code, key) for code, key, _ in assets)
        return changed

    def _pick(self, entries: list[dict], scope_key: str) -> str | None:
        """The value for the profile's channel and x-default locale (or unlocalized, unscoped)."""
        best = None
        for entry in entries:
            if entry.get(scope_key) not in (None, self.profile.channel):
                continue
            if entry.get("locale") in (None, self.default_locale) and entry.get("data"):
                if entry.get("locale") is None or best is None:
                    best = entry["data"]
        return best

    # -------------------------------------------------------------------- groups
    def references(self, values: dict) -> dict[str, list[MediaRef]]:
        """view type → the media of an item, in the order the profile lists the attributes."""
        groups: dict[str, list[MediaRef]] = {}
        for view_type, codes in self.profile.image_view_types.items():
            refs: list[MediaRef] = []
            for code in codes:
                kind = self.kinds.get(code)
                if kind in IMAGE_TYPES:
                    key = self._pick(values.get(code) or [], "scope")
                    if key:
                        refs.append(MediaRef(key, False))
                elif kind == ASSET_TYPE:
                    assets = self._pick(values.get(code) or [], "scope") or []
                    family = self.asset_family_of.get(code, "")
                    for asset_code in assets:
                        key = self.spool.asset_media(family, asset_code)
                        if key:
                            refs.append(MediaRef(key, True))
            if refs:
                groups[view_type] = list(dict.fromkeys(refs))
        return groups

    def prepare(self, items: Iterable[dict]) -> None:
        """Make sure every medium of these items has a file name (downloading what is new)."""
        wanted: dict[str, MediaRef] = {}
        for item in items:
            for refs in self.references(item.get("values") or {}).values():
                for ref in refs:
                    wanted.setdefault(ref.key, ref)
        self.names = {}  # one page at a time, so memory does not grow with the catalog
        missing = list(wanted)
        if not missing:
            return
        if self.profile.images_by_url:
            self.names.update({key: PurePosixPath(key).name for key in missing})
            return
        known = {
            media.pim_key: media
            for media in MediaFile.objects.filter(connection=self.profile.connection, pim_key__in=missing)
        }
        new = []
        absent = [key for key in missing if key not in known or not self._cached(known[key]).is_file()]
        # Downloads run side by side (the connection's call budget); files are named in page order.
        fetched = dict(
            zip(absent, ordered_map(self._fetch, [wanted[k] for k in absent], self._workers()), strict=True)
        )
        for key in missing:
            media = known.get(key)
            if key in fetched:
                media = self._downloaded(wanted[key], fetched[key])
                if media is None:
                    continue
                if key in known:
                    known[key].delete()
                new.append(media)
            self.names[key] = media.file_name
            self._pack(media)
        MediaFile.objects.bulk_create(new, ignore_conflicts=True)

    def groups(self, values: dict) -> list[ImageGroup]:
        return [
            ImageGroup(view_type, [self.names[ref.key] for ref in refs if ref.key in self.names])
            for view_type, refs in self.references(values).items()
            if any(ref.key in self.names for ref in refs)
        ]

    # --------------------------------------------------------------------- files
    def _cache_root(self) -> Path:
        return Path(settings.MEDIA_CACHE_ROOT) / str(self.profile.connection_id)

    def _cached(self, media: MediaFile) -> Path:
        return self._cache_root() / media.sha256[:2] / media.file_name

    def _workers(self) -> int:
        return getattr(self.client, "concurrency", 1)

    def _fetch(self, ref: MediaRef) -> DownloadResult | str:
        """A worker thread's part: the download alone. A permanent refusal comes back as its message."""
        from connector.akeneo import AkeneoError

        # Keys of different folders can share a file name: the partial file is named by the whole key.
        unique = hashlib.sha256(ref.key.encode()).hexdigest()[:16]
        partial = self._cache_root() / "incoming" / f"{unique}-{PurePosixPath(ref.key).name}"
        try:
            if ref.from_asset:
                return self.client.download_asset_media_file(ref.key, partial)
            return self.client.download_media_file(ref.key, partial)
        except AkeneoError as exc:
            if not exc.permanent:
                raise
            return exc.message

    def _downloaded(self, ref: MediaRef, result: DownloadResult | str) -> MediaFile | None:
        if isinstance(result, str):
            self.progress.warning(f"Image {ref.key} left out: {result}")
            return None
        extension = PurePosixPath(ref.key).suffix.lower()[:10]
        media = MediaFile(
            connection=self.profile.connection,
            pim_key=ref.key,
            sha256=result.sha256,
            size=result.size,
            file_name=f"{result.sha256[:20]}{extension}",
            downloaded_at=timezone.now(),
        )
        target = self._cached(media)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(result.path, target)
        self.count("media_downloaded", 1)
        return media

    def _pack(self, media: MediaFile) -> None:
        if self.static_folder is None:
            return
        target = self.static_folder / media.file_name
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(self._cached(media), target)  # same disk: no copy
        except OSError:
            shutil.copyfile(self._cached(media), target)
