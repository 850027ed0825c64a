import json

from django.core.management.base import BaseCommand, CommandError

from connector.command_runs import exit_if_failed, run_from_command
from sdm.models import JobRow, SupplierJob
from sdm.tasks import JOB_PUSH


class Command(BaseCommand):
    help = "Finalize a supplier job: push its products to the PIM (resumes where a previous push stopped)."

    def add_arguments(self, parser):
        parser.add_argument("--job", required=True, type=int)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        job = SupplierJob.objects.filter(pk=options["job"]).select_related("workflow__connection").first()
        if job is None:
            raise CommandError(f"No supplier job #{options['job']}.")
        run = run_from_command(JOB_PUSH, job, what=f"Push of job #{job.pk}")
        counts = {key: run.counters.get(key, 0) for key in ("created", "updated", "skipped", "failed")}
        failures = list(
            job.rows.filter(outcome=JobRow.Outcome.FAILED)
            .order_by("line")
            .values("line", "identifier", "message")
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "run": run.pk,
                        "status": run.status,
                        "error": run.error or None,
                        **counts,
                        "failures": failures,
                    }
                )
            )
        else:
            self.stdout.write(
                f"Run #{run.pk} {run.get_status_display().lower()}: "
                + ", ".join(f"{value} {key}" for key, value in counts.items())
            )
            for failure in failures:
                self.stdout.write(f"  line {failure['line']} {failure['identifier']}: {failure['message']}")
        exit_if_failed(run)
