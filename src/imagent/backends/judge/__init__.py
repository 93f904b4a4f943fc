"""judge backends."""
