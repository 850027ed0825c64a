"""The connection screens in a real browser: Test connection, Synchronize, the mirror lists."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connector.models import AkeneoConnection, Attribute
from connector.sandbox import SANDBOX_CREDENTIALS
from tests.browser import fill_connection_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_consultant_creates_a_connection_tests_it_and_synchronizes(admin_page, fake_akeneo):
    page = admin_page
    fill_connection_form(page, "sandbox", fake_akeneo.base_url)
    page.click("input[name=_continue]")

    connection = AkeneoConnection.objects.get(name="sandbox")
    expect(page.locator("#id_secret")).to_have_value("")  # write-only: never sent back to the browser
    assert SANDBOX_CREDENTIALS["secret"] not in page.content()

    page.click("#test-connection")
    expect(page.locator(".messagelist .success")).to_contain_text("Connected to the PIM")
    expect(page.locator(".messagelist .success")).to_contain_text("ecommerce")

    page.click("#synchronize")
    expect(page).to_have_url(
        f"{page.url.split('/admin/')[0]}/admin/connector/akeneoconnection/{connection.pk}/sync-status/"
    )
    expect(page.locator('[data-field="status_label"]')).to_have_text("Done")
    expect(page.locator('[data-counter="created"]')).not_to_have_text("0")
    expect(page.locator("#last-sync")).not_to_have_text("never")

    page.goto("/admin/connector/attribute/?q=weight")
    expect(page.locator("#result_list")).to_contain_text("Weight")
    assert Attribute.objects.filter(connection=connection).count() == len(fake_akeneo.catalog.attributes)


def test_a_wrong_secret_shows_the_pims_error_in_plain_words(admin_page, fake_akeneo):
    connection = AkeneoConnection.objects.create(
        name="broken",
        base_url=fake_akeneo.base_url,
        client_id=SANDBOX_CREDENTIALS["client_id"],
        secret="not-the-secret-123",
        username=SANDBOX_CREDENTIALS["username"],
        password=SANDBOX_CREDENTIALS["password"],
    )
    admin_page.goto(f"/admin/connector/akeneoconnection/{connection.pk}/change/")
    admin_page.click("#test-connection")

    error = admin_page.locator(".messagelist .error")
    expect(error).to_contain_text("refused the API credentials")
    expect(error).to_contain_text("does not match any client, or secret is invalid")
    assert "not-the-secret-123" not in admin_page.content()
