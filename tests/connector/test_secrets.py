"""Secrets: encrypted at rest, never in an admin page (any role), a run log or a log record;
`check --deploy` clean with the documented production settings."""

from __future__ import annotations

import importlib
import logging
import os
import secrets
import subprocess
import sys

import pytest
from django.apps import apps as django_apps
from django.contrib import admin
from django.db import connection as db
from django.urls import NoReverseMatch, reverse

from connector.models import AkeneoConnection, Run, RunLogEntry, RunStatus
from connector.roles import BUSINESS_CONSULTANT, OPERATOR, SDM_ADMIN
from connector.runs import RunContext, start_run
from connector.scrub import scrub
from connector.tasks import STRUCTURE_SYNC
from sdm.models import Workflow
from sfcc_export.models import ExportProfile
from tests.paths import ROOT
from tests.users import staff_user

pytestmark = pytest.mark.django_db
SECRET = "S3cret-of-the-connection-7f3a"
PASSWORD = "Passw0rd-of-the-api-user-91bc"
SFCC_SECRET = "Sfcc-api-client-secret-c0de"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.leaked-token-payload"


@pytest.fixture
def configured(fake_akeneo, tmp_path):
    connection = AkeneoConnection.objects.create(
        name="sandbox",
        base_url=fake_akeneo.base_url,
        client_id="sandbox_client",
        secret="sandbox_secret",
        username="sandbox",
        password="sandbox",
    )
    assert start_run(STRUCTURE_SYNC, connection, inline=True).status == RunStatus.DONE
    connection.secret, connection.password = SECRET, PASSWORD
    connection.save()
    Workflow.objects.create(name="demo", connection=connection, channels=["ecommerce"], locales=["en_US"])
    ExportProfile.objects.create(
        name="shop",
        connection=connection,
        channel="ecommerce",
        master_catalog_id="m",
        storefront_catalog_id="s",
        locale_mapping={"en_US": "x-default"},
        delivery_target="instance",
        instance_url="https://sandbox.example.com",
        api_client_id="client",
        api_client_secret=SFCC_SECRET,
        output_dir=str(tmp_path),
    )
    run = Run.objects.create(
        kind=STRUCTURE_SYNC, target=connection, target_label="sandbox", status=RunStatus.DONE
    )
    context = RunContext(run)
    context.error(f'PIM said: {{"access_token": "{TOKEN}"}} with Authorization: Bearer {TOKEN}')
    context.error(f"POST /token grant_type=password&password={PASSWORD}&client_secret={SECRET}")
    context.flush()
    return connection


def test_secrets_are_encrypted_at_rest(configured):
    with db.cursor() as cursor:
        cursor.execute("SELECT secret, password FROM connector_akeneoconnection")
        stored = cursor.fetchone()
        cursor.execute("SELECT api_client_secret FROM sfcc_export_exportprofile")
        stored += cursor.fetchone()
    assert all(value.startswith("fernet:") for value in stored)
    assert not any(plain in " ".join(stored) for plain in (SECRET, PASSWORD, SFCC_SECRET))
    reloaded = AkeneoConnection.objects.get(pk=configured.pk)
    assert (reloaded.secret, reloaded.password) == (SECRET, PASSWORD)
    assert ExportProfile.objects.get().api_client_secret == SFCC_SECRET


def test_the_migration_encrypts_secrets_stored_in_clear(configured):
    with db.cursor() as cursor:
        cursor.execute("UPDATE connector_akeneoconnection SET secret = %s", ["legacy-plain-secret"])
    assert AkeneoConnection.objects.get().secret == "legacy-plain-secret"  # still readable
    migration = importlib.import_module("connector.migrations.0004_encrypted_secrets")

    migration.encrypt_stored_secrets(django_apps, None)

    with db.cursor() as cursor:
        cursor.execute("SELECT secret FROM connector_akeneoconnection")
        (stored,) = cursor.fetchone()
    assert stored.startswith("fernet:") and AkeneoConnection.objects.get().secret == "legacy-plain-secret"


def test_run_logs_and_log_records_are_scrubbed(configured, caplog):
    messages = " ".join(RunLogEntry.objects.values_list("message", flat=True))
    assert TOKEN not in messages and PASSWORD not in messages and SECRET not in messages
    assert "Bearer ***" in messages and '"access_token": "***"' in messages
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "token=%s", (TOKEN,), None)
    from connector.scrub import ScrubSecretsFilter

    ScrubSecretsFilter().filter(record)
    assert TOKEN not in record.getMessage()
    assert scrub("nothing secret here") == "nothing secret here"


def admin_pages() -> list[str]:
    """Every list and object page of every model in the admin, and the custom pages."""
    urls = [reverse("admin:index"), reverse("admin:dashboard")]
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        for obj in model._default_manager.all()[:3]:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            for extra in ("sync_status", "attributes", "progress"):
                try:
                    urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_{extra}", args=[obj.pk]))
                except NoReverseMatch:
                    pass
    return urls


@pytest.mark.parametrize("role", [None, BUSINESS_CONSULTANT, SDM_ADMIN, OPERATOR])
def test_no_admin_page_shows_a_secret_to_anyone(client, configured, role):
    staff_user(role, "someone", client=client, superuser=role is None)
    pages = admin_pages()
    assert len(pages) > 40
    shown = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 302, 403), url
        body = response.content.decode()
        for secret in (SECRET, PASSWORD, SFCC_SECRET, TOKEN):
            assert secret not in body, f"{secret!r} rendered on {url} for {role or 'superuser'}"
        shown += response.status_code == 200
    assert shown > 20


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "connector.example.com",
        "SECURE_SSL_REDIRECT": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "DATABASE_URL": f"sqlite:///{tmp_path}/deploy.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
