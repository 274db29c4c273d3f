"""The letters shipped with Epistola, as package data: ``files("viewer.letters")``."""
