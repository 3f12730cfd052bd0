"""eval/serving.py: the one helper that starts a server (`qa serve`, `qa ui`, llama_cpp.server) and waits for it."""

from __future__ import annotations

import sys
import urllib.request

import pytest

from eval.serving import ServerError, free_port, running


def test_a_server_is_up_inside_and_stopped_after(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with running([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
                 url, "http.server", log=tmp_path / "log", timeout=60, interval=0.1) as proc:
        with urllib.request.urlopen(url, timeout=5) as r:
            assert r.status == 200
    assert proc.poll() is not None


def test_a_server_that_exits_first_is_one_error_with_its_log(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(ServerError) as err:
        with running([sys.executable, "-c", "import sys; print('no such option: --bad'); sys.exit(3)"], url, "qa serve",
                     log=tmp_path / "log", timeout=60, interval=0.1):
            pytest.fail("the body must not run")
    assert "qa serve exited with 3" in str(err.value) and "no such option: --bad" in str(err.value)


def test_a_server_that_never_answers_times_out(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(ServerError, match="did not answer .* within 1 s"):
        with running([sys.executable, "-c", "import time; time.sleep(60)"], url, "sleeper", timeout=1, interval=0.1):
            pass
