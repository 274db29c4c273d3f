"""Hostile and broken input (issue 6). A package, so its conftest does not shadow tests/gui's."""
