"""Cold start of the desktop app: `python main.py --server URL` to the sign-in window shown and
accepting input. Target (issue 7): median under 1.0 s.

Starts a real backend (`main.py serve --port 0`, its data in a temporary folder, bcrypt cost 4)
and waits for its line `SmartBrain backend listening on <url>`. Then, --runs times, launches
`python main.py --server <url>` as a new process with QT_QPA_PLATFORM=offscreen, a fresh HOME
and XDG folders (no saved settings, no keychain) and SMARTBRAIN_REPORT_READY=1, which makes
the app print `SmartBrain ready <time.monotonic()>` the first time its event loop is idle with
the sign-in window shown and the email field enabled, editable and focused (desktop/app.py).
The start-up time is that moment minus the moment just before the process was spawned (both
CLOCK_MONOTONIC, one clock for every process on Linux). Each app is then terminated.
A first, unreported run warms the disk cache (--warmup 0 to count it).

    .venv/bin/python bench/desktop_startup.py [--runs 10] [--warmup 1] [--importtime 0]

--importtime N adds one run under `python -X importtime` and prints the N slowest imports
(cumulative), to see where start-up time goes. Loopback only; every child is stopped at the
end, the backend included. About 20 s with the defaults.
"""

from __future__ import annotations

import argparse
import os
import re
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop.embedded_backend import READY_LINE, serve_command

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "main.py"
APP_READY = re.compile(r"^SmartBrain ready (\d+(?:\.\d+)?)\s*$")
TARGET_S = 1.0
BACKEND_START_S = 60.0


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate `process`, and kill it if it has not ended within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


@contextmanager
def real_backend() -> Iterator[str]:
    """`main.py serve` on a free loopback port over a temporary data folder; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="smartbrain-bench-") as data:
        inherited = {
            name: value
            for name, value in os.environ.items()
            if name not in ("SMARTBRAIN_DATABASE_URL", "SMARTBRAIN_REDIS_URL")
        }  # the embedded defaults (SQLite, its own Valkey) in `data`, whatever is configured
        environment = {
            **inherited,
            "SMARTBRAIN_DATA_DIR": data,
            "SMARTBRAIN_BCRYPT_ROUNDS": "4",
            "PYTHONUNBUFFERED": "1",
        }
        with open(Path(data) / "backend.log", "w+b") as log:
            process = subprocess.Popen(
                # the app's own command: it stops if this script dies and our pipe closes
                serve_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=environment,
                cwd=ROOT,
            )
            try:
                url = _read_backend_url(process)
                if url is None:
                    log.seek(0)
                    tail = log.read().decode("utf-8", "replace").strip().splitlines()[-5:]
                    raise RuntimeError("the backend did not start:\n" + "\n".join(tail))
                # Keep reading its stdout so that the backend never blocks on a full pipe.
                assert process.stdout is not None
                threading.Thread(target=process.stdout.read, daemon=True).start()
                yield url
            finally:
                stop(process)


def _read_backend_url(process: subprocess.Popen) -> str | None:
    assert process.stdout is not None
    for line, _when in _lines(process, BACKEND_START_S):
        match = READY_LINE.match(line)
        if match:
            return match.group(1)
    return None


def _lines(process: subprocess.Popen, timeout: float) -> Iterator[tuple[str, float]]:
    """The lines `process` writes to stdout, each with the moment it was read, until it ends
    or `timeout` seconds have passed."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                continue
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            now = time.monotonic()
            for line in lines:
                yield line.decode("utf-8", "replace"), now


def app_environment(home: Path) -> dict[str, str]:
    """A first run's environment: fresh HOME and XDG folders, offscreen Qt, the ready hook."""
    folders = {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_RUNTIME_DIR": home / "runtime",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    environment = {name: value for name, value in os.environ.items() if name != "DISPLAY"}
    environment.update({name: str(folder) for name, folder in folders.items()})
    environment.update(
        {"QT_QPA_PLATFORM": "offscreen", "SMARTBRAIN_REPORT_READY": "1", "PYTHONUNBUFFERED": "1"}
    )
    return environment


def launch(url: str, extra: tuple[str, ...] = (), timeout: float = 30) -> tuple[float, float, str]:
    """Start the app once; (seconds to ready, its RSS in MB then, its stderr)."""
    with tempfile.TemporaryDirectory(prefix="smartbrain-home-") as home:
        environment = app_environment(Path(home))
        with open(Path(home) / "stderr.log", "w+b") as errors:
            started = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, *extra, str(MAIN), "--server", url],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=environment,
                cwd=ROOT,
            )
            ready, rss = None, float("nan")
            try:
                for line, _read_at in _lines(process, timeout):
                    match = APP_READY.match(line)
                    if match:
                        ready = float(match.group(1))
                        rss = rss_mb(process.pid)
                        break
            finally:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)  # the app quits cleanly on Ctrl+C
                    try:
                        process.wait(5)
                    except subprocess.TimeoutExpired:
                        stop(process)
                errors.seek(0)
                stderr = errors.read().decode("utf-8", "replace")
        if ready is None:
            raise RuntimeError(f"the app never reported ready; its stderr:\n{stderr[-2000:]}")
        return ready - started, rss, stderr


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` (VmRSS from /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def slowest_imports(stderr: str, count: int) -> list[tuple[float, str]]:
    """The `count` largest cumulative times (ms) in `python -X importtime` output."""
    rows = []
    for line in stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]) / 1000, parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1, help="unreported runs first")
    parser.add_argument("--importtime", type=int, default=0, metavar="N")
    args = parser.parse_args()
    with real_backend() as url:
        warmups = [launch(url)[0] for _ in range(args.warmup)]
        runs = [launch(url) for _ in range(args.runs)]
        profile = launch(url, ("-X", "importtime"))[2] if args.importtime else ""
    times = [seconds for seconds, _rss, _stderr in runs]
    median = statistics.median(times)
    print(f"\n## Desktop cold start to the sign-in window ({args.runs} runs, offscreen)\n")
    print("| runs | median | min | max | target | met |")
    print("| ---: | ---: | ---: | ---: | ---: | :---: |")
    print(
        f"| {len(times)} | {median:.3f} s | {min(times):.3f} s | {max(times):.3f} s "
        f"| < {TARGET_S:.1f} s | {'yes' if median < TARGET_S else 'NO'} |"
    )
    print(f"\nEach run (s): {', '.join(f'{value:.3f}' for value in times)}")
    if warmups:
        print(f"Warm-up run(s), not counted (s): {', '.join(f'{v:.3f}' for v in warmups)}")
    print(f"RSS of the app at that moment: {statistics.median(r[1] for r in runs):.1f} MB (median)")
    print(
        f"Load average: {load_average()} on {os.cpu_count()} CPUs; Python {sys.version.split()[0]}"
    )
    if profile:
        print("\n### Slowest imports (cumulative, one run under -X importtime)\n")
        print("| ms | module |")
        print("| ---: | --- |")
        for milliseconds, module in slowest_imports(profile, args.importtime):
            print(f"| {milliseconds:.1f} | `{module.strip()}` |")


if __name__ == "__main__":
    main()
