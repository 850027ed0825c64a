"""Lists of e-mail addresses typed in the admin: who hears about a target's failed runs."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import models

logger = logging.getLogger(__name__)


def send_alert(subject: str, body: str, to: list[str], about: str) -> bool:
    """Mail an alert; a mail that cannot be sent is logged (``about`` names it), never raised,
    because an alert must not break the worker that raises it."""
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except Exception:  # noqa: BLE001
        logger.exception("Could not mail %s", about)
        return False
    return True


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
