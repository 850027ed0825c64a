from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models

from ..akeneo.budget import MAX_CONCURRENCY
from ..emails import alert_emails_field
from ..secrets import EncryptedTextField

if TYPE_CHECKING:
    from ..akeneo import AkeneoClient

http_url_validator = URLValidator(schemes=["http", "https"])

WEEKLY = "0 3 * * 0"


def validate_cron(value: str) -> None:
    from croniter import croniter

    if value and not croniter.is_valid(value):
        raise ValidationError(f"'{value}' is not a valid cron expression (minute hour day month weekday).")


class AkeneoConnection(models.Model):
    """One Akeneo PIM and the API credentials we use for it.

    ``secret`` and ``password`` are write-only in the admin: never rendered back, never logged.
    """

    name = models.CharField(max_length=100, unique=True)
    base_url = models.CharField(
        "PIM URL",
        max_length=300,
        validators=[http_url_validator],
        help_text="The PIM's address, e.g. https://my-company.cloud.akeneo.com",
    )
    client_id = models.CharField("client ID", max_length=200)
    secret = EncryptedTextField()
    username = models.CharField(max_length=200)
    password = EncryptedTextField()
    timeout = models.FloatField(
        "request timeout (seconds)", default=30.0, validators=[MinValueValidator(1.0)]
    )
    max_requests_per_second = models.FloatField(
        "request-rate cap (requests/second)",
        default=20.0,
        validators=[MinValueValidator(0.1)],
        help_text="Akeneo allows about 100 requests/second per PIM instance, shared by every integration.",
    )
    max_concurrency = models.PositiveSmallIntegerField(
        "calls in flight at most",
        default=MAX_CONCURRENCY,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CONCURRENCY)],
        help_text="Akeneo allows 4 concurrent calls per API connection (and 10 per PIM instance). "
        "Every sync, export and push of this connection shares them, in every worker.",
    )
    alert_emails = alert_emails_field()
    sync_cron = models.CharField(
        "sync schedule",
        max_length=100,
        blank=True,
        default=WEEKLY,
        validators=[validate_cron],
        help_text="Cron expression (server time zone) for the automatic structure sync; empty = manual only. "
        "Default: Sundays at 03:00.",
    )
    last_synced_at = models.DateTimeField("last successful sync", null=True, blank=True, editable=False)
    last_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_check_ok = models.BooleanField(null=True, editable=False)
    last_check_message = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "Akeneo connection"
        permissions = [
            ("test_akeneoconnection", "Can test the connection to the PIM"),
            ("sync_akeneoconnection", "Can synchronize the PIM structure"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def health_problem(self) -> str:
        """Why the PIM did not answer the last run or test, or "" (connector.health)."""
        return self.last_check_message if self.last_check_ok is False else ""

    def client(self, *, interactive: bool = False) -> AkeneoClient:
        """An API client for this PIM.

        ``interactive`` (a person waiting on a button) gives up quickly instead of spending the
        full retry budget.
        """
        from ..akeneo import AkeneoClient
        from ..call_budget import budget_for

        return AkeneoClient(
            self.base_url,
            self.client_id,
            self.secret,
            self.username,
            self.password,
            timeout=min(self.timeout, 15.0) if interactive else self.timeout,
            max_requests_per_second=self.max_requests_per_second,
            budget=budget_for(self.pk, self.max_concurrency) if self.pk else None,
            max_concurrency=self.max_concurrency,
            max_attempts=2 if interactive else settings.AKENEO_MAX_RETRIES,
            retry_budget=10.0 if interactive else settings.AKENEO_RETRY_BUDGET_SECONDS,
        )
