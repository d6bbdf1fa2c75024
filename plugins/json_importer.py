"""The built-in json importer (being written)."""
