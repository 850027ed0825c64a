"""The bundled sandbox PIM: a fake Akeneo on 127.0.0.1 for the tests and the demo. No Django here."""

from .catalog import Catalog, build_demo_catalog
from .server import SANDBOX_CREDENTIALS, FakeAkeneo, RequestRecord

__all__ = ["SANDBOX_CREDENTIALS", "Catalog", "FakeAkeneo", "RequestRecord", "build_demo_catalog"]
