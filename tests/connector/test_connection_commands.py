"""akeneo_connect and akeneo_check, driven like an ops script would."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connector.models import AkeneoConnection
from connector.sandbox import SANDBOX_CREDENTIALS

pytestmark = pytest.mark.django_db


def connect(url, **overrides):
    args = {
        "name": "sandbox",
        "url": url,
        "client_id": SANDBOX_CREDENTIALS["client_id"],
        "secret": SANDBOX_CREDENTIALS["secret"],
        "username": SANDBOX_CREDENTIALS["username"],
        "password": SANDBOX_CREDENTIALS["password"],
    }
    args.update(overrides)
    out = StringIO()
    argv = []
    for key, value in args.items():
        argv += [f"--{key.replace('_', '-')}", value]
    call_command("akeneo_connect", *argv, stdout=out)
    return out.getvalue()


def check(*extra):
    out = StringIO()
    call_command("akeneo_check", "--connection", "sandbox", *extra, stdout=out)
    return out.getvalue()


def test_connect_creates_then_updates_without_printing_secrets(fake_akeneo):
    created = connect(fake_akeneo.base_url + "/")
    updated = connect(fake_akeneo.base_url, username="sandbox")

    assert created.startswith("Created connection 'sandbox'")
    assert updated.startswith("Updated connection 'sandbox'")
    assert SANDBOX_CREDENTIALS["secret"] not in created + updated
    connection = AkeneoConnection.objects.get()
    assert connection.base_url == fake_akeneo.base_url


def test_connect_refuses_a_url_that_is_not_http():
    with pytest.raises(CommandError, match="base_url"):
        connect("file:///etc/passwd")
    assert not AkeneoConnection.objects.exists()


def test_check_prints_ok_and_what_the_pim_reports(fake_akeneo):
    connect(fake_akeneo.base_url)

    output = check()

    assert output.startswith("OK Connected to the PIM")
    assert "channels: " in output
    assert "en_US" in output


def test_check_as_json(fake_akeneo):
    connect(fake_akeneo.base_url)

    report = json.loads(check("--json"))

    assert report["ok"] is True
    assert report["connection"] == "sandbox"
    assert "ecommerce" in report["pim"]["channels"]


def test_check_fails_with_a_clear_message_and_no_secret(fake_akeneo):
    connect(fake_akeneo.base_url, secret="definitely-wrong-secret")

    with pytest.raises(CommandError) as caught:
        check()

    assert "refused the API credentials" in str(caught.value)
    assert "definitely-wrong-secret" not in str(caught.value)


def test_check_names_the_known_connections_when_the_name_is_wrong(fake_akeneo):
    connect(fake_akeneo.base_url)
    with pytest.raises(CommandError, match=r"No connection named 'other' \(known: sandbox\)"):
        call_command("akeneo_check", "--connection", "other")


def test_connect_sets_the_call_budget_and_refuses_more_than_the_pim_allows(fake_akeneo):
    connect(fake_akeneo.base_url, max_concurrency="2")
    assert AkeneoConnection.objects.get().max_concurrency == 2

    with pytest.raises(CommandError, match="max_concurrency.*4"):
        connect(fake_akeneo.base_url, max_concurrency="5")
    assert AkeneoConnection.objects.get().max_concurrency == 2
