"""Prompt templates as files: `{name}` placeholders, chat roles split at '### system' / '### user' lines, and a
TOML header between '+++' lines for what belongs to the prompt besides its text (its stop strings).

The templates are the files of the repository's top-level prompts/ folder (`PROMPTS_FOLDER`), one per step of the
answer (read.txt, compose_*.txt, verify.txt, ...). pyproject.toml installs that folder as the package `qa.prompts`,
so a non-editable install finds them too; `prompts_dir` points elsewhere to try other wording.
"""

from __future__ import annotations

import re
import string
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from . import Message

_HEADER = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n", re.S)


PROMPTS_FOLDER = Path(__file__).resolve().parents[2] / "prompts"  # the repository's prompts/ (a checkout)
PROMPTS_PACKAGE = "qa.prompts"  # the same folder once installed (pyproject.toml: package-dir "qa.prompts" = "prompts")


def packaged_prompts() -> Path:
    """The folder of the prompt files: the checkout's prompts/, else the installed package `qa.prompts`."""
    if PROMPTS_FOLDER.is_dir():
        return PROMPTS_FOLDER
    return Path(str(resources.files(PROMPTS_PACKAGE)))


class Prompts:
    """Prompt templates read from a folder (default: the packaged ones), cached."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else packaged_prompts()
        if not self.folder.is_dir():
            raise ConfigError(f"prompts folder {self.folder} does not exist: set prompts_dir to a folder of prompt files, or leave it empty")
        self._cache: dict[str, tuple[dict[str, Any], str]] = {}

    def _load(self, name: str) -> tuple[dict[str, Any], str]:
        if name not in self._cache:
            path = self.folder / f"{name}.txt"
            if not path.is_file():
                raise ConfigError(f"prompt file {path} is missing: restore it from the repository")
            text = path.read_text(encoding="utf-8")
            header: dict[str, Any] = {}
            m = _HEADER.match(text)
            if m:
                try:
                    header = tomllib.loads(m.group(1))
                except tomllib.TOMLDecodeError as exc:
                    raise ConfigError(f"prompt file {path}: its +++ header is not valid TOML ({exc})") from None
                text = text[m.end():]
            self._cache[name] = (header, text)
        return self._cache[name]

    def template(self, name: str) -> str:
        return self._load(name)[1]

    def header(self, name: str) -> dict[str, Any]:
        """The prompt file's TOML header (stop strings, and tables such as the answer forms of compose.txt)."""
        return self._load(name)[0]

    def stop(self, name: str) -> list[str]:
        """The strings that end the model's reply to this prompt (from the file's header)."""
        return list(self._load(name)[0].get("stop", []))

    def fields(self, name: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(self.template(name)) if f}

    def render(self, name: str, **values: str) -> str:
        needed = self.fields(name)
        absent = needed - set(values)
        if absent:
            raise ConfigError(f"prompt {name}.txt needs {sorted(absent)}; the code passed {sorted(values)}")
        return self.template(name).format(**{k: values[k] for k in needed})

    def messages(self, name: str, **values: str) -> list[Message]:
        """A prompt file split into chat messages at lines '### system' / '### user' / '### assistant'."""
        text = self.render(name, **values)
        parts = re.split(r"^### (system|user|assistant)\s*$", text, flags=re.M)
        if len(parts) == 1:
            return [{"role": "user", "content": text.strip()}]
        return [{"role": role, "content": body.strip()} for role, body in zip(parts[1::2], parts[2::2])]
