import signal

from django.core.management.base import BaseCommand

from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, build_demo_catalog


class Command(BaseCommand):
    help = "Run the bundled sandbox PIM (a fake Akeneo that follows the official API) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8081)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--products", type=int, default=300, help="Number of products in the demo catalog."
        )
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, **options):
        catalog = build_demo_catalog(products=options["products"], seed=options["seed"])
        pim = FakeAkeneo(catalog, host=options["host"], port=options["port"])
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        credentials = " ".join(f"{key}={value}" for key, value in SANDBOX_CREDENTIALS.items())
        self.stdout.write(
            f"Sandbox PIM on http://{options['host']}:{options['port']} "
            f"({len(catalog.products)} products, {len(catalog.product_models)} product models); "
            f"public sandbox credentials: {credentials}"
        )
        self.stdout.flush()
        try:
            pim.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Sandbox PIM stopped.")
