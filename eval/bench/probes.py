"""Small measurement probes of the benchmark: memory, disk, percentiles, load, the CPU, a competing process."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

COMPETITOR = "while True: pass"  # one CPU-bound process: a core's worth of Python busy loop


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024



def rss_mb() -> float:
    """Resident memory of this process now."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")



def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20



def pct(values: list[float], q: float) -> float | None:
    """q-th percentile (nearest-rank on sorted values, linear between), None for no values."""
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)



def latency(values: list[float]) -> dict[str, Any]:
    """p50/p95/mean in milliseconds."""
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50_ms": rnd(pct(ms, 50)), "p95_ms": rnd(pct(ms, 95)),
            "mean_ms": rnd(statistics.fmean(ms) if ms else None)}



def rnd(x: float | None, nd: int = 1) -> float | None:
    """``x`` rounded to ``nd`` places; None stays None."""
    return None if x is None else round(x, nd)



def load_avg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []



class Competitor:
    """One competing CPU-bound process while the block runs (started, then killed by its own pid)."""

    def __init__(self, on: bool = True) -> None:
        self.on = on
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Competitor:
        if self.on:
            self.proc = subprocess.Popen([sys.executable, "-c", COMPETITOR])
            time.sleep(1.0)  # running, and seen by the thread plan's /proc/stat window
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()



def cpu_features() -> list[str]:
    """The AVX / VNNI / AMX flags of this CPU (what `grep -o 'avx[^ ]*\\|vnni\\|amx[^ ]*' /proc/cpuinfo` shows)."""
    import re

    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    return sorted(set(re.findall(r"avx[^ \n]*|vnni|amx[^ \n]*", text)))



def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"



def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "cpu": cpu_model(), "cpu_features": cpu_features(), "load_avg": load_avg(),
            "python": sys.version.split()[0]}



def log(text: str) -> None:
    """One progress line on stderr, with the time."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)
