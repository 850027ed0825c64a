"""Where the project is, for tests in any folder under tests/."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
