"""News-aware enrichment: quotes and speakers, name variants, near-duplicate stories."""
