"""SFCC `master`, `storefront` and `all` jobs on the sandbox PIM: validity, content, differential runs."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from connector.akeneo import AkeneoClient
from connector.models import RunStatus
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo
from sfcc_export.attributes import custom_attribute_id
from sfcc_export.models import ExportedItem, ExportProfile
from sfcc_export.profiles import USUAL_SYSTEM_MAPPING
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import LOCALES, make_profile
from tests.sfcc_xsd import SAFE_PARSER, assert_archive_valid, require_xsds

pytestmark = pytest.mark.django_db
C = "{http://www.demandware.com/xml/impex/catalog/2006-10-31}"
NS = {"c": C[1:-1]}
PB = {"p": "http://www.demandware.com/xml/impex/pricebook/2006-10-31"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PRODUCTS_PATH = "/api/rest/v1/products-uuid"


def export(profile: ExportProfile, job: str = "all", mode: str = "full", status=RunStatus.DONE):
    require_xsds()
    run = start_run(EXPORT, profile, params={"job": job, "mode": mode}, inline=True)
    assert run.status == status, run.error
    return run


def catalogs(run) -> dict[str, etree._Element]:
    """The archive's documents by path inside the site folder, checked against the XSDs first."""
    archive = Path(run.result["archive"])
    assert assert_archive_valid(archive) == len(run.result["files"])
    with zipfile.ZipFile(archive) as bundle:
        return {
            name.split("/", 1)[1]: etree.fromstring(bundle.read(name), SAFE_PARSER)
            for name in bundle.namelist()
            if name.endswith(".xml")
        }


def products(document: etree._Element) -> dict[str, etree._Element]:
    return {p.get("product-id"): p for p in document.iterfind("c:product", NS)}


def client_for(pim: FakeAkeneo) -> AkeneoClient:
    return AkeneoClient(pim.base_url, **SANDBOX_CREDENTIALS)


def pim_products(pim: FakeAkeneo) -> list[dict]:
    with client_for(pim) as client:
        return list(client.iter_products())


def identifier(product: dict) -> str:
    return product["values"]["sku"][0]["data"]


@pytest.fixture
def pim(sandbox_catalog_factory):
    with FakeAkeneo(sandbox_catalog_factory(products=120, seed=7)) as server:
        yield server


