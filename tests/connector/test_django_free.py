"""The modules that promise to work without Django (the Akeneo client, the SFCC client and the
archive tools, usable from scripts and benchmarks) import without loading any of it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.paths import ROOT

DJANGO_FREE = (
    "connector.akeneo",
    "sfcc_export.delivery",
    "sfcc_export.job_log",
    "sfcc_export.archive_parts",
    "sfcc_export.xml_check",
)
PROBE = """
import sys
import {module}
loaded = sorted(name for name in sys.modules if name == "django" or name.startswith("django."))
print(" ".join(loaded))
sys.exit(1 if loaded else 0)
"""


@pytest.mark.parametrize("module", DJANGO_FREE)
def test_imports_without_django(module):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert probe.returncode == 0, f"{module} loads Django: {probe.stdout or probe.stderr}"
