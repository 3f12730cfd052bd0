"""The prompt templates, as package data (see qa/generate/prompts.py)."""
