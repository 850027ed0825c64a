import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connector.connections import describe_validation_error
from sdm.jobs import import_supplier_file, mapping_summary
from sdm.services import find_workflow
from sdm.supplier_files import SupplierFileError


class Command(BaseCommand):
    help = (
        "Import a supplier file (CSV or XLSX) into a new job of a workflow; columns are mapped automatically."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workflow", required=True)
        parser.add_argument("--file", required=True)
        parser.add_argument("--name", help="Job name (default: the file name).")
        parser.add_argument(
            "--media-dir", help="Folder of the files named in media cells (default: the file's)."
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            workflow = find_workflow(options["workflow"])
            job = import_supplier_file(workflow, options["file"], options["name"], options["media_dir"])
        except ValidationError as exc:
            raise CommandError(describe_validation_error(exc)) from None
        except (SupplierFileError, OSError) as exc:
            raise CommandError(f"Cannot import {options['file']}: {exc}") from None
        summary = mapping_summary(job)
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"Job #{job.pk}: {summary['rows']} rows, {summary['columns']} columns, "
            f"{len(summary['mapped'])} mapped, {len(summary['unmapped'])} unmapped"
        )
        for column in summary["mapped"]:
            self.stdout.write(f"  {column['header']} -> {column['sdm_attribute'] or column['role']}")
        if summary["unmapped"]:
            self.stdout.write(f"  not mapped: {', '.join(summary['unmapped'])}")
