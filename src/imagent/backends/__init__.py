"""Backends: one abstract base per kind, providers resolved from string ids."""
