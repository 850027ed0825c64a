"""Scripted user set-up: a staff user holding exactly one of the product's roles."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from .roles import API_ONLY_ROLES, ROLE_PERMISSIONS


def role_named(text: str) -> str:
    """``operator``, ``sdm-admin``, ``Business consultant``… → the role's group name."""
    wanted = text.strip().lower().replace("-", " ").replace("_", " ")
    for role in ROLE_PERMISSIONS:
        if role.lower() == wanted:
            return role
    raise ValidationError(f"Unknown role '{text}' (known: {', '.join(ROLE_PERMISSIONS)}).")


@transaction.atomic
def create_user(
    username: str,
    role: str,
    *,
    email: str = "",
    password: str | None = None,
    projects: list[str] | None = None,
) -> tuple[object, str]:
    """Create or update the user with that role only; returns it and its (new) password.

    API-only roles (suppliers) get no admin access and are tied to the named projects, which
    must exist; the other roles are staff and take no projects.
    """
    role = role_named(role)
    group = Group.objects.get(name=role)
    api_only = role in API_ONLY_ROLES
    workflows = _projects(projects or [], role, api_only)
    password = password or secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff, user.is_superuser = not api_only, False
    if email:
        user.email = email
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([group])
    if api_only:
        user.supplier_projects.set(workflows)
    return user, password


def _projects(names: list[str], role: str, api_only: bool) -> list:
    from sdm.models import Workflow  # sdm builds on connector; only this set-up reaches across

    names = [name.strip() for name in names if name.strip()]
    if not api_only:
        if names:
            raise ValidationError(f"The role {role} sees every project; --projects is for suppliers.")
        return []
    if not names:
        raise ValidationError("A supplier is tied to at least one project: give --projects.")
    found = {w.name: w for w in Workflow.objects.filter(name__in=names)}
    unknown = [name for name in names if name not in found]
    if unknown:
        known = ", ".join(Workflow.objects.order_by("name").values_list("name", flat=True)) or "none yet"
        raise ValidationError(f"Unknown project(s): {', '.join(unknown)} (known: {known}).")
    return [found[name] for name in names]
