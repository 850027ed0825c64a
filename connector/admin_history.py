"""The admin's history ("History" on every object) for what the custom admin pages do.

Django writes a LogEntry for the forms it owns (add, change, delete); the buttons and tabs we add
(Synchronize, Export, Finalize, the attribute tab, value mapping, cancel) go through ``record`` so
that who did what, and when, is found in the same place.
"""

from __future__ import annotations

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import models
from django.http import HttpRequest


def record(request: HttpRequest, obj: models.Model, message: str) -> None:
    """One history line on ``obj``, by the request's user (nothing for an anonymous request)."""
    if not request.user.is_authenticated:
        return
    LogEntry.objects.log_actions(
        user_id=request.user.pk,
        queryset=[obj],
        action_flag=CHANGE,
        change_message=message[:2000],
        single_object=True,
    )
