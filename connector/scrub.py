"""Tokens and secrets out of run logs and log records: whatever a library or an error message
says, a bearer token, a basic-auth header or a `secret=`/`"password": ...` value is masked."""

from __future__ import annotations

import logging
import re

MASK = "***"
# Names of fields whose values are masked (names, not secrets).
SECRET_NAMES = r"(?:access_token|refresh_token|client_secret|api_client_secret|password|secret|token)"  # noqa: S105
PATTERNS = [
    (re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), rf"\1 {MASK}"),
    (re.compile(rf"([\"']{SECRET_NAMES}[\"']\s*:\s*[\"'])[^\"']*([\"'])", re.IGNORECASE), rf"\1{MASK}\2"),
    (re.compile(rf"(\b{SECRET_NAMES}=)[^&\s\"',;]+", re.IGNORECASE), rf"\1{MASK}"),
]


def scrub(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ScrubSecretsFilter(logging.Filter):
    """For logging handlers: the formatted message, scrubbed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
