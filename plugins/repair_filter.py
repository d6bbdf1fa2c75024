"""Built-in repair filter plugin (being written)."""
