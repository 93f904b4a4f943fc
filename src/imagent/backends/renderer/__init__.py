"""renderer backends."""
