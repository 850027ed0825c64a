"""Shared start of the Django benchmarks: a throwaway SQLite database unless DATABASE_URL is set."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_on_throwaway_db(prefix: str) -> Path:
    """Set up Django (settings from the environment, quiet logs), migrate, return a scratch folder."""
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("Q_SYNC", "True")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return workdir


def bench_sfcc_export():
    """bench/sfcc_export.py as a module (its helpers: the sandbox in its own process, the peak-RSS
    window, the synced profile), loaded by path: its module name is the Django app's."""
    spec = importlib.util.spec_from_file_location(
        "bench_sfcc_export", Path(__file__).with_name("sfcc_export.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
