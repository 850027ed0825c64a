"""Lists of e-mail addresses typed in the admin: who hears about a target's failed runs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models


def split_emails(value: str) -> list[str]:
    return [part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip()]


def validate_email_list(value: str) -> None:
    bad = []
    for address in split_emails(value):
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError(f"Not e-mail addresses: {', '.join(bad)}.")


def alert_emails_field() -> models.CharField:
    return models.CharField(
        "alert e-mails",
        max_length=1000,
        blank=True,
        validators=[validate_email_list],
        help_text="Comma-separated addresses mailed when a run of this fails or gets stuck.",
    )
