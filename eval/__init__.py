"""Evaluation suite: gold sets, scorers, runner and reports here; benchmarks, studies, training and crash tools in
bench/, studies/, fit/ and crash/ (see eval/README.md)."""
