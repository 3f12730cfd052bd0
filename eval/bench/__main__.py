"""`python -m eval.bench`: see eval/bench/__init__.py."""

from .cli import main

raise SystemExit(main())