def test_a_full_export_writes_a_valid_site_archive_with_masters_variants_groups_and_the_category_tree(
    pim, tmp_path
):
    profile = make_profile(pim, tmp_path)
    pim.clear_requests()

    run = export(profile)
    product_pages = pim.count("GET", PRODUCTS_PATH)
    model_pages = pim.count("GET", "/api/rest/v1/product-models")

    docs = catalogs(run)
    assert set(docs) == {
        "meta/system-objecttype-extensions.xml",
        "catalogs/akeneo-master/catalog.xml",
        "catalogs/akeneo-storefront/catalog.xml",
        "pricebooks/EUR-list-prices.xml",
        "pricebooks/USD-list-prices.xml",
    }
    every = pim_products(pim)
    enabled = [p for p in every if p["enabled"]]
    master = products(docs["catalogs/akeneo-master/catalog.xml"])
    models = {m["code"]: m for m in _pim_models(pim)}
    roots = {m["code"] for m in models.values() if not m["parent"]}
    exported_roots = {models[p["parent"]]["parent"] or p["parent"] for p in enabled if p["parent"]}
    assert set(master) == {identifier(p) for p in enabled} | exported_roots | {
        code for code, m in models.items() if m["parent"] in exported_roots
    }
    assert exported_roots <= roots
    counts = run.result["counts"]
    assert counts["products"] + counts["variants"] == len(enabled)
    assert counts["masters"] == len(exported_roots)

    for root in exported_roots:
        element = master[root]
        variant_ids = {v.get("product-id") for v in element.iterfind("c:variations/c:variants/c:variant", NS)}
        below = {code for code, m in models.items() if m["parent"] == root} | {root}
        assert variant_ids == {identifier(p) for p in enabled if p["parent"] in below}
        axes = [a.get("attribute-id") for a in element.iterfind(".//c:variation-attribute", NS)]
        groups = [g.get("product-id") for g in element.iterfind(".//c:variation-group", NS)]
        if models[root]["family_variant"] == "clothing_color_size":
            assert axes == ["akeneo_color", "akeneo_size"] and groups
            for group in groups:  # each variation group is a product carrying its level-1 axis value
                assert (
                    master[group].find(
                        "c:custom-attributes/c:custom-attribute[@attribute-id='akeneo_color']", NS
                    )
                    is not None
                )
        else:
            assert len(axes) == 1 and not groups
        for variant_id in variant_ids:  # every variant has a value for each axis, among the master's values
            for axis in element.iterfind(".//c:variation-attribute", NS):
                allowed = {v.get("value") for v in axis.iterfind(".//c:variation-attribute-value", NS)}
                attribute_id = axis.get("attribute-id")
                value = master[variant_id].find(
                    f"c:custom-attributes/c:custom-attribute[@attribute-id='{attribute_id}']", NS
                )
                assert value is not None and value.text in allowed
    names = master[identifier(enabled[0])].findall("c:display-name", NS)
    assert {n.get(XML_LANG) for n in names} == {"x-default", "fr-FR", "de-DE"}

    # every custom attribute used in the catalog is defined in the metadata
    defined = {
        d.get("attribute-id")
        for d in docs["meta/system-objecttype-extensions.xml"].iter(
            "{http://www.demandware.com/xml/impex/metadata/2006-10-31}attribute-definition"
        )
    }
    used = {
        c.get("attribute-id") for c in docs["catalogs/akeneo-master/catalog.xml"].iter(f"{C}custom-attribute")
    }
    assert used and used <= defined

    # associations become product links to SFCC product ids
    by_uuid = {p["uuid"]: identifier(p) for p in every}
    linked = next(
        p for p in enabled if any(a["products"] for a in p["associations"].values()) and not p["parent"]
    )
    expected_links = {
        (by_uuid[u], {"X_SELL": "cross-sell", "UPSELL": "up-sell"}.get(kind, "other"))
        for kind, block in linked["associations"].items()
        for u in block["products"]
    }
    links = {
        (link.get("product-id"), link.get("type"))
        for link in master[identifier(linked)].iterfind(".//c:product-link", NS)
    }
    assert links == expected_links

    storefront = docs["catalogs/akeneo-storefront/catalog.xml"]
    categories = {c.get("category-id"): c for c in storefront.iterfind("c:category", NS)}
    assert "root" in categories and categories["root"].find("c:parent", NS) is None
    assert len(categories) == counts["categories"] == 17
    assignments = {
        (a.get("category-id"), a.get("product-id")) for a in storefront.iterfind("c:category-assignment", NS)
    }
    assert len(assignments) == counts["assignments"]
    simple = next(p for p in enabled if not p["parent"] and p["categories"])
    assert {(c, identifier(simple)) for c in simple["categories"]} <= assignments
    assert any(product_id in exported_roots for _, product_id in assignments)
    assert not any(
        product_id in by_uuid.values()
        and product_id not in {identifier(p) for p in enabled if not p["parent"]}
        for _, product_id in assignments
    )

    # one pricebook per active currency of the channel, a price table for every priced product
    for currency in ("EUR", "USD"):
        book = docs[f"pricebooks/{currency}-list-prices.xml"]
        assert book.find(".//p:header", PB).get("pricebook-id") == f"{currency}-list-prices"
        tables = {
            t.get("product-id"): t.find("p:amount", PB).text for t in book.iterfind(".//p:price-table", PB)
        }
        expected = {
            identifier(p): price["amount"]
            for p in enabled
            for price in (p["values"].get("price") or [{"data": []}])[0]["data"]
            if price["currency"] == currency
        }
        assert tables == expected and tables

    # one request per 100 products in scope plus the one that counts them for the progress, and per
    # 100 parents in each of two rounds (sub-models, roots)
    assert product_pages == math.ceil(len(enabled) / 100) + 1
    assert model_pages <= math.ceil(len(models) / 100) * 2


