import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connector.command_runs import exit_if_failed, run_from_command
from connector.connections import describe_validation_error, find_connection
from connector.models import AkeneoConnection, Run
from connector.sync import mirror_counts
from connector.tasks import STRUCTURE_SYNC


class Command(BaseCommand):
    help = "Synchronise a connection's PIM structure into the mirror (inline, or queued with --async)."

    def add_arguments(self, parser):
        parser.add_argument("--connection", required=True, help="Connection name.")
        parser.add_argument(
            "--async", dest="run_async", action="store_true", help="Queue it for the workers."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        name = options["connection"]
        try:
            connection = find_connection(name)
        except ValidationError as exc:
            raise CommandError(describe_validation_error(exc)) from None
        run = run_from_command(
            STRUCTURE_SYNC, connection, what=f"Sync of '{name}'", inline=not options["run_async"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(self._as_json(run, connection)))
        else:
            self._print_summary(run)
        exit_if_failed(run)

    def _as_json(self, run: Run, connection: AkeneoConnection) -> dict:
        result = run.typed_result
        per_type = result.per_type
        return {
            "run": run.pk,
            "status": run.status,
            "error": run.error or None,
            "counts": result.mirror_counts or mirror_counts(connection),
            **{
                counter: {name: outcome[counter] for name, outcome in per_type.items()}
                for counter in ("created", "updated", "unchanged", "deleted")
            },
        }

    def _print_summary(self, run: Run) -> None:
        counters = run.counters
        self.stdout.write(
            f"Run #{run.pk} {run.get_status_display().lower()}: "
            + ", ".join(f"{counters.get(c, 0)} {c}" for c in ("created", "updated", "unchanged", "deleted"))
        )
        result = run.typed_result
        for name, outcome in result.per_type.items():
            live = result.mirror_counts.get(name, 0)
            changes = f"+{outcome['created']} ~{outcome['updated']} -{outcome['deleted']}"
            self.stdout.write(f"  {name:<28} {live:>7} active  ({changes})")
