"""``python -m viewer``: the same as the ``epistola`` command (the desktop entry may use it)."""

import sys

from viewer.cli import entry

if __name__ == "__main__":
    sys.exit(entry())