def _pim_models(pim: FakeAkeneo) -> list[dict]:
    with client_for(pim) as client:
        return list(client.iter_product_models())


def _change(pim: FakeAkeneo, chosen: list[dict]) -> None:
    with client_for(pim) as client:
        for product in chosen:
            client.patch(
                f"products-uuid/{product['uuid']}",
                {
                    "values": {
                        "name": [{"locale": "en_US", "scope": None, "data": f"Changed {identifier(product)}"}]
                    }
                },
            )


def test_a_differential_export_holds_exactly_the_changed_products_and_their_masters(pim, tmp_path):
    profile = make_profile(pim, tmp_path)
    export(profile)
    enabled = [p for p in pim_products(pim) if p["enabled"]]
    simple = [p for p in enabled if not p["parent"]][:3]
    variants = [p for p in enabled if p["parent"]][:2]
    _change(pim, simple + variants)
    models = {m["code"]: m for m in _pim_models(pim)}
    masters = {models[v["parent"]]["parent"] or v["parent"] for v in variants}

    run = export(profile, mode="differential")

    master = products(catalogs(run)["catalogs/akeneo-master/catalog.xml"])
    groups = {code for code, m in models.items() if m["parent"] in masters}
    assert set(master) == {identifier(p) for p in simple + variants} | masters | groups
    assert run.result["mode"] == "differential"
    assert run.result["counts"]["products"] == 3 and run.result["counts"]["variants"] == 2
    for root in masters:  # the master lists all its variants, not only the changed one
        listed = {v.get("product-id") for v in master[root].iterfind(".//c:variant", NS)}
        below = {code for code, m in models.items() if m["parent"] == root} | {root}
        assert listed == {identifier(p) for p in enabled if p["parent"] in below}
    names = {n.get(XML_LANG): n.text for n in master[identifier(simple[0])].iterfind("c:display-name", NS)}
    assert names["x-default"] == f"Changed {identifier(simple[0])}"

    # Nothing new: at most what changed in the very second the last run started comes again (the
    # PIM's dates have whole seconds, and an export must rather repeat a product than lose one).
    again = export(profile, mode="differential")
    assert set(products(catalogs(again)["catalogs/akeneo-master/catalog.xml"])) <= set(master)


def test_after_a_failed_run_the_next_differential_still_holds_the_changes(pim, tmp_path):
    profile = make_profile(pim, tmp_path)
    export(profile)
    chosen = [p for p in pim_products(pim) if p["enabled"] and p["parent"]][:3]
    _change(pim, chosen)
    pim.faults.every_nth(1, status=429, retry_after=3600, path_prefix="/api/rest/v1/product-models")

    failed = export(profile, mode="differential", status=RunStatus.FAILED)

    assert "next run exports these products again" in failed.error
    pim.faults.clear()
    run = export(profile, mode="differential")
    master = products(catalogs(run)["catalogs/akeneo-master/catalog.xml"])
    assert {identifier(p) for p in chosen} <= set(master)


def test_disabled_and_deleted_products_go_offline_once(pim, tmp_path):
    profile = make_profile(pim, tmp_path)
    export(profile)
    simple = [p for p in pim_products(pim) if p["enabled"] and not p["parent"]]
    disabled, deleted = simple[0], simple[1]
    with client_for(pim) as client:
        client.patch(f"products-uuid/{disabled['uuid']}", {"enabled": False})
        client.delete(f"products-uuid/{deleted['uuid']}")

    run = export(profile, job="master", mode="differential")

    master = products(catalogs(run)["catalogs/akeneo-master/catalog.xml"])
    assert set(master) == {identifier(disabled), identifier(deleted)}
    for product_id in master:
        assert master[product_id].find("c:online-flag", NS).text == "false"
    assert run.result["counts"]["offline"] == 2
    offline = set(
        ExportedItem.objects.filter(profile=profile, online=False).values_list("sfcc_id", flat=True)
    )
    assert offline == {identifier(disabled), identifier(deleted)}

    again = export(profile, job="master", mode="differential")
    assert "offline" not in again.result["counts"]  # the removal is not sent twice
    repeated = products(catalogs(again)["catalogs/akeneo-master/catalog.xml"])
    assert set(repeated) <= {identifier(disabled)}  # at most the disabled one, if edited in the run's second


