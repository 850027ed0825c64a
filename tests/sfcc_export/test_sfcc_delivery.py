"""Delivery of the site archive to a (fake) SFCC instance: token, WebDAV upload, site import, failures."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connector.akeneo import AkeneoClient
from connector.models import RunStatus
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import EVERY_DOCUMENT, make_instance_profile, make_profile

pytestmark = pytest.mark.django_db
C = {"c": "http://www.demandware.com/xml/impex/catalog/2006-10-31"}


@pytest.fixture
def pim(sandbox_catalog_factory):
    with FakeAkeneo(sandbox_catalog_factory(products=50, seed=5)) as server:
        yield server


@pytest.fixture
def profile(pim, sfcc, tmp_path, settings):
    settings.MEDIA_CACHE_ROOT = tmp_path / "media-cache"
    return make_instance_profile(
        pim,
        tmp_path / "exports",
        sfcc,
        **EVERY_DOCUMENT,
    )


def export(profile, job="all", mode="full", status=RunStatus.DONE):
    run = start_run(EXPORT, profile, params={"job": job, "mode": mode}, inline=True)
    assert run.status == status, run.error
    return run


def test_all_jobs_are_delivered_and_imported_with_exit_status_ok(profile, sfcc):
    run = export(profile)

    [imported] = sfcc.imports
    assert imported.ok, imported.message
    delivery = run.result["delivery"]
    assert {key: delivery[key] for key in ("execution_id", "exit_status", "message", "file_name", "api")} == {
        "execution_id": imported.execution_id,
        "exit_status": "OK",
        "message": imported.message,
        "file_name": imported.file_name,
        "api": "ocapi",
    }
    [part] = delivery["parts"]  # the demo archive fits one part of the default 100 MB
    assert part["file_name"] == imported.file_name and part["status"] == "imported"
    members = {name.split("/", 1)[1] for name in imported.members}
    assert members == {
        "meta/system-objecttype-extensions.xml",
        "pricebooks/EUR-list-prices.xml",
        "pricebooks/USD-list-prices.xml",
        "catalogs/akeneo-master/catalog.xml",
        "catalogs/akeneo-storefront/catalog.xml",
        "libraries/RefArch/library.xml",
    }
    assert sfcc.count("PUT") == 1 and sfcc.token_grants == 1
    assert sfcc.read_file(f"Impex/src/instance/{imported.file_name}")[:2] == b"PK"


def test_a_503_on_upload_and_an_expired_token_are_retried(profile, sfcc, settings):
    settings.SFCC_MAX_RETRIES = 3
    sfcc.fail_uploads(1, status=503)
    sfcc.fail_job_starts(1, status=503)
    export(profile, job="attributes")  # a first run gets a token
    sfcc.expire_tokens()
    sfcc.fail_uploads(1, status=503)

    run = export(profile, job="attributes")

    assert run.result["delivery"]["exit_status"] == "OK"
    assert sfcc.count("PUT", status=503) == 2 and sfcc.count("POST", "/s/", status=503) == 1
    assert [i.ok for i in sfcc.imports] == [True, True]


def test_a_rejected_import_fails_the_run_with_sfccs_message_and_keeps_the_products_pending(
    profile, sfcc, pim
):
    export(profile, job="master")
    with AkeneoClient(pim.base_url, **SANDBOX_CREDENTIALS) as client:
        changed = next(p for p in client.iter_products() if p["enabled"] and not p["parent"])
        client.patch(
            f"products-uuid/{changed['uuid']}",
            {"values": {"name": [{"locale": "en_US", "scope": None, "data": "New name"}]}},
        )
    sku = changed["values"]["sku"][0]["data"]
    sfcc.reject_next_import("Import failed: catalog is locked by another import")

    failed = export(profile, job="master", mode="differential", status=RunStatus.FAILED)

    assert "SFCC rejected the import" in failed.error
    assert "catalog is locked by another import" in failed.error
    retry = export(profile, job="master", mode="differential")
    product_ids = {
        p.get("product-id")
        for p in sfcc.imports[-1]
        .documents[next(n for n in sfcc.imports[-1].documents if n.endswith("catalog.xml"))]
        .iterfind("c:product", C)
    }
    assert sku in product_ids
    assert retry.result["mode"] == "differential"


def test_bad_api_credentials_fail_the_run_without_showing_the_secret(profile, sfcc):
    profile.api_client_secret = "wrong-secret-value"
    profile.save()

    failed = export(profile, job="attributes", status=RunStatus.FAILED)

    assert "Account Manager refused the API client" in failed.error
    assert "wrong-secret-value" not in failed.error
    assert "wrong-secret-value" not in json.dumps(failed.result)
    assert not any("wrong-secret-value" in e.message for e in failed.log_entries.all())
    assert sfcc.count("PUT") == 0


def test_refinements_are_read_from_the_instances_webdav(profile, sfcc):
    from tests.sfcc_export.test_sfcc_assets_prices_entities_refinements import REFINEMENTS_EXPORT

    sfcc.put_file("Impex/src/instance/akeneo-storefront.xml", REFINEMENTS_EXPORT)

    run = export(profile, job="refinements")

    assert run.result["categories"] == ["men"]
    assert "WebDAV Impex/src/instance/akeneo-storefront.xml" in run.result["source"]


def test_the_commands_point_a_profile_at_an_instance_and_deliver(pim, sfcc, tmp_path, settings):
    settings.MEDIA_CACHE_ROOT = tmp_path / "media-cache"
    make_profile(pim, tmp_path / "exports")
    call_command(
        "sfcc_profile",
        "--name",
        "shop",
        "--instance-url",
        sfcc.instance_url,
        "--account-manager-url",
        sfcc.account_manager_url,
        "--client-id",
        sfcc.client_id,
        "--client-secret",
        sfcc.client_secret,
        stdout=StringIO(),
    )
    out = StringIO()
    call_command("sfcc_export", "--profile", "shop", "--job", "pricebook", "--deliver", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["status"] == "done" and report["price_tables"] > 0
    assert report["delivery"]["exit_status"] == "OK" and report["delivery"]["execution_id"]

    sfcc.reject_next_import("Import failed: invalid price")
    out = StringIO()
    with pytest.raises(CommandError, match="invalid price"):
        call_command(
            "sfcc_export", "--profile", "shop", "--job", "pricebook", "--deliver", "--json", stdout=out
        )
    assert json.loads(out.getvalue())["status"] == "failed"
