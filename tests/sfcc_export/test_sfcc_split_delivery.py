"""SFCC delivery at production size, against the fake SFCC through real sockets: archives in parts
under the profile's limit, imported in order and resumed; SCAPI first with OCAPI as fallback; the
import's job log on the run; every document checked before anything is sent; the archive history."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from lxml import etree

from connector.models import Run, RunStatus
from connector.runs import execute_run, start_run
from connector.sandbox import FakeAkeneo
from sfcc_export.models import ArchivePart, ExportedItem, ExportProfile, ExportWatermark, SiteArchive
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import EVERY_DOCUMENT, make_instance_profile

pytestmark = pytest.mark.django_db
CATALOG = "{http://www.demandware.com/xml/impex/catalog/2006-10-31}"


@pytest.fixture
def pim(sandbox_catalog_factory):
    with FakeAkeneo(sandbox_catalog_factory()) as server:  # the demo catalog: 300 products
        yield server


@pytest.fixture
def profile(pim, sfcc, tmp_path, settings):
    settings.MEDIA_CACHE_ROOT = tmp_path / "media-cache"
    return make_instance_profile(
        pim,
        tmp_path / "exports",
        sfcc,
        **EVERY_DOCUMENT,
        archive_max_mb=Decimal("0.03"),
        alert_emails="ops@example.com",
    )


def export(profile, status=RunStatus.DONE, job="all", mode="full") -> Run:
    run = start_run(EXPORT, profile, params={"job": job, "mode": mode}, inline=True)
    assert run.status == status, run.error
    return run


def products_per_import(imports) -> list[list[str]]:
    return [
        [element.get("product-id") for element in root.iter(f"{CATALOG}product")]
        for record in imports
        for name, root in record.documents.items()
        if "/catalogs/akeneo-master/" in name
    ]


def products_in(imports) -> set[str]:
    return {product for ids in products_per_import(imports) for product in ids}


def products_of_document(folder: str) -> list[str]:
    catalog = Path(folder) / "catalogs" / "akeneo-master" / "catalog.xml"
    return [element.get("product-id") for element in etree.parse(str(catalog)).iter(f"{CATALOG}product")]


def simple_products(pim) -> list[str]:
    """Enabled products without a parent: their SFCC product id is their identifier."""
    products = pim.catalog.products
    return sorted(
        products[key]["identifier"]
        for key in products
        if not products[key].get("parent") and products[key]["enabled"]
    )


def test_a_full_export_of_the_demo_catalog_goes_in_parts_each_imported_in_order(profile, sfcc, pim):
    run = export(profile)

    parts = run.result["delivery"]["parts"]
    assert len(parts) >= 3
    assert len(sfcc.imports) == len(parts)
    assert all(record.ok for record in sfcc.imports), [r.message for r in sfcc.imports]
    assert [record.file_name for record in sfcc.imports] == [part["file_name"] for part in parts]
    for part, record in zip(parts, sfcc.imports, strict=True):
        assert part["execution_id"] == record.execution_id
        assert part["exit_status"] == "OK"
        assert part["size"] <= 30_000
        assert part["status"] == "imported"
    # Every product of the export is in the union of the parts, and no part repeats one.
    whole = products_of_document(run.result["folder"])
    assert len(whole) == len(set(whole)) > 300
    assert products_in(sfcc.imports) == set(whole)
    assert sum(len(ids) for ids in products_per_import(sfcc.imports)) == len(whole)
    # Dependency order: metadata first, the master catalog before the storefront one, static last.
    members = [
        name.split("/", 1)[1]
        for record in sfcc.imports
        for name in zipfile.ZipFile(sfcc.root / "Impex/src/instance" / record.file_name).namelist()
    ]
    first = {
        prefix: next(i for i, m in enumerate(members) if m.startswith(prefix))
        for prefix in (
            "meta/",
            "catalogs/akeneo-master/catalog",
            "catalogs/akeneo-storefront/",
            "pricebooks/",
        )
    }
    assert first["meta/"] < first["catalogs/akeneo-master/catalog"] < first["catalogs/akeneo-storefront/"]
    statics = [i for i, m in enumerate(members) if "/static/" in m]
    documents = [i for i, m in enumerate(members) if m.endswith(".xml")]
    assert statics and min(statics) > max(documents)
    # The last part's values stay where they were; the history lists the archive as delivered.
    assert run.result["delivery"]["execution_id"] == parts[-1]["execution_id"]
    archive = SiteArchive.objects.get(profile=profile)
    assert archive.status == SiteArchive.Status.DELIVERED
    assert archive.parts.count() == len(parts)


def test_a_catalog_too_big_for_a_part_is_cut_into_documents_that_each_validate(profile, sfcc):
    run = export(profile)

    def pieces(catalog: str) -> list[tuple[int, object]]:
        return [
            (number, root)
            for number, record in enumerate(sfcc.imports)
            for name, root in record.documents.items()
            if name.endswith(f"/catalogs/{catalog}/catalog.xml")
        ]

    master, storefront = pieces("akeneo-master"), pieces("akeneo-storefront")
    # The fake validated each piece against catalog.xsd on import; each is a whole catalog document
    # with the catalog's header, and together they hold the whole document's elements in its order.
    assert len(master) >= 2
    assert all(
        root.get("catalog-id") == "akeneo-master" and root[0].tag == f"{CATALOG}header" for _, root in master
    )
    whole = etree.parse(str(Path(run.result["folder"]) / "catalogs/akeneo-master/catalog.xml")).getroot()
    expected = [(child.tag, child.get("product-id")) for child in whole[1:]]
    assert [(child.tag, child.get("product-id")) for _, root in master for child in root[1:]] == expected
    # The storefront catalog's category assignments name master products: they come after all of them.
    assert storefront and min(number for number, _ in storefront) >= max(number for number, _ in master)


def test_a_part_rejected_mid_way_fails_the_run_and_the_rerun_sends_only_the_rest(profile, sfcc):
    sfcc.reject_imports_after(1, "Import failed: the catalog is locked by another job")

    failed = export(profile, RunStatus.FAILED)

    parts = failed.result["delivery"]["parts"]
    assert "part 2 of" in failed.error and "the catalog is locked" in failed.error
    assert [part["status"] for part in parts] == ["imported", "rejected"]
    total = SiteArchive.objects.get(run=failed).parts.count()
    assert total >= 3
    # Nothing is recorded as exported until every part is in: neither the items nor how far the
    # jobs got (a differential run after this one exports everything again).
    assert not ExportWatermark.objects.filter(profile=profile).exists()
    assert not ExportedItem.objects.filter(profile=profile).exists()

    sfcc.clear()
    sfcc.clear_requests()
    rerun = export(profile)

    statuses = [part["status"] for part in rerun.result["delivery"]["parts"]]
    assert statuses == ["already"] + ["imported"] * (total - 1)
    marks = dict(ExportWatermark.objects.filter(profile=profile, run=rerun).values_list("job", "reached_at"))
    assert set(marks) == {"assets", "pricebook", "master", "storefront"}
    assert {mark.isoformat() for mark in marks.values()} == set(rerun.result["watermarks"].values())
    assert ExportedItem.objects.filter(profile=profile).exists()
    assert len(sfcc.imports) == 2 + (total - 1)  # part 1 once, part 2 twice, the others once
    assert sfcc.count("PUT", status=201) + sfcc.count("PUT", status=204) == total - 1


def test_with_ocapi_deprecated_the_import_runs_through_scapi(profile, sfcc):
    ExportProfile.objects.filter(pk=profile.pk).update(
        scapi_short_code=sfcc.short_code, scapi_tenant_id=sfcc.tenant_id, archive_max_mb=Decimal("100")
    )
    sfcc.deprecate_ocapi()

    run = export(profile.__class__.objects.get(pk=profile.pk))

    assert [record.api for record in sfcc.imports] == ["scapi"]
    assert run.result["delivery"]["api"] == "scapi"
    assert sfcc.count("POST", "/s/-/dw/data/") == 0
    assert run.log_entries.filter(message__contains="through SCAPI").exists()


def test_scapi_refusing_the_start_falls_back_to_ocapi_but_a_5xx_does_not(profile, sfcc):
    ExportProfile.objects.filter(pk=profile.pk).update(
        scapi_short_code=sfcc.short_code, scapi_tenant_id=sfcc.tenant_id, archive_max_mb=Decimal("100")
    )
    profile.refresh_from_db()
    sfcc.refuse_scapi(403)

    run = export(profile)
    assert [record.api for record in sfcc.imports] == ["ocapi"]
    assert run.log_entries.filter(message__contains="SCAPI refused the job start").exists()

    sfcc.clear()
    sfcc.fail_scapi_starts(20, 503)
    failed = export(profile, RunStatus.FAILED)
    assert "503" in failed.error
    assert len(sfcc.imports) == 1  # no OCAPI start after a 5xx: the job may have started


def test_ocapi_deprecated_without_scapi_says_what_to_configure(profile, sfcc):
    ExportProfile.objects.filter(pk=profile.pk).update(archive_max_mb=Decimal("100"))
    profile.refresh_from_db()
    sfcc.deprecate_ocapi()

    failed = export(profile, RunStatus.FAILED)

    assert "OcapiDeprecatedException" in failed.error
    assert "SCAPI short code and tenant id" in failed.error


def test_an_import_that_skips_products_ends_done_with_warnings_naming_them(profile, sfcc, pim, admin_client):
    ExportProfile.objects.filter(pk=profile.pk).update(archive_max_mb=Decimal("100"))
    profile.refresh_from_db()
    skipped = simple_products(pim)[:2]
    sfcc.skip_products({skipped[0]: "invalid value for attribute 'ean'", skipped[1]: "duplicate product"})

    run = export(profile, RunStatus.WARNINGS)

    assert run.get_status_display() == "Done with warnings"
    assert all(identifier in run.error for identifier in skipped)
    assert sorted(run.result["delivery"]["skipped"]["product"]) == skipped
    assert run.result["delivery"]["skipped_count"] == 2
    assert run.log_entries.filter(level=30, message__contains=skipped[0]).exists()
    # Mailed like a failure (the threshold is 0), shown on the run page and the dashboard.
    assert len(mail.outbox) == 1 and "ended with warnings" in mail.outbox[0].subject
    page = admin_client.get(reverse("admin:connector_run_change", args=[run.pk])).content.decode()
    assert "Done with warnings" in page and skipped[0] in page
    dashboard = admin_client.get(reverse("admin:index")).content.decode()
    assert "Done with warnings" in dashboard
    # Above the threshold only: a profile that tolerates 5 skipped elements is not mailed.
    ExportProfile.objects.filter(pk=profile.pk).update(skipped_alert_threshold=5)
    export(ExportProfile.objects.get(pk=profile.pk), RunStatus.WARNINGS)
    assert len(mail.outbox) == 1


def test_a_broken_document_fails_the_run_before_anything_is_sent(profile, sfcc, monkeypatch):
    from sfcc_export import export as export_module

    def broken_extensions(out, groups):
        out.write(
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<metadata xmlns="http://www.demandware.com/xml/impex/metadata/2006-10-31">\n'
            b"  <not-an-sfcc-element/>\n</metadata>\n"
        )
        return {}

    monkeypatch.setattr(export_module, "write_product_extensions", broken_extensions)

    failed = export(profile, RunStatus.FAILED)

    assert "meta/system-objecttype-extensions.xml line 3" in failed.error
    assert "not-an-sfcc-element" in failed.error
    assert "nothing was sent" in failed.error
    assert sfcc.count("PUT") == 0 and sfcc.imports == []
    assert not SiteArchive.objects.exists()


def test_a_part_larger_than_the_instance_takes_fails_with_what_to_change(profile, sfcc):
    sfcc.limit_uploads(10_000)

    failed = export(profile, RunStatus.FAILED)

    assert "413" in failed.error and "archive size limit" in failed.error
    assert sfcc.imports == []


def test_the_history_keeps_the_newest_archives_and_delivers_one_again(profile, sfcc, settings, admin_client):
    settings.SFCC_ARCHIVES_KEPT = 2
    ExportProfile.objects.filter(pk=profile.pk).update(archive_max_mb=Decimal("100"))
    profile.refresh_from_db()
    runs = [export(profile, job="attributes") for _ in range(3)]

    kept = list(SiteArchive.objects.filter(profile=profile).order_by("created_at", "pk"))
    assert [archive.run_id for archive in kept] == [runs[1].pk, runs[2].pk]
    assert not Path(runs[0].result["archive"]).exists()
    page = admin_client.get(reverse("admin:sfcc_export_exportprofile_change", args=[profile.pk]))
    html = page.content.decode()
    assert html.count('class="archive-row"') == 2
    link = reverse("admin:connector_run_archive", args=[runs[2].pk, Path(runs[2].result["archive"]).name])
    assert link in html
    assert admin_client.get(link).status_code == 200

    imports_before = len(sfcc.imports)
    response = admin_client.post(
        reverse("admin:sfcc_export_exportprofile_deliver_again", args=[profile.pk, kept[0].pk])
    )
    again = Run.objects.filter(kind=EXPORT).order_by("-pk").first()
    assert response.status_code == 302 and again.params["redeliver"] == kept[0].pk
    execute_run(again.pk)
    again.refresh_from_db()
    assert again.status == RunStatus.DONE, again.error
    assert len(sfcc.imports) == imports_before + 1
    assert sfcc.imports[-1].file_name == Path(runs[1].result["archive"]).name


def test_sfcc_profile_sets_the_limit_and_scapi_and_refuses_bad_values(profile):
    call_command(
        "sfcc_profile",
        "--name",
        profile.name,
        "--archive-max-mb",
        "0.5",
        "--scapi-short-code",
        "kv7kzm78",
        "--scapi-tenant-id",
        "f_ecom_zzxy_prd",
        stdout=StringIO(),
    )
    profile.refresh_from_db()
    assert profile.archive_max_mb == Decimal("0.5")
    assert (profile.scapi_short_code, profile.scapi_tenant_id) == ("kv7kzm78", "zzxy_prd")
    with pytest.raises(CommandError, match="archive"):
        call_command("sfcc_profile", "--name", profile.name, "--archive-max-mb", "0.001", stdout=StringIO())


def test_sfcc_export_json_lists_the_parts(profile, sfcc):
    out = StringIO()
    call_command("sfcc_export", "--profile", profile.name, "--job", "all", "--json", stdout=out)

    report = json.loads(out.getvalue())
    parts = report["delivery"]["parts"]
    assert len(parts) >= 3
    assert set(parts[0]) >= {"file_name", "size", "execution_id", "exit_status", "message"}
    assert report["delivery"]["execution_id"] == parts[-1]["execution_id"]
    assert ArchivePart.objects.filter(status="imported").count() == len(parts)
