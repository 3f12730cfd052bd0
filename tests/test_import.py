"""`import qa` and `qa --help` stay light: no model and no native library loads; the eval suite stays outside."""

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
    code = ("import qa.cli, contextlib, io\nbuf = io.StringIO()\ntry:\n    with contextlib.redirect_stdout(buf):\n"
            "        qa.cli.main(['--help'])\nexcept SystemExit as exc:\n    assert exc.code == 0\nassert 'usage: qa' in buf.getvalue()")
    loaded = _modules_after(code)
    assert "qa.cli" in loaded and not [m for m in HEAVY if m in loaded]


def test_the_library_never_imports_the_eval_suite():
    loaded = _modules_after("import qa.assistant, qa.app, qa.cli")
    assert not [m for m in loaded if m.split(".")[0] in {"eval", "newsqa_eval"}]
    # `qa --help` lists the suite's commands through its entry point: only its small registrar module loads
    loaded = _modules_after("import qa.cli\nqa.cli.build_parser()")
    assert {m for m in loaded if m.split(".")[0] in {"eval", "newsqa_eval"}} <= {"newsqa_eval", "newsqa_eval.cli"}


def test_qa_help_runs():
    out = subprocess.run([sys.executable, "-m", "qa.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("index", "ask", "search", "stats", "chat", "ui", "eval", "quotes", "speakers"):
        assert command in out.stdout
