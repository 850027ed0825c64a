"""A worker process for the concurrency tests: waits at a PostgreSQL barrier, then acts once.

Usage: python -m tests.helpers.race start CONNECTION_ID | execute RUN_ID | schedule SCHEDULE_NAME
Prints one JSON line. The barrier is an advisory lock the test holds: every process blocks on it
and all are released at the same instant when the test lets go.
"""

from __future__ import annotations

import json
import os
import sys

BARRIER_LOCK = 424242


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django

    django.setup()
    from django.db import connection

    from connector.models import AkeneoConnection
    from connector.runs import RunAlreadyActive, execute_run, start_run
    from connector.tasks import STRUCTURE_SYNC

    action, argument = sys.argv[1], sys.argv[2]
    ident = int(argument) if argument.isdigit() else 0
    print(json.dumps({"ready": os.getpid()}), flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [BARRIER_LOCK])
        cursor.execute("SELECT pg_advisory_unlock(%s)", [BARRIER_LOCK])
    if action == "start":
        try:
            run = start_run(STRUCTURE_SYNC, AkeneoConnection.objects.get(pk=ident))
            print(json.dumps({"started": run.pk}), flush=True)
        except RunAlreadyActive as exc:
            print(json.dumps({"refused": exc.run.pk if exc.run else None}), flush=True)
    elif action == "execute":
        print(json.dumps({"status": execute_run(ident)}), flush=True)
    elif action == "schedule":  # what django-q's scheduler does with a due schedule
        import ast

        from django.utils.module_loading import import_string
        from django_q.models import Schedule

        schedule = Schedule.objects.get(name=argument)
        print(
            json.dumps({"status": import_string(schedule.func)(*ast.literal_eval(schedule.args))}), flush=True
        )
    elif action == "work":  # no barrier partner needed: the test kills this one mid-run
        print(json.dumps({"status": execute_run(ident)}), flush=True)


if __name__ == "__main__":
    main()
