"""The `refinements` job: keep the refinement definitions contributed by hand in the storefront catalog.

They are read from a catalog export (a file the user gives, or one downloaded from the instance's
WebDAV) and saved per category; every storefront export writes them back into its categories, so an
import in MERGE mode never loses them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from lxml import etree

from .models import ExportProfile, SavedRefinements

NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
CATALOG = f"{{{NS}}}catalog"
CATEGORY = f"{{{NS}}}category"
DEFINITIONS = f"{{{NS}}}refinement-definitions"
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
WEBDAV_PREFIX = "webdav:"


class RefinementsUnreadable(Exception):
    pass


def default_webdav_path(profile: ExportProfile) -> str:
    return f"Impex/src/instance/{profile.storefront_catalog_id}.xml"


# Top-level elements of a catalog export, dropped once read so memory stays flat on a big file.
TOP_LEVEL = [CATEGORY] + [f"{{{NS}}}{name}" for name in ("category-assignment", "product", "recommendation")]


def read_refinements(path: Path | str) -> dict[str, str]:
    """category id → its <refinement-definitions> element, serialized, from a catalog export.

    Streamed (a storefront export can be hundreds of MB): each top-level element is dropped once
    read. What is kept is written back into every later export, so only plain catalog elements are
    accepted: no DTD, no entity, no element of another namespace (XInclude among them).
    """
    found: dict[str, str] = {}
    options = {"resolve_entities": False, "load_dtd": False, "no_network": True, "huge_tree": True}
    try:
        for _, root in etree.iterparse(str(path), events=("start",), **options):
            _check_document(root)  # the root element, and a DTD before it, are all this first pass reads
            break
        else:
            raise RefinementsUnreadable("The catalog export is empty.")
        for _, element in etree.iterparse(
            str(path), events=("end",), tag=TOP_LEVEL, remove_comments=True, remove_pis=True, **options
        ):
            parent = element.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # not directly under <catalog>
            if element.tag == CATEGORY:
                definitions = element.find(DEFINITIONS)
                if definitions is not None and len(definitions):
                    category = element.get("category-id")
                    if not category:
                        raise RefinementsUnreadable("A category with refinement definitions has no id.")
                    _check_fragment(definitions, category)
                    found[category] = etree.tostring(definitions, encoding="unicode")
            element.clear()
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise RefinementsUnreadable(f"The catalog export is not well-formed XML: {exc}") from None
    return found


def _check_document(root: etree._Element) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise RefinementsUnreadable(
            "The catalog export declares a DTD (<!DOCTYPE ...>). SFCC exports have none and entities are "
            "not read: remove it and try again."
        )
    if root.tag != CATALOG:
        found = etree.QName(root.tag)
        raise RefinementsUnreadable(
            f"This is not an SFCC catalog export: its root element is <{found.localname}> in the namespace "
            f"'{found.namespace or 'none'}', expected <catalog> in '{NS}'."
        )


def _check_fragment(definitions: etree._Element, category: str) -> None:
    for node in definitions.iter():
        if isinstance(node, etree._Entity):
            raise RefinementsUnreadable(
                f"Category {category}: an entity reference (&{node.name};) is not accepted."
            )
        if isinstance(node.tag, str) and etree.QName(node).namespace != NS:
            raise RefinementsUnreadable(
                f"Category {category}: the element <{etree.QName(node).localname}> of the namespace "
                f"'{etree.QName(node).namespace or 'none'}' is not part of a catalog and is not accepted."
            )


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


def save_refinements(
    profile: ExportProfile, progress, *, source: str | None, confirm_empty: bool = False
) -> dict:
    from connector.runs import RunFailed

    from .archive_delivery import sfcc_client
    from .delivery import SfccError

    with tempfile.TemporaryDirectory(prefix="sfcc-refinements-") as scratch:
        if source and not source.startswith(WEBDAV_PREFIX):
            path = Path(source)
            if not path.is_file():
                raise RunFailed(f"No catalog export file at {path}.")
            origin = str(path)
        else:
            if not profile.can_deliver:
                raise RunFailed(
                    "Give a catalog export file, or set the profile's SFCC instance to download one."
                )
            remote = source[len(WEBDAV_PREFIX) :] if source else default_webdav_path(profile)
            path = Path(scratch) / "catalog-export.xml"
            try:
                with sfcc_client(profile) as client:
                    client.download_to(remote, path)
            except SfccError as exc:
                raise RunFailed(f"Could not download {remote} from SFCC: {exc.message}") from None
            origin = f"{profile.instance_url} WebDAV {remote}"
        try:
            found = read_refinements(path)
        except RefinementsUnreadable as exc:
            raise RunFailed(f"{exc} Nothing saved was changed.") from None
    if not found and not confirm_empty:
        kept = SavedRefinements.objects.filter(profile=profile).count()
        raise RunFailed(
            f"{origin} has no refinement definitions; the {kept} saved categories are kept. To clear them, "
            "run the refinements job again with --confirm-empty."
        )
    count = replace_saved(profile, found)
    progress.count("refinements", count)
    progress.info(f"Saved the refinement definitions of {count} categories from {origin}.")
    return {
        "job": "refinements",
        "source": origin,
        "counts": {"refinements": count},
        "categories": sorted(found),
    }
