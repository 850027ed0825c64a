import signal

from django.core.management.base import BaseCommand, CommandError

from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, build_demo_catalog


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the bundled sandbox PIM (a fake Akeneo that follows the official REST API) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8081, help="Port to listen on (0: any free port).")
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument(
            "--products", type=int, default=300, help="Number of products in the demo catalog."
        )
        parser.add_argument("--seed", type=int, default=42, help="Seed of the demo catalog.")
        parser.add_argument(
            "--latency-ms",
            type=float,
            default=0.0,
            help="Milliseconds added to every API call, like a SaaS PIM's answer time (default 0).",
        )
        parser.add_argument(
            "--no-event-delivery",
            action="store_true",
            help="Queue the Event Platform's events; POST /_sandbox/events/deliver sends them.",
        )

    def handle(self, *args, **options):
        if options["products"] < 0:
            raise CommandError("--products must be 0 or more.")
        if not 0 <= options["latency_ms"] <= 60_000:
            raise CommandError("--latency-ms must be from 0 to 60000.")
        catalog = build_demo_catalog(products=options["products"], seed=options["seed"])
        pim = FakeAkeneo(
            catalog, host=options["host"], port=options["port"], latency=options["latency_ms"] / 1000
        )
        credentials = " ".join(f"{key}={value}" for key, value in SANDBOX_CREDENTIALS.items())

        def ready(base_url: str) -> None:
            # The public sandbox's credentials: printing them is the point.
            self.stdout.write(
                f"Sandbox PIM on {base_url} ({len(catalog.products)} products, "
                f"{len(catalog.product_models)} product models); credentials: {credentials}"
            )
            self.stdout.flush()

        try:
            signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly under a process manager
        except ValueError:
            pass  # not the main thread: Ctrl-C / the caller stops us
        if not options["no_event_delivery"]:
            pim.events.start_delivery(interval=0.5)
        try:
            pim.serve_forever(ready=ready)
        except KeyboardInterrupt:
            self.stdout.write("Sandbox PIM stopped.")
        except OSError as error:
            raise CommandError(
                f"The sandbox PIM could not listen on {options['host']}:{options['port']}: {error}"
            ) from error
        finally:
            pim.events.stop_delivery()
