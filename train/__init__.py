"""Fine-tuning on a curate build (placeholder until issue 5 lands)."""
