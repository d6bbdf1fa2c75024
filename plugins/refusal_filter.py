"""Built-in refusal filter plugin (being written)."""
