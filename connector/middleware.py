"""Requests the application refuses before any view reads them, and the time zone a request is
shown in."""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import timezone

NUL_MESSAGE = "The request's parameters hold a NUL character."


class RejectNulCharacters:
    """A NUL in a query parameter reaches a database filter, which PostgreSQL refuses with an
    error (a 500); no real parameter holds one, so the request is refused with a 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE)
        return self.get_response(request)


TIME_ZONE_COOKIE = "connector_tz"
# An IANA name ("Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+3"): nothing else is
# looked up, so a cookie can never name a file outside the zone database.
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    if len(name) > 64 or not _ZONE_NAME.fullmatch(name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def user_time_zone(request) -> ZoneInfo | None:
    """The zone the browser reported (connector/static/connector/timezone.js), if it is a real one."""
    name = request.COOKIES.get(TIME_ZONE_COOKIE, "")
    return _zone(name) if name else None


class UserTimeZone:
    """Dates are shown in the user's own time zone: the one their browser reports in a cookie, else
    settings.TIME_ZONE. Activated for the request only, so one user's zone never leaks into the
    next request the same thread serves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = user_time_zone(request)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
