"""The bundled sandbox PIM: a fake Akeneo on 127.0.0.1 for the tests and the demo. No Django here.

``build_demo_catalog`` makes the data, ``FakeAkeneo`` serves it over real HTTP following the
official Akeneo REST API contract, with fault injection (``pim.faults``) and a request log.
``add_table_attribute`` opts a catalog in to a table attribute (``nutrition``), which the default
demo catalog leaves out.
"""

from .catalog import Catalog, build_demo_catalog
from .server import SANDBOX_CREDENTIALS, FakeAkeneo, RequestRecord
from .structure import add_table_attribute

__all__ = [
    "SANDBOX_CREDENTIALS",
    "Catalog",
    "FakeAkeneo",
    "RequestRecord",
    "add_table_attribute",
    "build_demo_catalog",
]
