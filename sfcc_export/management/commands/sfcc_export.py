import json

from django.core.management.base import BaseCommand, CommandError

from connector.command_runs import exit_if_failed, run_from_command
from sfcc_export.export import JOBS, MODES
from sfcc_export.models import ExportProfile
from sfcc_export.tasks import COUNT_NAMES, EXPORT


class Command(BaseCommand):
    help = "Run an SFCC export job of a profile (inline) and print what it wrote."

    def add_arguments(self, parser):
        parser.add_argument("--profile", required=True)
        parser.add_argument("--job", required=True, choices=JOBS)
        parser.add_argument("--mode", choices=MODES, default="full")
        parser.add_argument("--output", help="Output folder for this run.")
        parser.add_argument(
            "--deliver",
            action="store_true",
            default=None,
            help="Upload the archive to the profile's SFCC instance and import it "
            "(default: when the profile's delivery target is an instance).",
        )
        parser.add_argument(
            "--file",
            help="refinements job: the storefront catalog export to read (a path, or webdav:Impex/src/...; "
            "default: downloaded from the instance)",
        )
        parser.add_argument(
            "--confirm-empty",
            action="store_true",
            help="refinements job: clear the saved refinements when the export has none (refused otherwise)",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        profile = ExportProfile.objects.filter(name=options["profile"]).first()
        if profile is None:
            raise CommandError(f"No export profile named '{options['profile']}'.")
        params = {"job": options["job"], "mode": options["mode"], "output": options["output"]}
        if options["deliver"] is not None:
            params["deliver"] = True
        if options["file"]:
            params["file"] = options["file"]
        if options["confirm_empty"]:
            params["confirm_empty"] = True
        run = run_from_command(EXPORT, profile, what=f"Export of '{profile}'", params=params)
        result = run.typed_result
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "run": run.pk,
                        "status": run.status,
                        "error": run.error or None,
                        "job": options["job"],
                        "mode": result.mode or options["mode"],
                        "files": result.files,
                        "archive": result.archive,
                        "attributes": result.attributes,
                        **{name: result.counts.get(name, 0) for name in COUNT_NAMES},
                        "watermarks": result.watermarks,
                        "delivery": result.delivery,
                    }
                )
            )
        else:
            self.stdout.write(
                f"Run #{run.pk} {run.get_status_display().lower()}: {result.archive or run.error}"
            )
        exit_if_failed(run)
