"""Time `qinqing demo load` on a fresh SQLite file; print the median of several runs.

Usage:  .venv/bin/python bench/demo_load.py [--runs 3] [--seed 2026]

Each run gets its own temporary QINQING_VAR_DIR, is migrated (not timed), then loads the
demo dataset in a subprocess; the time is the wall-clock time of that subprocess, Python
and Django start-up included. Results go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def qinqing_executable() -> str:
    beside = Path(sys.executable).with_name("qinqing")
    if beside.exists():
        return str(beside)
    found = shutil.which("qinqing")
    if found is None:
        raise SystemExit("qinqing is not installed; run `make install` first")
    return found


def run(command: list[str], env: dict[str, str]) -> None:
    """Run quietly (the system-check warnings are noise here); show the output on failure."""
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed: {' '.join(command)}")


def one_run(exe: str, seed: int) -> tuple[float, int]:
    """Seconds for one load into a fresh database, and the number of firms it wrote."""
    with tempfile.TemporaryDirectory(prefix="qinqing-bench-") as var:
        env = {**os.environ, "QINQING_VAR_DIR": var}
        env.pop("DATABASE_URL", None)
        run([exe, "migrate", "--no-input", "-v", "0"], env)
        started = time.perf_counter()
        run([exe, "demo", "load", "--seed", str(seed), "-v", "0"], env)
        seconds = time.perf_counter() - started
        with sqlite3.connect(Path(var) / "qinqing.sqlite3") as db:
            (firms,) = db.execute("SELECT count(*) FROM directory_enterprise").fetchone()
    return seconds, firms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    exe = qinqing_executable()
    times = []
    firms = 0
    for i in range(1, args.runs + 1):
        seconds, firms = one_run(exe, args.seed)
        times.append(seconds)
        print(f"run {i}: {seconds:.2f} s ({firms} firms)", file=sys.stderr)
    print(
        f"qinqing demo load --seed {args.seed} on SQLite: median {statistics.median(times):.2f} s "
        f"over {args.runs} runs (min {min(times):.2f}, max {max(times):.2f}); {firms} firms; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
