"""Create or update a connection from plain values (the akeneo_connect command, scripted setups)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import AkeneoConnection


@transaction.atomic
def save_connection(
    name: str,
    *,
    base_url: str | None = None,
    client_id: str | None = None,
    secret: str | None = None,
    username: str | None = None,
    password: str | None = None,
    timeout: float | None = None,
    max_requests_per_second: float | None = None,
    max_concurrency: int | None = None,
) -> tuple[AkeneoConnection, bool]:
    """Values left as ``None`` keep what the connection already has. Raises ``ValidationError``."""
    connection = AkeneoConnection.objects.select_for_update().filter(name=name).first()
    created = connection is None
    if connection is None:
        connection = AkeneoConnection(name=name)
    given = {
        "base_url": base_url.strip().rstrip("/") if base_url else base_url,
        "client_id": client_id,
        "secret": secret,
        "username": username,
        "password": password,
        "timeout": timeout,
        "max_requests_per_second": max_requests_per_second,
        "max_concurrency": max_concurrency,
    }
    for field, value in given.items():
        if value is not None:
            setattr(connection, field, value)
    connection.full_clean()
    connection.save()
    return connection, created


def find_connection(name: str) -> AkeneoConnection:
    connection = AkeneoConnection.objects.filter(name=name).first()
    if connection is None:
        known = ", ".join(AkeneoConnection.objects.values_list("name", flat=True)) or "none"
        raise ValidationError(f"No connection named '{name}' (known: {known}).")
    return connection


def describe_validation_error(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)
