"""Resident memory of the desktop app over 200 face detections. Target: under 250 MB after
sign-in, and flat.

Starts a real backend (`main.py serve --port 0`, its data in a temporary folder, bcrypt cost 4,
see desktop_startup.real_backend) and registers one account over HTTP. This process then *is*
the app: offscreen Qt with the real stylesheet, the real AppController, SignInWindow,
MainWindow and FaceDetectionPanel, TaskRunner and ApiClient against that backend, and an
in-memory keyring backend so the real keychain is never touched. It signs in by typing into
the sign-in window, then opens a photo (scikit-image's astronaut as a JPEG, written by a child
process so that neither scikit-image nor Pillow is loaded here) --detections times through the
panel's own path (detect_file: upload, decode, draw the boxes, count the entry), each one
waited for. RSS (VmRSS of /proc/self/status) is read after sign-in and every 20 detections,
and the peak (VmHWM) at the end. Nothing is imported into this process that the app does not
load itself, so the numbers are the app's. --photo-size 4000 (a phone photo's size) shows the
peak of decoding big photos while the last one is still shown.

    .venv/bin/python bench/desktop_memory.py [--detections 200] [--photo-size 512]

Under a minute with the defaults (the backend's first detection loads its model); loopback
only; the backend is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
from desktop_startup import real_backend  # noqa: E402
from PySide6.QtCore import (  # noqa: E402
    QSettings,
    QThreadPool,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication  # noqa: E402
from qt_harness import MemoryKeyring, quiet_offscreen_notes, settle, wait_until  # noqa: E402

from desktop.api_client import ApiClient  # noqa: E402
from desktop.app_controller import AppController  # noqa: E402
from desktop.embedded_backend import EmbeddedBackend  # noqa: E402
from desktop.resources import load_stylesheet  # noqa: E402
from desktop.settings import AppSettings  # noqa: E402
from desktop.worker import TaskRunner  # noqa: E402

LIMIT_MB = 250.0
FLAT_MB = 5.0
""""Flat": the last half of the detections adds less than this."""
SAMPLE_EVERY = 20
EMAIL, PASSWORD = "memory@example.com", "correct horse battery staple"
PHOTO_SCRIPT = """
import io, sys
from PIL import Image
from skimage import data
side = int(sys.argv[2])
image = Image.fromarray(data.astronaut())
if side != image.width:
    image = image.resize((side, side))
image.save(sys.argv[1], "JPEG", quality=90)
"""


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def register(url: str) -> None:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    body = json.dumps({"name": "Memory", "email": EMAIL, "password": PASSWORD})
    connection.request("POST", "/register", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"register answered {response.status}: {answer[:200]!r}")


def run(url: str, photo: Path, folder: Path, detections: int) -> list[tuple[str, float]]:
    qInstallMessageHandler(quiet_offscreen_notes)
    app = QApplication(sys.argv[:1])
    app.setStyleSheet(load_stylesheet())
    keyring.set_keyring(MemoryKeyring())
    settings = AppSettings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    tasks = TaskRunner()
    pool = QThreadPool.globalInstance()
    controller = AppController(ApiClient(), tasks, settings, EmbeddedBackend(), url)
    controller.start()
    sign_in = controller.sign_in_window
    wait_until(sign_in.submit.isEnabled, 30)
    samples = [("sign-in window shown", status_mb("VmRSS"))]
    sign_in.email.edit.setText(EMAIL)
    sign_in.password.edit.setText(PASSWORD)
    sign_in.submit.click()
    wait_until(lambda: controller.main_window is not None and pool.activeThreadCount() == 0, 30)
    window = controller.main_window
    assert window is not None
    settle(0.5)
    samples.append(("after sign-in", status_mb("VmRSS")))
    failures = 0
    for number in range(1, detections + 1):
        window.faces.detect_file(photo)
        wait_until(lambda: not window.faces.busy and pool.activeThreadCount() == 0, 120)
        failures += bool(window.faces.error.text())
        if number % SAMPLE_EVERY == 0:
            samples.append((f"after {number} detections", status_mb("VmRSS")))
    settle(0.5)
    if failures:
        print(f"{failures} detections failed: {window.faces.error.text()}", file=sys.stderr)
    print(f"Greeting at the end: {window.greeting.text()}")
    samples.append(("peak (VmHWM)", status_mb("VmHWM")))
    window.close()
    sign_in.close()
    tasks.wait_for_done(10_000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detections", type=int, default=200)
    parser.add_argument("--photo-size", type=int, default=512, help="side of the JPEG, px")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smartbrain-bench-") as folder:
        photo = Path(folder) / "astronaut.jpg"
        subprocess.run(
            [sys.executable, "-c", PHOTO_SCRIPT, str(photo), str(args.photo_size)], check=True
        )
        photo_kb = photo.stat().st_size / 1024
        with real_backend() as url:
            register(url)
            started = time.monotonic()
            samples = run(url, photo, Path(folder), args.detections)
            seconds = time.monotonic() - started
    size = f"{args.photo_size} px, {photo_kb:.0f} KB"
    print(f"\n## Desktop app RSS over {args.detections} detections of a JPEG ({size})\n")
    print("| when | RSS |")
    print("| --- | ---: |")
    for label, megabytes in samples:
        print(f"| {label} | {megabytes:.1f} MB |")
    series = [mb for label, mb in samples if label.startswith("after")]
    start, end, top = series[0], series[-1], max(series)
    peak = max(top, samples[-1][1])  # VmHWM: the highest RSS ever, between samples too
    half = series[len(series) // 2]
    print(
        f"\nAfter sign-in {start:.1f} MB, end {end:.1f} MB, max sampled {top:.1f} MB, peak "
        f"{peak:.1f} MB; growth {end - start:+.1f} MB in all, {end - half:+.1f} MB over the "
        f"second half ({seconds:.0f} s). Under {LIMIT_MB:.0f} MB at the peak: "
        f"{'yes' if peak < LIMIT_MB else 'NO'}; flat (second half < {FLAT_MB:.0f} MB): "
        f"{'yes' if end - half < FLAT_MB else 'NO'}."
    )
    print(
        f"Load average: {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
