"""Evaluation suite: gold sets, scorers, runner and reports (see eval/README.md)."""
