"""How long the server takes to find the faces in a photo: decode, shrink, detect.

Times the local MTCNN detector on a 640 x 480 JPEG and a 12-megapixel JPEG (scikit-image's
astronaut, resized), as the API does it (decode_image(data, longest_side=1024), then detect)
and, for the big photo, with a full-size decode too. Reports the median and the fastest of
--runs runs after --warmup runs, the load average (the figures mean little on a busy machine)
and the resident memory of this process.

    .venv/bin/python bench/face_detection.py [--runs 30] [--warmup 5] [--threads N]
                                             [--min-face-size PX]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
from PIL import Image  # noqa: E402
from skimage import data  # noqa: E402

from backend.faces import decode_image  # noqa: E402
from backend.faces.local import LocalDetector  # noqa: E402
from backend.faces.mtcnn import CascadeSettings  # noqa: E402

CASES = [  # name, photo size, decode_image's longest_side, target in ms
    ("640 x 480 photo", (640, 480), 1024, 50),
    ("12-megapixel photo", (4000, 3000), 1024, 500),
    ("12-megapixel photo, full-size decode", (4000, 3000), None, 500),
]


def jpeg(size: tuple[int, int]) -> bytes:
    pixels = cv2.resize(data.astronaut(), size, interpolation=cv2.INTER_CUBIC)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def timings_ms(
    detector: LocalDetector, photo: bytes, longest_side: int | None, runs: int, warmup: int
) -> tuple[list[float], int]:
    """Milliseconds for each decode + shrink + detect, and the number of faces found."""
    timings = []
    for run in range(warmup + runs):
        started = time.perf_counter()
        faces = detector.detect(decode_image(photo, longest_side=longest_side))
        if run >= warmup:
            timings.append((time.perf_counter() - started) * 1000)
    return timings, len(faces)


def resident_mb() -> float:
    status = Path("/proc/self/status").read_text()
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
    return int(kilobytes) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, help="cv2.setNumThreads (default: OpenCV's)")
    parser.add_argument(
        "--min-face-size", type=int, default=CascadeSettings.min_face_size, help="in pixels"
    )
    args = parser.parse_args()
    if args.threads is not None:
        cv2.setNumThreads(args.threads)
    detector = LocalDetector(settings=CascadeSettings(min_face_size=args.min_face_size))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads, "
        f"min face {args.min_face_size} px; load average {load}\n"
    )
    print("| benchmark | target | median | fastest | faces |")
    print("| --- | --- | --- | --- | --- |")
    for name, size, longest_side, target_ms in CASES:
        timings, faces = timings_ms(detector, jpeg(size), longest_side, args.runs, args.warmup)
        median = statistics.median(timings)
        verdict = "" if median < target_ms else " (missed)"
        print(
            f"| {name} | < {target_ms} ms | {median:.1f} ms{verdict} | {min(timings):.1f} ms "
            f"| {faces} |"
        )
    print(f"\nresident memory of this process: {resident_mb():.0f} MB")


if __name__ == "__main__":
    main()
