"""Built-in quality filter plugin (being written)."""
