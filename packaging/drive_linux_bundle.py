"""Drive the built Linux bundle as a user would, on a machine with no Python to lean on.

    .venv/bin/python packaging/drive_linux_bundle.py [--bundle dist/smartbrain] [--starts 1]
                                                     [--shots DIR]

The bundle's executable runs in an empty environment (`env -i`: no PYTHONHOME or PYTHONPATH,
PATH an empty folder, a fresh HOME and data folder; only DISPLAY, LANG and XDG_RUNTIME_DIR, as
a desktop session has). As root, it also runs in a mount namespace where every Python on this
machine is hidden (unshare). No file of a Python outside the bundle may be mapped into any of
its processes. Under a private Xvfb display, with real key presses (xdotool, through XTEST):

1. First start: the sign-in window, then the embedded backend answering /health; an account is
   created in the app (Create an account, typed in), which signs in and opens the main window;
   the link of a photo of one face (served on loopback) is typed and detected, and the server
   counts that detection for the account. Ctrl+Q quits with exit code 0, and no process the
   app started (the backend, its worker, Valkey) is left running.
2. Second start, same data: the email and password typed into the sign-in window open the main
   window; Ctrl+Q, and nothing left running.
3. Third start, offscreen: the app killed with SIGKILL once its backend answers; every process
   it started must end all the same.
4. --starts N offscreen starts with fresh data, timed as bench/desktop_startup.py times the
   app: from the spawn to the app's `SmartBrain ready` line (the sign-in window shown and
   taking input), and to the backend's /health answering; Ctrl+C quits each.

--shots DIR keeps PNGs of the sign-in window and of the main window with the detected face.
The photo is skimage's astronaut (in the checkout's test environment). Exits 1 with the reason
at the first failure.
"""

from __future__ import annotations

import argparse
import glob
import http.server
import io
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME, EMAIL, PASSWORD = "Dana", "dana@example.com", "correct horse battery"
SIGN_IN = "^Sign in – SmartBrain$"
REGISTER = "^Create an account – SmartBrain$"
MAIN = "^SmartBrain$"
READY_LINE = re.compile(r"^SmartBrain ready (\d+(?:\.\d+)?)\s*$")


class Failure(SystemExit):
    def __init__(self, reason: str) -> None:
        super().__init__(f"bundle check: {reason}")


def check(condition: object, reason: str) -> None:
    if not condition:
        raise Failure(reason)


