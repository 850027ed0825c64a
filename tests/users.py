"""Staff users of a role, as the tests log them in: one helper instead of a copy per test module."""

from __future__ import annotations

from django.contrib.auth.models import Group, User


def staff_user(
    role: str | None,
    username: str = "olivia",
    *,
    client=None,
    password: str | None = None,
    superuser: bool = False,
) -> User:
    """A staff user in the group of ``role`` (none: no group), logged in on ``client`` if given.
    The password is ``pw-<username>`` unless told otherwise (browser and API tests type it)."""
    user = User.objects.create_user(
        username, password=password or f"pw-{username}", is_staff=True, is_superuser=superuser
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    if client is not None:
        client.force_login(user)
    return user
