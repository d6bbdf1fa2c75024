"""The built-in html importer (being written)."""
