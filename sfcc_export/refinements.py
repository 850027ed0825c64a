"""The `refinements` job: keep the refinement definitions contributed by hand in the storefront catalog.

They are read from a catalog export (a file the user gives, or one downloaded from the instance's
WebDAV) and saved per category; every storefront export writes them back into its categories, so an
import in MERGE mode never loses them.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from lxml import etree

from .models import ExportProfile, SavedRefinements

NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
WEBDAV_PREFIX = "webdav:"


class RefinementsUnreadable(Exception):
    pass


def default_webdav_path(profile: ExportProfile) -> str:
    return f"Impex/src/instance/{profile.storefront_catalog_id}.xml"


def read_refinements(data: bytes) -> dict[str, str]:
    """category id → its <refinement-definitions> element, serialized, from a catalog export."""
    found: dict[str, str] = {}
    try:
        for _, category in etree.iterparse(
            io.BytesIO(data),
            events=("end",),
            tag=f"{{{NS}}}category",
            resolve_entities=False,
            no_network=True,
            huge_tree=True,
        ):
            definitions = category.find(f"{{{NS}}}refinement-definitions")
            if definitions is not None and len(definitions):
                found[category.get("category-id")] = etree.tostring(definitions, encoding="unicode")
            category.clear()
    except etree.XMLSyntaxError as exc:
        raise RefinementsUnreadable(f"The catalog export is not well-formed XML: {exc}") from None
    return found


def parse_saved(definitions: str) -> etree._Element:
    return etree.fromstring(definitions.encode(), SAFE_PARSER)


@transaction.atomic
def replace_saved(profile: ExportProfile, found: dict[str, str]) -> int:
    SavedRefinements.objects.filter(profile=profile).delete()
    now = timezone.now()
    SavedRefinements.objects.bulk_create(
        SavedRefinements(profile=profile, category_id=category, definitions=xml, saved_at=now)
        for category, xml in sorted(found.items())
    )
    return len(found)


def save_refinements(profile: ExportProfile, progress, *, source: str | None) -> dict:
    from connector.runs import RunFailed

    from .delivery import SfccError
    from .export import sfcc_client

    if source and not source.startswith(WEBDAV_PREFIX):
        path = Path(source)
        if not path.is_file():
            raise RunFailed(f"No catalog export file at {path}.")
        data, origin = path.read_bytes(), str(path)
    else:
        if not profile.can_deliver:
            raise RunFailed("Give a catalog export file, or set the profile's SFCC instance to download one.")
        remote = source[len(WEBDAV_PREFIX) :] if source else default_webdav_path(profile)
        try:
            with sfcc_client(profile) as client:
                data = client.download(remote)
        except SfccError as exc:
            raise RunFailed(f"Could not download {remote} from SFCC: {exc.message}") from None
        origin = f"{profile.instance_url} WebDAV {remote}"
    try:
        found = read_refinements(data)
    except RefinementsUnreadable as exc:
        raise RunFailed(str(exc)) from None
    count = replace_saved(profile, found)
    progress.count("refinements", count)
    progress.info(f"Saved the refinement definitions of {count} categories from {origin}.")
    return {
        "job": "refinements",
        "source": origin,
        "counts": {"refinements": count},
        "categories": sorted(found),
    }
