from rest_framework import permissions


class HasPermission(permissions.BasePermission):
    """The view's ``required_perms`` (per HTTP method), held by the token's user: the same Django
    permissions as in the admin, so a token acts with its user's role."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        needed = getattr(view, "required_perms", {}).get(method)
        return True if needed is None else request.user.has_perms(needed)  # None: the view answers 405
