"""The built-in sql importer (being written)."""