def test_with_the_delete_removal_mode_a_deleted_product_is_deleted_in_sfcc(pim, tmp_path):
    profile = make_profile(pim, tmp_path, removal_mode="delete")
    export(profile, job="master")
    gone = next(p for p in pim_products(pim) if p["enabled"] and not p["parent"])
    with client_for(pim) as client:
        client.delete(f"products-uuid/{gone['uuid']}")

    run = export(profile, job="master", mode="full")

    element = products(catalogs(run)["catalogs/akeneo-master/catalog.xml"])[identifier(gone)]
    assert element.get("mode") == "delete" and len(element) == 0
    assert not ExportedItem.objects.filter(profile=profile, sfcc_id=identifier(gone)).exists()


def test_profile_filters_limit_the_products(pim, tmp_path):
    profile = make_profile(pim, tmp_path, families=["shoes"], categories=["men"], completeness_min=50)

    run = export(profile, job="master")

    master = products(catalogs(run)["catalogs/akeneo-master/catalog.xml"])
    requests = [r for r in pim.requests if r.path.startswith(PRODUCTS_PATH)]
    assert master and all("completeness" in r.query.get("search", "") for r in requests)
    by_id = {identifier(p): p for p in pim_products(pim)}
    for product_id, element in master.items():
        if product_id in by_id:
            assert by_id[product_id]["family"] == "shoes"
        else:
            assert element.find("c:variations", NS) is not None


def test_the_export_command_reports_counts_as_json_and_fails_with_exit_1(pim, tmp_path):
    import json
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    make_profile(pim, tmp_path)
    out = StringIO()
    call_command(
        "sfcc_export", "--profile", "shop", "--job", "all", "--mode", "differential", "--json", stdout=out
    )
    report = json.loads(out.getvalue())
    assert report["status"] == "done" and report["mode"] == "full"  # no earlier run: everything
    assert report["files"] == [
        "meta/system-objecttype-extensions.xml",
        "catalogs/akeneo-master/catalog.xml",
        "catalogs/akeneo-storefront/catalog.xml",
        "pricebooks/EUR-list-prices.xml",
        "pricebooks/USD-list-prices.xml",
    ]
    assert report["price_tables"] > 0
    assert report["products"] > 0 and report["masters"] > 0 and report["variants"] > 0
    assert report["categories"] == 17 and report["assignments"] > 0
    assert_archive_valid(Path(report["archive"]))

    pim.faults.every_nth(1, status=429, retry_after=3600, path_prefix=PRODUCTS_PATH)
    out = StringIO()
    with pytest.raises(CommandError, match="next run exports these products again"):  # manage.py exits 1
        call_command("sfcc_export", "--profile", "shop", "--job", "master", "--json", stdout=out)
    failed = json.loads(out.getvalue())
    assert failed["status"] == "failed" and "429" in failed["error"]


