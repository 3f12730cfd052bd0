"""Several tabs at once: 4 simultaneous questions (and an upload) through the app's API (gradio_client)."""

from __future__ import annotations

import re
import threading
import time

import pytest

from eval.serving import run_together
from tests.app.harness import serving_a_copy

pytestmark = [pytest.mark.model]

# Four questions with four different answers in the sample article.
QUESTIONS = {
    "What did Ren say about chips?": r"invest in chip",
    "What does Ren hope to buy from American companies?": r"components|materials|equipment",
    "Which smartphone brand did Huawei sell in November?": r"\bHonor\b",
    "Where did Huawei inaugurate a new laboratory?": r"Taiyuan",
}


@pytest.fixture(scope="module")
def ui(real_sample_index, tmp_path_factory):
    with serving_a_copy(real_sample_index, tmp_path_factory.mktemp("ui-api")) as (url, proc, _):
        yield url, proc


def _plain(markdown: str) -> str:
    """A chat bubble's text without its Markdown escapes and HTML tags."""
    return re.sub(r"\\(.)", r"\1", re.sub(r"<[^>]+>", "", markdown))


def test_four_simultaneous_questions_get_their_own_answers(ui, tmp_path):
    from gradio_client import Client, handle_file

    url, proc = ui
    results: dict[str, tuple] = {}
    errors: list[str] = []
    start = threading.Barrier(len(QUESTIONS) + 1)
    upload = tmp_path / "harbour.txt"
    upload.write_text("Harbour news\n\nThe Lakeview harbour will reopen on 3 June after repairs, "
                      "the port authority said.")

    def tab(question: str) -> None:
        try:
            client = Client(url, verbose=False)  # one client = one browser tab (its own session)
            start.wait()
            t = time.perf_counter()
            out = client.predict(question, [], "", "", "", 8, api_name="/ask")
            results[question] = (*out, time.perf_counter() - t)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(f"{question}: {type(exc).__name__}: {exc}")

    def uploader() -> None:  # a fifth tab adds an article while the others are being answered
        try:
            client = Client(url, verbose=False)
            start.wait()
            results["upload"] = client.predict([handle_file(str(upload))], api_name="/add_files")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(f"upload: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=tab, args=(q,)) for q in QUESTIONS] + [threading.Thread(target=uploader)]
    wall = run_together(threads, timeout=900)
    assert not errors, errors
    assert set(results) == {*QUESTIONS, "upload"}
    assert "1 added" in results["upload"][0] and "<td>Articles</td><td>2</td>" in results["upload"][1]

    answers = {}
    for question, pattern in QUESTIONS.items():
        _box, chat, panel, error, seconds = results[question]
        assert error == "", f"{question}: {error}"
        assert [m["role"] for m in chat] == ["user", "assistant"], chat
        assert _plain(chat[0]["content"][0]["text"]) == question
        answer = _plain(chat[-1]["content"][0]["text"])
        assert re.search(pattern, answer, re.I), f"{question} -> {answer}"
        assert f"Sources for: <b>{question}</b>" in panel  # each tab got the sources of its own question
        assert "<mark>" in panel
        answers[question] = answer
    assert len(set(answers.values())) == len(QUESTIONS)
    assert proc.poll() is None, "the server died"
    print(f"\n4 simultaneous questions: {wall:.1f} s wall; each: "
          + ", ".join(f"{results[q][-1]:.1f}" for q in QUESTIONS))
