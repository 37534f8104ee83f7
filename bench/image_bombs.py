"""Memory of one backend process while 8 clients at once upload decompression bombs to /imageurl.

Starts `python main.py serve` (the API on Werkzeug's threaded server: one process, so every
upload lands in the process measured) from --root (default: this checkout), with its embedded
Valkey and SQLite in a temporary folder and rate limits off. It registers --clients users,
loads the face detector with one small photo, then, for each bomb of
tests/backend/faces/bombs.py (the audit's ~49-megapixel bombs, and the worst picture each
format's cap lets through), has every client upload it at the same moment. For each bomb it
prints the answers, the peak RSS while they ran (VmRSS sampled every 10 ms), and the RSS 2 s
after; then VmHWM, the peak of the whole run. Target: peak under 400 MB, every answer a 200,
413, 422, 429 or 503 in the JSON error shape, and RSS back within 50 MB of where it started.

    .venv/bin/python bench/image_bombs.py [--clients 8] [--root PATH] [--only WORD ...]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import ROOT, Client, load_average, register_users
from PIL import Image
from skimage import data

from tests.backend.faces.bombs import OVER_CAPS, WITHIN_CAPS

ALLOWED = {200, 413, 422, 429, 503}
LIMIT_MB, RETURN_MB = 400, 50


def status_mb(pid: int, key: str) -> float:
    """A memory figure of process `pid` from /proc (VmRSS, VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakSampler(threading.Thread):
    """The highest VmRSS of a process, sampled every 10 ms until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, status_mb(self.pid, "VmRSS"))

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


def start_serve(root: Path, folder: str) -> tuple[subprocess.Popen, str]:
    """`main.py serve` from `root` on a free port, and its base URL once it is ready."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBRAIN_")}
    environment.update(
        SMARTBRAIN_DATA_DIR=folder, SMARTBRAIN_BCRYPT_ROUNDS="4", SMARTBRAIN_RATE_LIMITS="off"
    )
    process = subprocess.Popen(
        [sys.executable, "main.py", "serve", "--port", "0", "--workers", "1"],
        cwd=root,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("SmartBrain backend listening on "):
            return process, line.split()[-1]
    raise RuntimeError(f"serve exited with {process.wait()}")


def in_json_shape(status: int, body: object) -> bool:
    if status == 200:
        return isinstance(body, dict) and "outputs" in body
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and {"code", "message"} <= error.keys()


def upload_at_once(base: str, tokens: list[str], photo: bytes) -> list[tuple[int, object]]:
    """Every client uploads `photo` at the same moment; their (status, body)."""
    barrier = threading.Barrier(len(tokens))

    def upload(token: str) -> tuple[int, object]:
        client = Client(base, timeout=120)
        barrier.wait()
        try:
            return client.call("POST", "/imageurl", token=token, upload=("image", photo))
        finally:
            client.close()

    with ThreadPoolExecutor(len(tokens)) as pool:
        return list(pool.map(upload, tokens))


def small_photo() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--only", nargs="*", default=[], help="bombs whose name has a word")
    args = parser.parse_args()
    bombs = {
        name: make
        for name, make in {**OVER_CAPS, **WITHIN_CAPS}.items()
        if not args.only or any(word.lower() in name.lower() for word in args.only)
    }
    rows, failures = [], 0
    with tempfile.TemporaryDirectory(prefix="smartbrain-bench-") as folder:
        process, base = start_serve(args.root, folder)
        try:
            tokens = [user.token for user in register_users(base, args.clients, "bombs")]
            upload_at_once(base, tokens[:1], small_photo())  # loads the detector
            started = status_mb(process.pid, "VmRSS")
            for name, make in bombs.items():
                photo = make()
                sampler = PeakSampler(process.pid)
                sampler.start()
                answers = upload_at_once(base, tokens, photo)
                peak = sampler.stop()
                time.sleep(2)
                after = status_mb(process.pid, "VmRSS")
                statuses = Counter(status for status, _ in answers)
                failures += sum(
                    status not in ALLOWED or not in_json_shape(status, body)
                    for status, body in answers
                )
                shown = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))
                rows.append((name, len(photo), shown, peak, after))
            high_water = status_mb(process.pid, "VmHWM")
            ended = status_mb(process.pid, "VmRSS")
        finally:
            process.terminate()
            process.wait(30)
    print(f"load average: {load_average()}; {args.clients} clients at once; root {args.root}\n")
    print("| bomb | bytes | answers | peak RSS, MB | RSS 2 s after, MB |")
    print("| --- | --- | --- | --- | --- |")
    for name, size, shown, peak, after in rows:
        print(f"| {name} | {size:,} | {shown} | {peak:.0f} | {after:.0f} |")
    verdict = "met" if high_water < LIMIT_MB else "missed"
    returned = "met" if ended - started < RETURN_MB else "missed"
    print(
        f"\nRSS with the detector loaded {started:.0f} MB; VmHWM {high_water:.0f} MB "
        f"(under {LIMIT_MB} MB: {verdict}); at the end {ended:.0f} MB "
        f"(within {RETURN_MB} MB: {returned}); {failures} answers outside "
        f"{sorted(ALLOWED)} or the JSON shape"
    )


if __name__ == "__main__":
    main()
