"""Issue 28, what a user types: bytes that are not UTF-8 in a question, `-k 0`, dates with garbage after them,
settings that divide by zero or index nothing, booleans for numbers, a settings file that is not UTF-8 or is a
folder, and `llm.n_ctx` past what the model was trained for. Real `qa` processes where the CLI is what is tested;
every test here failed before its fix.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from qa.config import Settings
from qa.errors import ConfigError

from tests.conftest import SAMPLE
from tests.qa_process import GB, run


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    r = run(["index", str(SAMPLE), "--index", str(folder / "idx"), "-q"])
    assert r.rc == 0, r.stderr
    return folder / "idx"


# -- 7. bytes that are not UTF-8 ------------------------------------------------------------------------

REAL = {"QA_EMBED_BACKEND": "onnx-int8"}  # the real tokenizer is what refused the lone surrogates


@pytest.fixture(scope="module")
def real_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-real")
    r = run(["index", str(SAMPLE), "--index", str(folder / "idx"), "-q"], extra_env=REAL)
    assert r.rc == 0, r.stderr
    return folder / "idx"


@pytest.mark.model
@pytest.mark.parametrize("args", [
    [b"ask", b"What did Ren say about chips\xff?", b"--no-llm", b"--json"],
    [b"ask", b"Which is it\xed\xa0\x80?", b"--no-llm", b"--json", b"--choices", b"chips", b"phones\xff", b"--history", b"Ren\xfe"],
    [b"search", b"Huawei chips\xff"],
    [b"search", b"Huawei chips\xff", b"--fused"],
    [b"quotes", b"Ren\xff", b"--about", b"chips\xff"],
])
def test_a_question_with_bytes_that_are_not_utf8_is_answered_not_a_traceback(real_index, args):
    r = run([*args, b"--index", str(real_index).encode()], extra_env=REAL)
    assert "Traceback" not in r.stderr and r.rc in (0, 2), r.stderr
    if args[0] == b"ask":
        answer = json.loads(r.stdout)
        assert answer["text"] and "\\udc" not in r.stdout


# -- 12. command-line values ------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["search", "chips", "-k", "0"], ["search", "chips", "-k", "-5"],
                                  ["search", "chips", "-k", "0", "--fused"], ["speakers", "-n", "-1"],
                                  ["quotes", "Ren", "-n", "0"]])
def test_a_count_that_is_not_positive_is_one_clear_error(sample_index, args):
    r = run([*args, "--index", str(sample_index)])
    assert r.rc == 2 and "must be a whole number > 0" in r.one_line_error(), r.stdout + r.stderr


@pytest.mark.parametrize("flag", ["--as-of", "--from", "--to"])
def test_a_date_with_garbage_after_it_is_refused(sample_index, flag):
    r = run(["ask", "What did Ren say about chips?", "--no-llm", flag, "2022-06-01garbage", "--index", str(sample_index)])
    assert r.rc == 1 and r.one_line_error() == f"error: {flag[2:].replace('-', '_').replace('from', 'date_from').replace('to', 'date_to')} '2022-06-01garbage' is not a date: use YYYY-MM-DD"
    r = run(["search", "chips", "--fused", "--as-of", "2022-06-01garbage", "--index", str(sample_index)])
    assert r.rc == 1 and "is not a date" in r.one_line_error()


def test_the_library_refuses_k_below_one_too(fake_assistant):
    a = fake_assistant()
    for k in (0, -5, True):
        with pytest.raises(ConfigError, match="must be a whole number > 0"):
            a.search("chips", k)
        with pytest.raises(ConfigError, match="must be a whole number > 0"):
            a.search_dense("chips", k)
    a.close()


# -- 13. settings --------------------------------------------------------------------------------------

@pytest.mark.parametrize("toml, message", [
    ("[retrieval]\nrrf_k = -1\n", "retrieval.rrf_k must be >= 0"),
    ("[answer]\nmax_sentences = 0\n", "answer.max_sentences must be > 0"),
    ("[answer]\nextractive_sentences = 0\n", "answer.extractive_sentences must be > 0"),
    ("[retrieval]\ntop_k = true\n", "setting 'retrieval.top_k' must be int, got True"),
    ("[ingest]\nmax_file_mb = true\n", "setting 'ingest.max_file_mb' must be float, got True"),
    ("[llm]\nenabled = 5\n", "setting 'llm.enabled' must be bool, got 5"),
    ("[ingest]\ndedup_threshold = 0\n", "ingest.dedup_threshold must be within 0..1"),
    ("[serve]\nmax_question_chars = 5000\n", "serve.max_question_chars must be 1..2000"),
])
def test_settings_that_would_break_something_later_are_refused_at_load(tmp_path, toml, message):
    (tmp_path / "qa.toml").write_text(toml)
    with pytest.raises(ConfigError) as err:
        Settings.load(tmp_path / "qa.toml", env={})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_settings_file_that_is_not_utf8_or_is_a_folder_is_one_line(tmp_path, sample_index):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'[llm]\nmodel = "caf\xe9"\n')
    r = run(["--settings", str(bad), "stats", "--index", str(sample_index)])
    assert r.rc == 1 and r.one_line_error() == f"error: settings file {bad} is not UTF-8 text (byte 0xe9 on line 2): save it as UTF-8"
    r = run(["--settings", str(tmp_path), "stats", "--index", str(sample_index)])
    assert r.rc == 1 and r.one_line_error().startswith(f"error: settings file {tmp_path} is a folder")


def test_rrf_k_minus_one_no_longer_divides_by_zero(tmp_path, sample_index):
    (tmp_path / "qa.toml").write_text("[retrieval]\nrrf_k = -1\n")
    r = run(["search", "chips", "--fused", "--index", str(sample_index)], cwd=tmp_path)
    assert r.rc == 1 and "retrieval.rrf_k must be >= 0" in r.one_line_error()


# -- 8. llm.n_ctx past the model's training ------------------------------------------------------------

def test_n_ctx_past_the_models_training_is_capped_with_a_warning():
    """SmolLM2 was trained with 8,192 tokens: 200,000 would allocate its KV cache past 4 GB."""
    code = ("import logging, sys\nlogging.basicConfig(level=logging.WARNING, format='%(message)s')\n"
            "from qa.config import LLMSettings\nfrom qa.generate.llama import LlamaCppGenerator\n"
            "g = LlamaCppGenerator(LLMSettings(model='smollm2-135m', n_ctx=200000, threads=1))\n"
            "print(g.n_ctx, g.count_tokens('hello world'))\n")

    def cap() -> None:  # a regression fails here, it does not take the machine's memory
        resource.setrlimit(resource.RLIMIT_AS, (3 * GB, 3 * GB))

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, preexec_fn=cap)
    assert out.returncode == 0 and out.stdout.split()[0] == "8192", out.stderr[-2000:]
    (line,) = [x for x in out.stderr.splitlines() if "n_ctx" in x]
    assert "llm.n_ctx 200000 is over the 8192 tokens" in line and "set llm.n_ctx <= 8192" in line
