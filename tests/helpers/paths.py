"""Where the tests find the checkout and the shared real annotation files."""
from pathlib import Path

#: The repository root (``tests/..``).
REPO = Path(__file__).resolve().parents[2]
#: The real annotation files shared beside the checkout
#: (``../shared/data``); tests that need one skip when it is absent.
SHARED_DATA = REPO.parent / 'shared' / 'data'
