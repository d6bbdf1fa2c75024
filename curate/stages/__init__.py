"""Stages: steps over batches of records, independent of the engine that runs them."""