def wait_for_optional(condition, timeout: float, poll: float = 0.05):
    """The first truthy value of `condition()` within `timeout` seconds, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    return None


def wait_for(what: str, condition, timeout: float, poll: float = 0.05):
    """The first truthy value of `condition()` within `timeout` seconds; a Failure after."""
    value = wait_for_optional(condition, timeout, poll)
    check(value, f"{what}: not within {timeout:.0f} s")
    return value


# The display and the keyboard


class Display:
    """A private Xvfb server; xdotool and ImageMagick's `import` on it."""

    def __init__(self) -> None:
        read, write = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            pass_fds=[write],
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as number:
            self.name = f":{number.readline().strip()}"
        check(self.name != ":", "Xvfb did not start")

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            args, env={**os.environ, "DISPLAY": self.name}, capture_output=True, text=True
        )

    def window(self, title: str) -> str | None:
        """The id of the visible window whose title matches the regex `title`, if any."""
        found = self.run("xdotool", "search", "--onlyvisible", "--name", title)
        return found.stdout.split()[0] if found.returncode == 0 and found.stdout.split() else None

    def wait_for_window(self, title: str, timeout: float = 30) -> str:
        return wait_for(f"a window titled {title}", lambda: self.window(title), timeout)

    def focus(self, window: str) -> None:
        """Give `window` the keyboard (no window manager here to do it)."""
        self.run("xdotool", "windowfocus", "--sync", window)

    def keys(self, *keys: str) -> None:
        self.run("xdotool", "key", "--clearmodifiers", *keys)

    def type(self, text: str) -> None:
        self.run("xdotool", "type", "--delay", "15", text)

    def shot(self, window: str, path: Path) -> None:
        done = self.run("import", "-window", window, str(path))
        check(done.returncode == 0, f"screenshot {path.name}: {done.stderr}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# The bundle's processes


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def listening_port(pid: int) -> int | None:
    """A loopback TCP port that a process under `pid` listens on (the backend's)."""
    inodes = set()
    for process in descendants(pid):
        try:
            for fd in os.scandir(f"/proc/{process}/fd"):
                target = os.readlink(fd.path)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and inode in inodes and local.startswith("0100007F:"):
            return int(local.split(":")[1], 16)
    return None


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except (OSError, urllib.error.URLError):
        return False


def call(url: str, method: str = "GET", body: dict | None = None, token: str = "") -> dict:
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": token} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


def faces_in(url: str, token: str, photo: bytes) -> int:
    """How many faces the backend at `url` finds in `photo` (POST /imageurl, as the app
    uploads it)."""
    head = b'--bundle-check\r\nContent-Disposition: form-data; name="image"; filename="photo"\r\n'
    body = head + b"\r\n" + photo + b"\r\n--bundle-check--\r\n"
    request = urllib.request.Request(
        f"{url}/imageurl",
        method="POST",
        data=body,
        headers={
            "Content-Type": "multipart/form-data; boundary=bundle-check",
            "Authorization": token,
        },
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        return len(json.load(reply)["outputs"][0]["data"].get("regions", []))


def start_time(pid: int) -> str | None:
    """When process `pid` started (in clock ticks since boot): a pid and this name one process,
    even once the pid is reused. None if it is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


def foreign_python(pids: list[int], bundle: Path) -> list[str]:
    """Files mapped into `pids` that belong to a Python outside the bundle."""
    found = set()
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        for line in maps.splitlines():
            path = line.split(maxsplit=5)[5] if len(line.split(maxsplit=5)) == 6 else ""
            if "python" in path.lower() and not path.startswith(str(bundle)):
                found.add(path)
    return sorted(found)


def hiding_python() -> list[str]:
    """As root with unshare: a command prefix that runs the rest in a private mount namespace
    where this machine's Pythons (interpreters, standard libraries, virtual environments) are
    covered by empty folders; otherwise nothing."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return []
    places = {sys.base_prefix, sys.prefix, os.path.expanduser("~/.pyenv")}
    for pattern in ("/usr/lib/python3*", "/usr/local/lib/python3*", "/usr/bin/python*",
                    "/usr/local/bin/python*", "/opt/python*"):  # fmt: skip
        places.update(glob.glob(pattern))
    places.add(str(ROOT / ".venv"))
    places.add(os.environ.get("BUNDLE_VENV", str(ROOT / "build" / "bundle-venv")))
    places = {p for p in places if os.path.lexists(p) and not os.path.islink(p)}
    outermost = [p for p in sorted(places) if not any(p.startswith(f"{q}/") for q in places)]
    hide = " ".join(
        f"mount -t tmpfs none '{p}';" if os.path.isdir(p) else f"mount --bind /dev/null '{p}';"
        for p in outermost
    )
    script = f'set -e; {hide} exec "$@"'  # a mount that fails stops the start
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "-"]


class Bundle:
    """One start of the bundle's executable in an empty environment. It keeps note of every
    process the app starts (the backend, its worker, Valkey), to check they all end with it."""

    def __init__(
        self, directory: Path, home: Path, data: Path, display: str = "", offscreen: bool = False
    ) -> None:
        self.directory = directory
        empty_bin = home.parent / "empty-bin"
        runtime = home.parent / "runtime"
        for folder in (home, empty_bin, runtime):
            folder.mkdir(mode=0o700, exist_ok=True)
        environment = {
            "PATH": str(empty_bin),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": str(runtime),
            "SMARTBRAIN_DATA_DIR": str(data),
            "SMARTBRAIN_REPORT_READY": "1",
            **({"QT_QPA_PLATFORM": "offscreen"} if offscreen else {"DISPLAY": display}),
        }
        command = [*hiding_python(), "env", "-i"]
        command += [f"{key}={value}" for key, value in environment.items()]
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [*command, str(directory / "smartbrain")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=home,
        )
        self.lines: list[str] = []
        self.seen: dict[int, str] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def said(self) -> str:
        return "".join(self.lines[-30:])

    def alive(self) -> bool:
        """True, noting the app's processes; a Failure if the app has ended."""
        check(self.process.poll() is None, f"the app ended early:\n{self.said()}")
        for pid in descendants(self.process.pid):
            started = start_time(pid)
            if started:
                self.seen[pid] = started
        return True

    def left_running(self) -> list[str]:
        """The processes this start began that are still alive."""
        left = [pid for pid, started in self.seen.items() if start_time(pid) == started]
        return [Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ") for pid in left]

    def ready_line_seconds(self) -> float:
        """Seconds from the spawn to the app's `SmartBrain ready` line (the sign-in window
        shown, its email field taking input)."""

        def ready() -> float | None:
            self.alive()
            matches = (READY_LINE.match(line) for line in self.lines)
            return next((float(m.group(1)) for m in matches if m), None)

        return wait_for("the sign-in window's ready line", ready, 60) - self.started

    def backend_seconds(self) -> tuple[str, float]:
        """The backend's URL, and seconds from the spawn to its /health answering."""

        def health() -> str | None:
            self.alive()
            port = listening_port(self.process.pid)
            url = f"http://127.0.0.1:{port}"
            return url if port and answers(f"{url}/health") else None

        url = wait_for("the embedded backend's /health", health, 90)
        self.alive()  # Valkey and the worker are up by now
        return url, time.monotonic() - self.started

    def use_python_of_the_bundle_only(self) -> None:
        foreign = foreign_python(list(self.seen), self.directory)
        check(not foreign, f"the bundle's processes use a Python outside it: {foreign}")

    def quit(self, keys: Callable[[], None], exit_code: int = 0) -> int:
        """`keys()` quits the app: it must end with `exit_code` and leave nothing running.
        Returns how many processes ended with it (the app's included)."""
        self.alive()
        keys()
        try:
            code = self.process.wait(30)
        except subprocess.TimeoutExpired:
            raise Failure(f"the app did not quit:\n{self.said()}") from None
        check(code == exit_code, f"the app exited {code}:\n{self.said()}")
        gone = wait_for_optional(lambda: not self.left_running(), 15)
        check(gone, f"still running after the app quit: {self.left_running()}")
        return len(self.seen)

    def end(self) -> None:
        """After a failure: end what this start began, the app first (which stops the rest)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        wait_for_optional(lambda: not self.left_running(), 10)
        for pid, started in self.seen.items():
            if start_time(pid) == started:
                os.kill(pid, signal.SIGKILL)


# The photo


def serve_photo() -> tuple[str, bytes, http.server.HTTPServer]:
    """A loopback HTTP server with one photo of one face; its link and its bytes."""
    from PIL import Image
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, "JPEG", quality=90)
    photo = buffer.getvalue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(photo)))
            self.end_headers()
            self.wfile.write(photo)

        def log_message(self, *_args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/astronaut.jpg", photo, server


# The steps


def step(title: str) -> float:
    print(f"..   {title}", flush=True)
    return time.monotonic()


def done(title: str, since: float) -> None:
    print(f"ok   {title} ({time.monotonic() - since:.1f} s)", flush=True)


def sign_in_window(bundle: Bundle, display: Display) -> tuple[str, str]:
    """The sign-in window once it is shown, then focused (no window manager here activates
    it), and the backend's URL; prints the seconds from the spawn to each."""
    window = wait_for("the sign-in window", lambda: bundle.alive() and display.window(SIGN_IN), 60)
    shown = time.monotonic() - bundle.started
    display.focus(window)
    bundle.ready_line_seconds()  # now focused, it takes input
    url, backend = bundle.backend_seconds()
    print(f"     sign-in window shown {shown:.2f} s after the start, backend ready {backend:.2f} s")
    bundle.use_python_of_the_bundle_only()
    return window, url


def first_start(
    bundle: Bundle, display: Display, photo: tuple[str, bytes], shots: Path | None
) -> None:
    photo_url, photo_bytes = photo
    sign_in, url = sign_in_window(bundle, display)
    if shots:
        time.sleep(0.5)  # the "Starting SmartBrain…" banner goes once the app hears the backend
        display.shot(sign_in, shots / "bundle-sign-in.png")

    since = step("create an account in the app")

    def register_dialog() -> str | None:  # its link works once the app has the backend's URL
        bundle.alive()
        display.focus(sign_in)
        display.keys("alt+c")
        return wait_for_optional(lambda: display.window(REGISTER), 1)

    dialog = wait_for("the Create an account dialog", register_dialog, 30, poll=0.5)
    display.focus(dialog)
    for mnemonic, text in (("alt+n", NAME), ("alt+e", EMAIL), ("alt+p", PASSWORD),
                           ("alt+f", PASSWORD)):  # fmt: skip
        display.keys(mnemonic)
        display.type(text)
    display.keys("Return")
    main = display.wait_for_window(MAIN, 30)
    done("an account created in the app; the main window is open", since)

    since = step("detect the faces in a photo by its link")
    display.focus(main)
    display.type(photo_url)
    display.keys("Return")
    signed_in = call(f"{url}/signin", "POST", {"email": EMAIL, "password": PASSWORD})
    token, user_id = signed_in["token"], signed_in["userId"]

    def counted() -> bool:
        bundle.alive()
        return call(f"{url}/profile/{user_id}", token=token).get("entries") == 1

    wait_for("the detection counted for the account", counted, 60, poll=0.25)
    found = faces_in(url, token, photo_bytes)  # what the app was told: the bundle's detector
    check(found == 1, f"the bundle's face detector found {found} faces in a photo of one")
    done("the photo's face detected, and the detection counted by the server", since)
    if shots:
        time.sleep(1)  # the greeting's new count comes after the boxes; let it paint
        display.shot(main, shots / "bundle-main-window.png")

    since = step("Ctrl+Q quits")
    ended = bundle.quit(lambda: (display.focus(main), display.keys("ctrl+q")))
    done(f"the app quit (exit code 0); its {ended} processes all ended", since)


def second_start(bundle: Bundle, display: Display) -> None:
    sign_in, _url = sign_in_window(bundle, display)
    since = step("sign in with email and password")
    display.keys("alt+e", "ctrl+a")  # the email of the last sign-in may be filled in already
    display.type(EMAIL)
    display.keys("alt+p")
    display.type(PASSWORD)

    def main_window() -> str | None:  # Enter does nothing until the app has the backend's URL
        bundle.alive()
        display.focus(sign_in)
        display.keys("Return")
        return wait_for_optional(lambda: display.window(MAIN), 2)

    main = display.window(MAIN) or wait_for("the main window", main_window, 60, poll=0)
    done("signed in; the main window is open", since)
    since = step("Ctrl+Q quits")
    ended = bundle.quit(lambda: (display.focus(main), display.keys("ctrl+q")))
    done(f"the app quit (exit code 0); its {ended} processes all ended", since)


def killed(bundle: Bundle) -> None:
    """The app killed (SIGKILL: it cannot stop anything itself): its backend sees its
    standard input close and stops, Valkey and the worker with it."""
    since = step("the app killed with SIGKILL once its backend is up")
    bundle.backend_seconds()
    ended = bundle.quit(lambda: bundle.process.kill(), exit_code=-signal.SIGKILL)
    done(f"its {ended} processes all ended", since)


def timed_start(bundle: Bundle) -> tuple[float, float]:
    """Offscreen, as bench/desktop_startup.py times the app: seconds to the ready line and to
    the backend's /health; then Ctrl+C (SIGINT) quits."""
    window = bundle.ready_line_seconds()
    _url, backend = bundle.backend_seconds()
    bundle.use_python_of_the_bundle_only()
    bundle.quit(lambda: bundle.process.send_signal(signal.SIGINT))
    return window, backend


def main() -> None:
    # Out of time (check_linux_bundle's deadline): still end the app and the display.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bundle check: stopped (SIGTERM)"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "smartbrain")
    parser.add_argument("--starts", type=int, default=1, help="timed offscreen starts")
    parser.add_argument("--shots", type=Path, help="keep screenshots in this folder")
    args = parser.parse_args()
    directory = args.bundle.resolve()
    check(
        (directory / "smartbrain").is_file(),
        f"no bundle at {directory}: build it with packaging/build_linux_bundle",
    )
    for tool in ("Xvfb", "xdotool", "import"):
        check(shutil.which(tool), f"{tool} is missing: apt-get install xvfb xdotool imagemagick")
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    hidden = "every Python on this machine hidden" if hiding_python() else "no Python hidden"
    print(f"     the bundle: {directory}, run with env -i ({hidden})", flush=True)

    display = Display()
    photo_url, photo_bytes, photo_server = serve_photo()
    work = Path(tempfile.mkdtemp(prefix="smartbrain-bundle-check-"))
    bundle = None
    try:
        since = step("first start under Xvfb: an account, a detection")
        bundle = Bundle(directory, work / "home", work / "data", display.name)
        first_start(bundle, display, (photo_url, photo_bytes), args.shots)
        done("first start", since)
        since = step("second start under Xvfb: sign in")
        bundle = Bundle(directory, work / "home", work / "data", display.name)
        second_start(bundle, display)
        done("second start", since)
        bundle = Bundle(directory, work / "home", work / "data", offscreen=True)
        killed(bundle)
        times = []
        for number in range(args.starts):
            home, data = work / f"home-{number}", work / f"data-{number}"
            bundle = Bundle(directory, home, data, offscreen=True)
            times.append(timed_start(bundle))
            print(f"     offscreen start {number + 1}: sign-in window {times[-1][0]:.2f} s, "
                  f"backend ready {times[-1][1]:.2f} s", flush=True)  # fmt: skip
        bundle = None
        if times:
            windows, backends = zip(*times, strict=True)
            print(f"     median of {len(times)} fresh offscreen starts: sign-in window "
                  f"{statistics.median(windows):.2f} s, backend ready "
                  f"{statistics.median(backends):.2f} s; load average "
                  f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}")  # fmt: skip
    finally:
        if bundle is not None:
            print(f"     the app said:\n{bundle.said()}", file=sys.stderr)
            bundle.end()
        photo_server.shutdown()
        display.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("ok   the Linux bundle works with no Python", flush=True)


if __name__ == "__main__":
    main()
