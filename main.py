"""Starts Epistola: ``python main.py [FILE|FOLDER] [--dump|--check|--index ...]``."""

import sys

from viewer.cli import main

if __name__ == "__main__":
    sys.exit(main(exit_at_once=True))
