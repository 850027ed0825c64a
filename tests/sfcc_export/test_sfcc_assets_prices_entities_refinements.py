"""SFCC export part 2: images and assets, pricebooks, entities, record grouping, refinements."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.utils import timezone
from lxml import etree

from connector.models import ReferenceEntityRecord, RunStatus
from connector.runs import start_run
from connector.sandbox import FakeAkeneo
from sfcc_export.entities import record_labels
from sfcc_export.models import SavedRefinements
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import make_profile
from tests.sfcc_xsd import SAFE_PARSER, assert_archive_valid, require_xsds

pytestmark = pytest.mark.django_db
C = {"c": "http://www.demandware.com/xml/impex/catalog/2006-10-31"}
L = {"l": "http://www.demandware.com/xml/impex/library/2006-10-31"}
M = {"m": "http://www.demandware.com/xml/impex/metadata/2006-10-31"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
VIEW_TYPES = {"large": ["main_image", "packshots"], "small": ["thumbnail"]}


@pytest.fixture
def pim(sandbox_catalog_factory):
    with FakeAkeneo(sandbox_catalog_factory(products=60, seed=11)) as server:
        yield server


@pytest.fixture(autouse=True)
def media_cache(settings, tmp_path):
    settings.MEDIA_CACHE_ROOT = tmp_path / "media-cache"


def export(profile, job: str, mode: str = "full", status=RunStatus.DONE, **params):
    require_xsds()
    run = start_run(EXPORT, profile, params={"job": job, "mode": mode, **params}, inline=True)
    assert run.status == status, run.error
    return run


def archive_members(run) -> dict[str, bytes]:
    archive = Path(run.result["archive"])
    assert_archive_valid(archive)
    with zipfile.ZipFile(archive) as bundle:
        return {
            name.split("/", 1)[1]: bundle.read(name) for name in bundle.namelist() if not name.endswith("/")
        }


def media_requests(pim) -> int:
    return pim.count("GET", "/api/rest/v1/media-files") + pim.count("GET", "/api/rest/v1/asset-media-files")


def test_the_assets_job_packs_each_image_once_and_never_downloads_it_again(pim, tmp_path):
    profile = make_profile(pim, tmp_path, image_view_types=VIEW_TYPES)
    pim.clear_requests()

    run = export(profile, "assets")

    members = archive_members(run)
    catalog = etree.fromstring(members["catalogs/akeneo-master/catalog.xml"], SAFE_PARSER)
    view_types = [v.text for v in catalog.iterfind("c:header/c:image-settings/c:view-types/c:view-type", C)]
    assert view_types == ["large", "small"]
    assert catalog.find("c:header/c:image-settings/c:internal-location", C).get("base-path") == "/images"
    paths = [i.get("path") for i in catalog.iterfind(".//c:image", C)]
    assert paths and run.result["counts"]["images"] == len(paths)
    static = {n.rsplit("/", 1)[1] for n in members if "/static/default/images/" in n}
    assert set(paths) == static  # every image is in the archive, under its content hash
    products = catalog.findall("c:product", C)
    assert all(
        p.find("c:custom-attributes", C) is None for p in products
    )  # the assets job alone: images only
    assert any(p.find(".//c:image-group[@view-type='small']", C) is not None for p in products)
    # a 2-level master: its sub-models' own images as groups for their color, the root's as fallback
    selectors = {
        (v.get("attribute-id"), v.get("value"))
        for v in catalog.iterfind("c:product/c:images/c:image-group/c:variation", C)
    }
    assert selectors and {attribute for attribute, _ in selectors} == {"akeneo_color"}
    downloads = media_requests(pim)
    assert downloads == run.result["counts"]["media_downloaded"] == len(static)

    pim.clear_requests()
    again = export(profile, "assets")
    assert media_requests(pim) == 0 and "media_downloaded" not in again.result["counts"]
    assert {
        i.get("path")
        for i in etree.fromstring(
            archive_members(again)["catalogs/akeneo-master/catalog.xml"], SAFE_PARSER
        ).iterfind(".//c:image", C)
    } == set(paths)


def test_the_pricebook_job_alone_writes_one_pricebook_per_currency(pim, tmp_path):
    profile = make_profile(pim, tmp_path)
    run = export(profile, "pricebook")
    members = archive_members(run)
    assert sorted(n for n in members if n.endswith(".xml")) == [
        "pricebooks/EUR-list-prices.xml",
        "pricebooks/USD-list-prices.xml",
    ]
    assert run.result["counts"]["price_tables"] > 0


def test_entities_become_content_assets_and_record_grouping_an_attribute_group(pim, tmp_path):
    profile = make_profile(pim, tmp_path, reference_entities=["brand"], site_id="RefArch")
    run = export(profile, "entities")
    library = etree.fromstring(archive_members(run)["libraries/RefArch/library.xml"], SAFE_PARSER)
    records = ReferenceEntityRecord.objects.filter(entity_code="brand", deleted_at__isnull=True)
    contents = {c.get("content-id"): c for c in library.iterfind("l:content", L)}
    assert set(contents) == {f"akeneo_brand_{r.code}" for r in records}
    assert [f.get("folder-id") for f in library.iterfind("l:folder", L)] == ["akeneo_entity_brand"]
    record = records.first()
    content = contents[f"akeneo_brand_{record.code}"]
    names = {n.get(XML_LANG): n.text for n in content.iterfind("l:display-name", L)}
    assert names["x-default"] == record_labels(record)["en_US"] and "fr-FR" in names
    assert "<dl>" in content.find("l:custom-attributes/l:custom-attribute[@attribute-id='body']", L).text
    assert content.find("l:folder-links/l:folder-link", L).get("folder-id") == "akeneo_entity_brand"
    assert run.result["counts"]["content_assets"] == records.count()

    grouping = export(profile, "record-grouping")
    meta = etree.fromstring(archive_members(grouping)["meta/system-objecttype-extensions.xml"], SAFE_PARSER)
    group = meta.find(".//m:attribute-group[@group-id='AkeneoRecords']", M)
    assert [a.get("attribute-id") for a in group.iterfind("m:attribute", M)] == ["akeneo_brandRecords"]
    values = [
        v.text
        for v in meta.iterfind(".//m:attribute-definition[@attribute-id='akeneo_brandRecords']//m:value", M)
    ]
    assert sorted(values) == sorted(r.code for r in records)


REFINEMENTS_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<catalog xmlns="http://www.demandware.com/xml/impex/catalog/2006-10-31" catalog-id="akeneo-storefront">
  <category category-id="men">
    <display-name xml:lang="x-default">Men</display-name>
    <refinement-definitions>
      <refinement-definition type="attribute" bucket-type="none" attribute-id="akeneo_color">
        <display-name xml:lang="x-default">Colour</display-name>
        <value-set>search-result</value-set>
        <sort-mode>value-name</sort-mode>
        <sort-direction>ascending</sort-direction>
        <cutoff-threshold>5</cutoff-threshold>
      </refinement-definition>
    </refinement-definitions>
  </category>
  <category category-id="women"><display-name xml:lang="x-default">Women</display-name></category>
</catalog>
"""