def test_a_catalog_with_every_attribute_type_three_locales_and_both_variant_depths_is_valid(
    sandbox_catalog_factory, tmp_path
):
    catalog = sandbox_catalog_factory(products=80, seed=3)
    catalog.attributes["nutrition"] = {
        **catalog.attributes["care_instructions"],
        "code": "nutrition",
        "type": "pim_catalog_table",
        "localizable": False,
        "scopable": False,
        "labels": {"en_US": "Nutrition", "fr_FR": "Nutrition (fr)", "de_DE": "Nährwerte"},
    }
    key = next(
        k
        for k in catalog.products
        if not catalog.products[k].get("parent") and catalog.products[k]["enabled"]
    )
    product = catalog.products[key]
    product["values"]["user_manual"] = [
        {"locale": locale, "scope": None, "data": f"a/b/c/d/manual_{locale}.pdf"} for locale in LOCALES
    ]
    product["values"]["nutrition"] = [
        {"locale": None, "scope": None, "data": [{"energy": "100 kcal", "fat": 3}]}
    ]
    catalog.products[key] = product
    with FakeAkeneo(catalog) as server:
        profile = make_profile(
            server,
            tmp_path,
            attribute_mapping={**USUAL_SYSTEM_MAPPING, "gift_wrappable": "searchable-flag"},
        )
        run = export(profile)
        docs = catalogs(run)  # validates every document against the XSDs

    master_doc = docs["catalogs/akeneo-master/catalog.xml"]
    used = {c.get("attribute-id") for c in master_doc.iter(f"{C}custom-attribute")}
    types = {code: a["type"] for code, a in catalog.attributes.items()}
    exported_as_custom = {
        code
        for code, kind in types.items()
        if kind not in ("pim_catalog_identifier", "pim_catalog_price_collection")
        and code not in profile.attribute_mapping
    }
    assert {custom_attribute_id(code) for code in exported_as_custom} <= used  # every type has its values out
    system = {child.tag.removeprefix(C) for p in master_doc.iterfind("c:product", NS) for child in p}
    assert {
        "ean",
        "upc",
        "display-name",
        "short-description",
        "long-description",
        "searchable-flag",
        "brand",
    } <= system
    assert {
        "manufacturer-name",
        "manufacturer-sku",
        "online-flag",
        "custom-attributes",
        "variations",
    } <= system
    langs = {c.get(XML_LANG) for c in master_doc.iter(f"{C}custom-attribute")}
    assert {"x-default", "fr-FR", "de-DE"} <= langs
    masters = [
        p for p in master_doc.iterfind("c:product", NS) if p.find("c:variations/c:variants", NS) is not None
    ]
    depths = {len(p.findall(".//c:variation-attribute", NS)) for p in masters}
    assert depths == {1, 2}
    defined = {
        d.get("attribute-id")
        for d in docs["meta/system-objecttype-extensions.xml"].iter(
            "{http://www.demandware.com/xml/impex/metadata/2006-10-31}attribute-definition"
        )
    }
    assert used <= defined


class PassProgress:
    """The run context's surface the export uses; ``between_pages`` runs once, after the first page."""

    def __init__(self, between_pages):
        self.between_pages = between_pages

    def count(self, name, n=1):
        pass

    def advance(self, n=1):
        pass

    def info(self, message):
        pass

    warning = info

    def checkpoint(self):
        if self.between_pages:
            action, self.between_pages = self.between_pages, None
            action()


def test_a_product_updated_while_the_export_reads_stays_above_the_watermark(pim, tmp_path):
    from sfcc_export.catalog_export import CatalogExport, CatalogFiles
    from sfcc_export.structure import load_structure

    profile = make_profile(pim, tmp_path, only_enabled=False)
    with client_for(pim) as client:
        first, *_, last = list(client.iter_products())

    def update_one_read_and_one_unread():
        with client_for(pim) as writer:
            for product in (first, last):
                writer.patch(
                    f"products-uuid/{product['uuid']}",
                    {"values": {"name": [{"locale": "en_US", "scope": None, "data": "edited meanwhile"}]}},
                )

    with client_for(pim) as client:
        export = CatalogExport(
            profile,
            client,
            load_structure(profile),
            PassProgress(update_one_read_and_one_unread),
            tmp_path,
            since=None,
        )
        try:
            outcome = export.run(CatalogFiles(master=tmp_path / "catalog.xml"))
        finally:
            export.close()
        edited = {
            p["uuid"]: p["updated"]
            for p in client.iter_products()
            if p["uuid"] in (first["uuid"], last["uuid"])
        }

    from datetime import datetime

    # The first product was read before its edit: the next differential run must still see it.
    assert outcome.watermark < datetime.fromisoformat(edited[first["uuid"]])
    assert outcome.watermark < datetime.fromisoformat(edited[last["uuid"]])
