"""The built-in csv importer (being written)."""
