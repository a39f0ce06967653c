"""Writes of the works app (services: typed, audited, atomic)."""