def test_saved_refinements_are_written_back_by_every_storefront_export(pim, tmp_path):
    profile = make_profile(pim, tmp_path)
    source = tmp_path / "storefront-export.xml"
    source.write_bytes(REFINEMENTS_EXPORT)

    saved = export(profile, "refinements", file=str(source))

    assert saved.result["categories"] == ["men"]
    assert SavedRefinements.objects.filter(profile=profile).count() == 1
    run = export(profile, "storefront")
    storefront = etree.fromstring(archive_members(run)["catalogs/akeneo-storefront/catalog.xml"], SAFE_PARSER)
    men = storefront.find("c:category[@category-id='men']", C)
    definition = men.find("c:refinement-definitions/c:refinement-definition", C)
    assert definition.get("attribute-id") == "akeneo_color"
    assert storefront.find("c:category[@category-id='women']/c:refinement-definitions", C) is None


def test_an_unreadable_refinements_file_fails_the_run_and_keeps_what_was_saved(pim, tmp_path):
    profile = make_profile(pim, tmp_path)
    good = tmp_path / "good.xml"
    good.write_bytes(REFINEMENTS_EXPORT)
    export(profile, "refinements", file=str(good))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><catalog>&e;')

    failed = export(profile, "refinements", status=RunStatus.FAILED, file=str(bad))

    assert "declares a DTD" in failed.error and "Nothing saved was changed" in failed.error
    assert SavedRefinements.objects.filter(profile=profile).count() == 1


def refinements_file(tmp_path, body: str, name="export.xml", root='<catalog xmlns="{ns}" catalog-id="s">'):
    path = tmp_path / name
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + root.format(ns=C["c"]) + body + "</catalog>")
    return path


def one_category(definitions: str) -> str:
    inner = f"<refinement-definitions>{definitions}</refinement-definitions>"
    return f'<category category-id="men">{inner}</category>'


