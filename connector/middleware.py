"""Requests the application refuses before any view reads them."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse

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
