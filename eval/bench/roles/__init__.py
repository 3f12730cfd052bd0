"""The benchmark's measurement roles, one module each, by name: each runs in a process of its own (`--role NAME`)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import answers, cold, fast, hnsw, limit, plain, threads

# in the order a full run takes them
ROLES: dict[str, Callable[[argparse.Namespace, dict[str, Any]], dict[str, Any]]] = {
    "plain": plain.run, "fast": fast.run, "hnsw": hnsw.run, "limit": limit.run, "threads": threads.run,
    "answers": answers.run, "cold": cold.run,
}


def run_role(role: str, args: argparse.Namespace) -> dict[str, Any]:
    """One role's result, with the plan its work folder holds."""
    plan = json.loads((Path(args.work) / "plan.json").read_text())
    return ROLES[role](args, plan)
