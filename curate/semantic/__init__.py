"""The semantic stage: embeddings, K-means, near-duplicate removal, diversity."""
