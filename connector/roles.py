"""The product's roles as Django groups, and the permissions each one holds.

Apps contribute permission patterns (``app_label.codename`` with ``*`` wildcards); the groups are
brought up to date after every ``migrate``, so a new model's permissions reach the roles without
a hand-written data migration each time.
"""

from __future__ import annotations

from fnmatch import fnmatch

BUSINESS_CONSULTANT = "Business consultant"
SDM_ADMIN = "SDM admin"
OPERATOR = "Operator"
# API-only accounts of a supplier, tied to projects; each sees and acts on its own files and jobs.
SUPPLIER = "Supplier"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    BUSINESS_CONSULTANT: [
        "connector.*_akeneoconnection",
        "connector.*_eventsubscription",
        "connector.view_*",
        "connector.cancel_run",
        "django_q.view_*",
    ],
    SDM_ADMIN: [
        "connector.view_*",
        "connector.test_akeneoconnection",
        "connector.sync_akeneoconnection",
        "connector.cancel_run",
    ],
    OPERATOR: [
        "connector.view_*",
        "connector.test_akeneoconnection",
        "connector.sync_akeneoconnection",
        "connector.cancel_run",
        "django_q.view_*",
    ],
    SUPPLIER: [],
}
# Roles that never sign in to the admin.
API_ONLY_ROLES = {SUPPLIER}


def add_role_permissions(role: str, patterns: list[str]) -> None:
    """For other apps: extend a role (call from AppConfig.ready)."""
    ROLE_PERMISSIONS.setdefault(role, []).extend(patterns)


def ensure_roles(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    permissions = list(Permission.objects.select_related("content_type"))
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [
            p
            for p in permissions
            if any(fnmatch(f"{p.content_type.app_label}.{p.codename}", pat) for pat in patterns)
        ]
        group.permissions.set(wanted)
