"""The `imagent` command line."""
