"""Core records and errors."""
