"""Curate's built-in plugins, registered through the ``curate`` entry-point group like any other."""
