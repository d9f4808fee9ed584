"""Timing and memory helpers: median/p95, repeated timings, a child run with its peak RSS."""

from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Stat:
    """Seconds (or any unit) over several runs."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        """Nearest-rank 95th percentile (the max below 20 runs)."""
        ordered = sorted(self.values)
        rank = max(1, -(-95 * len(ordered) // 100))
        return ordered[rank - 1]


def repeat(fn: Callable[[], Any], runs: int, warmup: int = 2, budget: float = 8.0) -> Stat:
    """Time ``runs`` calls after ``warmup`` ones; stops early (after at least 3) once
    ``budget`` seconds are spent, so a slow scenario cannot eat the whole run."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    spent = 0.0
    while len(times) < runs and (spent < budget or len(times) < 3):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
        spent += times[-1]
    return Stat(tuple(times))


class PeakRSS:
    """Samples the summed PSS (RSS where PSS is unavailable) of a process and all its
    descendants every ``interval``. PSS shares a page between the processes mapping it, so
    forkserver workers are not counted twice for the libraries they share."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for p in procs:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    total += _pss(p)
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def _pss(p: psutil.Process) -> int:
    try:
        return int(p.memory_full_info().pss)
    except AttributeError:  # not Linux
        return int(p.memory_info().rss)


def run_child(spec: dict[str, Any], timeout: float) -> tuple[dict[str, Any], int]:
    """Run ``bench.child`` with ``spec``; returns (its JSON result, peak RSS in bytes)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.child", json.dumps(spec)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with PeakRSS(proc.pid) as rss:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise RuntimeError(f"{spec['who']}: plus de {timeout:.0f} s, arrêté") from None
    if proc.returncode != 0:
        raise RuntimeError(f"{spec['who']} a échoué ({proc.returncode}) : {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1]), rss.peak


def fmt_s(seconds: float) -> str:
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_stat(stat: Stat) -> str:
    if len(stat.values) == 1:
        return fmt_s(stat.median)
    return f"{fmt_s(stat.median)} / {fmt_s(stat.p95)}"


def fmt_mb(n: float) -> str:
    return f"{n / 1e6:.0f} MB"


def ratio(ours: float, theirs: float | None) -> str:
    """How many times faster (or smaller) we are: theirs / ours."""
    if not theirs or not ours:
        return "—"
    r = theirs / ours
    if r >= 10:
        return f"×{r:,.0f}"
    return f"×{r:.1f}" if r >= 1 else f"×{r:.2f}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