GOOD_DEFINITION = (
    '<refinement-definition type="attribute" bucket-type="none" attribute-id="akeneo_color">'
    '<display-name xml:lang="x-default">Colour</display-name></refinement-definition>'
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE catalog [<!ENTITY c "Colour">]>'
            f'<catalog xmlns="{C["c"]}">'
            + one_category(
                '<refinement-definition type="attribute" attribute-id="a"><display-name>&c;</display-name>'
                "</refinement-definition>"
            )
            + "</catalog>",
            "declares a DTD",
        ),
        (
            '<?xml version="1.0"?><catalog xmlns="http://www.demandware.com/xml/impex/catalog/2099-01-01">'
            + one_category(GOOD_DEFINITION)
            + "</catalog>",
            "This is not an SFCC catalog export",
        ),
        (
            f'<?xml version="1.0"?><catalog xmlns="{C["c"]}" xmlns:xi="http://www.w3.org/2001/XInclude">'
            + one_category(GOOD_DEFINITION + '<xi:include href="file:///etc/passwd" parse="text"/>')
            + "</catalog>",
            "<include> of the namespace 'http://www.w3.org/2001/XInclude' is not part of a catalog",
        ),
        ("", "not well-formed XML"),
    ],
    ids=["internal-entity", "wrong-namespace", "xinclude", "empty"],
)
def test_hostile_refinements_are_refused_and_keep_what_was_saved(pim, tmp_path, content, message):
    profile = make_profile(pim, tmp_path)
    good = tmp_path / "good.xml"
    good.write_bytes(REFINEMENTS_EXPORT)
    export(profile, "refinements", file=str(good))
    bad = tmp_path / "bad.xml"
    bad.write_text(content)

    failed = export(profile, "refinements", status=RunStatus.FAILED, file=str(bad))

    assert message in failed.error
    assert list(SavedRefinements.objects.filter(profile=profile).values_list("category_id", flat=True)) == [
        "men"
    ]
    # ... and the next storefront export still works, with what was saved.
    run = export(profile, "storefront")
    assert b"akeneo_color" in archive_members(run)["catalogs/akeneo-storefront/catalog.xml"]


def test_an_export_without_definitions_clears_the_saved_ones_only_when_confirmed(pim, tmp_path):
    profile = make_profile(pim, tmp_path)
    good = tmp_path / "good.xml"
    good.write_bytes(REFINEMENTS_EXPORT)
    export(profile, "refinements", file=str(good))
    none = refinements_file(tmp_path, '<category category-id="men"/>', name="none.xml")

    refused = export(profile, "refinements", status=RunStatus.FAILED, file=str(none))
    assert "has no refinement definitions; the 1 saved categories are kept" in refused.error
    assert "--confirm-empty" in refused.error
    assert SavedRefinements.objects.filter(profile=profile).count() == 1

    export(profile, "refinements", file=str(none), confirm_empty=True)
    assert not SavedRefinements.objects.filter(profile=profile).exists()


def test_a_saved_definition_that_no_longer_parses_is_left_out_instead_of_failing_exports(pim, tmp_path):
    profile = make_profile(pim, tmp_path)
    SavedRefinements.objects.create(
        profile=profile,
        category_id="men",
        definitions=f'<refinement-definitions xmlns="{C["c"]}">&bad;</x>',
        saved_at=timezone.now(),
    )

    run = export(profile, "storefront")

    assert b"refinement-definitions" not in archive_members(run)["catalogs/akeneo-storefront/catalog.xml"]


def test_a_differential_assets_run_exports_the_products_whose_assets_changed(pim, tmp_path):
    from connector.akeneo import AkeneoClient
    from connector.sandbox import SANDBOX_CREDENTIALS

    profile = make_profile(pim, tmp_path, image_view_types={"large": ["packshots"]})
    export(profile, "assets")
    with AkeneoClient(pim.base_url, **SANDBOX_CREDENTIALS) as client:
        linked = [
            p
            for p in client.iter_products()
            if p["enabled"] and (p["values"].get("packshots") or [{}])[0].get("data")
        ]
        asset = linked[0]["values"]["packshots"][0]["data"][0]
        client.patch(
            f"asset-families/packshots/assets/{asset}",
            {"values": {"alt_text": [{"locale": "en_US", "channel": None, "data": "A new alt text"}]}},
        )
    users = {p["values"]["sku"][0]["data"] for p in linked if asset in p["values"]["packshots"][0]["data"]}

    run = export(profile, "assets", mode="differential")

    catalog = etree.fromstring(archive_members(run)["catalogs/akeneo-master/catalog.xml"], SAFE_PARSER)
    exported = {p.get("product-id") for p in catalog.iterfind("c:product", C)}
    assert users and exported == users  # only the products showing that asset
    assert all(p.find("c:images", C) is not None for p in catalog.iterfind("c:product", C))
