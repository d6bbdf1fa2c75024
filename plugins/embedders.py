"""Built-in embedders plugin (being written)."""
