"""Helpers for the web UI tests: run `qa ui` on a free port (started and waited for by eval/serving.py), and a
headless Debian chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from eval.serving import free_port, running

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
STARTUP_S = 300


def copy_index(src: Path, dest: Path) -> Path:
    """A private copy of an index folder (the UI tests add articles to theirs)."""
    shutil.copytree(src, dest)
    return dest


# An article the UI tests upload or index beside the sample one (a dated, sourced Markdown file).
LAKEVIEW_FERRY = """---
title: Lakeview opens a solar ferry terminal
date: 2021-03-02
source: Lakeview Gazette
url: https://example.org/lakeview-ferry
---
Lakeview will open a solar-powered ferry terminal on the north shore in May, Mayor Mira Okafor said on Tuesday.

The terminal will serve 4,000 passengers a day and cost 12 million dollars, according to the city council.
"""


@contextmanager
def serving_a_copy(index_dir: Path, tmp: Path) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """`qa ui` on a private copy of an index folder in ``tmp`` (the tests add to it, save chats, remove articles);
    yields (url, process, the copy)."""
    index = copy_index(index_dir, tmp / "index")
    with running_ui(index, tmp / "server.log") as (url, proc):
        yield url, proc, index


@contextmanager
def running_ui(index_dir: Path, log_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`qa ui --index DIR --port N` in a subprocess, as a user starts it; yields (url, process)."""
    port = free_port()
    qa_bin = Path(sys.executable).with_name("qa")
    cmd = [str(qa_bin)] if qa_bin.exists() else [
        sys.executable, "-c", "from qa.cli import main; raise SystemExit(main())"]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    url = f"http://127.0.0.1:{port}/"
    with running([*cmd, "ui", "--index", str(index_dir), "--port", str(port)], url, "`qa ui`", log=log_path, env=env,
                 timeout=STARTUP_S, interval=1, stop_timeout=30) as proc:
        yield url, proc


@contextmanager
def chromium_page(width: int = 1400, height: int = 1100):  # noqa: ANN201 - playwright Page
    """A page in Debian's headless chromium (skips the test when it or Playwright is missing)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (`make browser`, or apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: run `make install`")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def ask_in_page(page, question: str, timeout_s: float = 420) -> str:  # noqa: ANN001
    """Type a question, press Ask, wait for its sources (or an error line); returns the last answer's text."""
    page.locator("#qa-question textarea").fill(question)
    page.locator("#qa-send").click()
    page.wait_for_function(
        """q => (document.querySelector('#qa-sources')?.innerText || '').includes('Sources for: ' + q)
               || (document.querySelector('#qa-error .qa-error')?.innerText || '').trim().length > 0""",
        arg=question, timeout=timeout_s * 1000, polling=500)
    error = " ".join(page.locator("#qa-error .qa-error").all_inner_texts()).strip()
    assert not error, f"the UI showed an error for {question!r}: {error}"
    return page.locator('#qa-chat [data-testid="bot"]').last.inner_text()
