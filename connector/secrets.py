"""Secrets encrypted at rest (Fernet, from the `cryptography` library).

The key comes from FIELD_ENCRYPTION_KEY (a Fernet key) or, by default, is derived from SECRET_KEY;
rotating it means re-saving the secrets. Values stored before encryption existed are read as they
are and encrypted at their next save (the migration that introduced this re-saved them all).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


@cache
def _fernet(key_material: str, dedicated: bool) -> Fernet:
    if dedicated:
        return Fernet(key_material.encode())
    derived = hashlib.sha256(b"connector-field-encryption:" + key_material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def fernet() -> Fernet:
    key = getattr(settings, "FIELD_ENCRYPTION_KEY", "")
    return _fernet(key, True) if key else _fernet(settings.SECRET_KEY, False)


def encrypt(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before encryption at rest: re-saved (encrypted) by the migration
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEY (or SECRET_KEY) changed since it "
            "was saved."
        ) from None


class EncryptedTextField(models.TextField):
    """A text column holding ``fernet:<token>``; Python code only ever sees the plain value."""

    def from_db_value(self, value, expression, connection):
        return value if value in (None, "") else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, "") or value.startswith(PREFIX):
            return value
        return encrypt(value)
