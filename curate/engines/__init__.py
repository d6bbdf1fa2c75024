"""Engines drive the same stages: local (streaming, one process) and Ray Data."""
