"""EmbeddedBackend: runs `smartbrain serve` on a free loopback port as a child process."""

from __future__ import annotations

import os
import re
import site
import sys
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal, Slot

# Where desktop/ sits, next to backend/ and smartbrain_cli/: a checkout, or site-packages.
PACKAGES_ROOT = Path(__file__).resolve().parent.parent
READY_LINE = re.compile(r"^SmartBrain backend listening on (http://127\.0\.0\.1:\d+)\s*$")
STOP_TIMEOUT_MS = 3000


def serve_command(frozen: bool | None = None) -> list[str]:
    """How this app starts its backend: `python -m smartbrain_cli serve`, or, in the Linux
    bundle (`frozen`, default: sys.frozen, set by PyInstaller), which has no interpreter to
    run `-m`, the bundle's own executable, which is also `smartbrain` (packaging/)."""
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    # -P: not the working directory first on the import path: only our packages.
    program = [sys.executable] if frozen else [sys.executable, "-P", "-m", "smartbrain_cli"]
    return [
        *program,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--workers",
        "1",  # one user's backend: one worker keeps this computer's memory small
        "--exit-with-parent",  # our stdin pipe closes if this app dies: so does the child
    ]


def _child_environment() -> QProcessEnvironment:
    """This process's environment, unbuffered; from a checkout, with the checkout first on the
    child's import path, so it runs this same copy of the code from any working directory (the
    bundle's code is inside its executable: no import path to set)."""
    environment = QProcessEnvironment.systemEnvironment()
    environment.insert("PYTHONUNBUFFERED", "1")
    if getattr(sys, "frozen", False):
        return environment
    installed = {Path(path) for path in (*site.getsitepackages(), site.getusersitepackages())}
    if PACKAGES_ROOT not in installed:
        inherited = environment.value("PYTHONPATH")
        environment.insert(
            "PYTHONPATH", os.pathsep.join(filter(None, [str(PACKAGES_ROOT), inherited]))
        )
    return environment


class EmbeddedBackend(QObject):
    """The backend on this computer. Emits `ready(url)` once it listens, `failed(message)`
    if it cannot start or dies. Output is read asynchronously, never on a blocking call."""

    ready = Signal(str)
    failed = Signal(str)

    def __init__(self, command: list[str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._command = command or serve_command()
        self.url: str | None = None
        self._stdout = b""
        self._stderr_tail: deque[str] = deque(maxlen=5)
        self._process = QProcess(self)
        self._process.setProcessEnvironment(_child_environment())
        self._process.readyReadStandardOutput.connect(self.on_process_stdout_ready)
        self._process.readyReadStandardError.connect(self.on_process_stderr_ready)
        self._process.errorOccurred.connect(self.on_process_error_occurred)
        self._process.finished.connect(self.on_process_finished)

    @property
    def running(self) -> bool:
        """Whether the child process is alive."""
        return self._process.state() != QProcess.ProcessState.NotRunning

    def start(self) -> None:
        """Start the child (a no-op while it runs); `ready` or `failed` follows."""
        if self.running:
            return
        self.url = None
        self._stdout = b""
        self._stderr_tail.clear()
        self._process.start(self._command[0], self._command[1:])

    def stop(self) -> None:
        """Ask the child to end; kill it if it has not within a few seconds."""
        if not self.running:
            return
        self._process.finished.disconnect(self.on_process_finished)
        self._process.terminate()
        if not self._process.waitForFinished(STOP_TIMEOUT_MS):
            self._process.kill()
            self._process.waitForFinished(STOP_TIMEOUT_MS)
        self._process.finished.connect(self.on_process_finished)
        self.url = None

    @Slot()
    def on_process_stdout_ready(self) -> None:
        self._stdout += bytes(self._process.readAllStandardOutput().data())
        if self.url is not None:
            self._stdout = b""
            return
        *lines, self._stdout = self._stdout.split(b"\n")
        for line in lines:
            match = READY_LINE.match(line.decode("utf-8", "replace"))
            if match:
                self.url = match.group(1)
                self._stdout = b""
                self.ready.emit(self.url)
                return

    @Slot()
    def on_process_stderr_ready(self) -> None:
        text = bytes(self._process.readAllStandardError().data()).decode("utf-8", "replace")
        self._stderr_tail.extend(line for line in text.splitlines() if line.strip())

    @Slot(QProcess.ProcessError)
    def on_process_error_occurred(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.failed.emit(f"The SmartBrain server could not be started ({self._command[0]}).")

    @Slot(int, QProcess.ExitStatus)
    def on_process_finished(self, exit_code: int, _status: QProcess.ExitStatus) -> None:
        self.on_process_stderr_ready()
        detail = self._stderr_tail[-1] if self._stderr_tail else f"exit code {exit_code}"
        if self.url is None:
            self.failed.emit(f"The SmartBrain server could not start: {detail}")
        else:
            self.url = None
            self.failed.emit(f"The SmartBrain server stopped unexpectedly: {detail}")
