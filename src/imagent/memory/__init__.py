"""Memory of users across turns and sessions."""
