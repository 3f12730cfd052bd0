"""Helpers for the web UI tests: run `qa ui` on a free port, and a headless Debian chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
STARTUP_S = 300


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_index(src: Path, dest: Path) -> Path:
    """A private copy of an index folder (the UI tests add articles to theirs)."""
    shutil.copytree(src, dest)
    return dest


@contextmanager
def running_ui(index_dir: Path, log_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`qa ui --index DIR --port N` in a subprocess, as a user starts it; yields (url, process)."""
    port = free_port()
    qa_bin = Path(sys.executable).with_name("qa")
    cmd = [str(qa_bin)] if qa_bin.exists() else [
        sys.executable, "-c", "from qa.cli import main; raise SystemExit(main())"]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([*cmd, "ui", "--index", str(index_dir), "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, proc, log_path)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_until_up(url: str, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`qa ui` exited with {proc.returncode}:\n{log_tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"`qa ui` did not answer on {url} within {STARTUP_S} s:\n{log_tail(log_path)}")


def log_tail(path: Path, n: int = 3000) -> str:
    return path.read_text(errors="replace")[-n:] if path.exists() else "(no log)"


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
