"""`import qa` and `qa --help` stay light: no model and no native library loads; the eval suite stays outside."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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


# -- the rooms' walls (qa/index, qa/ingest, qa/news) ---------------------------------------------------------------
QA = Path(__file__).resolve().parent.parent / "qa"


def _imports(room: str) -> dict[str, set[str]]:
    """{module file: the qa packages it imports at run time}: every import statement of the room, at any depth
    (a function-level import counts), except those under `if TYPE_CHECKING:` (types only)."""
    found: dict[str, set[str]] = {}
    for path in sorted((QA / room).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        package = ["qa", *path.relative_to(QA).parent.parts]
        names = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                names |= {target} | {f"{target}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
        found[str(path.relative_to(QA))] = {".".join(n.split(".")[:2]) for n in names if n.startswith("qa.")}
    return found


@pytest.mark.parametrize(("room", "walled_off"), [("index", {"qa.ingest", "qa.news"}),
                                                  ("ingest", {"qa.index"}), ("news", {"qa.index", "qa.ingest"})])
def test_rooms_reach_each_other_only_through_their_protocols(room, walled_off):
    crossing = {f: sorted(pkgs & walled_off) for f, pkgs in _imports(room).items() if pkgs & walled_off}
    assert crossing == {}


def test_importing_the_index_loads_neither_ingest_nor_news():
    loaded = _modules_after("import qa.index, qa.index.faiss_fts5, qa.index.milvus, qa.index.check")
    assert "qa.index" in loaded and not [m for m in loaded if m.startswith(("qa.ingest", "qa.news"))]


def test_no_any_on_the_seams():
    """Parameters and fields named store, db, embedder or generator are typed by their protocol, never `Any`."""
    untyped = []
    for path in sorted(QA.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            args = node.args.args + node.args.kwonlyargs if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else []
            fields = [node] if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) else []
            for name, annotation in [(a.arg, a.annotation) for a in args] + [(f.target.id, f.annotation) for f in fields]:
                if name in {"store", "db", "embedder", "generator"} and annotation is not None \
                        and "Any" in ast.unparse(annotation):
                    untyped.append(f"{path.relative_to(QA)}:{node.lineno} {name}")
    assert untyped == []


def test_every_package_of_the_tree_is_shipped():
    """pyproject.toml lists its packages by hand: a new sub-package left out works in the checkout and fails installed."""
    import tomllib

    root = QA.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "qa").rglob("__init__.py")}
    found |= {"newsqa_eval" + "".join("." + part for part in p.parent.relative_to(root / "eval").parts)
              for p in (root / "eval").rglob("__init__.py") if "runs" not in p.parts}
    assert found - listed == set()
