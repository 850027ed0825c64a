"""`Authorization: Token <key>` for the supplier API, per-token throttling, and a request size limit."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.throttling import SimpleRateThrottle

from ..feeds import token_for_key
from ..models import ApiToken


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header is 'Token <key>'.")
        token = token_for_key(header[1].decode(errors="replace"))
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Unknown or revoked token.")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`, the key from POST /api/v1/auth/token/.",
        }


class PerTokenRateThrottle(SimpleRateThrottle):
    """API_RATE requests per token (10/second by default); 429 with Retry-After beyond."""

    scope = "token"

    def get_rate(self):
        return settings.API_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return f"api-throttle-token-{request.auth.pk}"
        return f"api-throttle-ip-{self.get_ident(request)}"


class PerUserRateThrottle(SimpleRateThrottle):
    """API_USER_RATE requests per user over all its tokens: minting more tokens buys no more."""

    scope = "user"

    def get_rate(self):
        return settings.API_USER_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return f"api-throttle-user-{request.auth.user_id}"
        return None  # unauthenticated calls: the token endpoint has its own throttle


class TokenEndpointThrottle(SimpleRateThrottle):
    """API_TOKEN_RATE attempts per client address at the token endpoint: passwords are not guessed
    at the speed of the network."""

    scope = "token-endpoint"

    def get_rate(self):
        return settings.API_TOKEN_RATE

    def get_cache_key(self, request, view):
        return f"api-throttle-login-{self.get_ident(request)}"


class RequestSizeLimit:
    """Middleware: an API request bigger than API_MAX_REQUEST_BYTES is refused before it is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.API_MAX_REQUEST_BYTES
            if length > limit:
                return JsonResponse(
                    {"detail": f"The request is {length} bytes; the limit is {limit} bytes."}, status=413
                )
        return self.get_response(request)
