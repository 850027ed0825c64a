"""Settings for the test suite: the same settings, with test-only defaults for what must be set."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret")
os.environ.setdefault("Q_SYNC", "True")
os.environ.setdefault("SFCC_POLL_SECONDS", "0")
os.environ.setdefault(
    "SFCC_BACKOFF_SECONDS", "0.01"
)  # retries still happen, without the production waits  # the fake SFCC finishes imports after a poll or two
os.environ.setdefault("API_RATE", "10000/second")  # the throttle tests set their own rates
os.environ.setdefault("API_USER_RATE", "10000/second")
os.environ.setdefault("API_TOKEN_RATE", "10000/minute")
os.environ.setdefault("DEBUG", "False")  # a developer's .env must not change how tests run

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
