"""TaskRunner: runs a call off the GUI thread and hands its outcome back by signal.

The runner owns the failure policy (as Anki's QueryOp does): a session that ended is reported
once, through `session_ended`, and never to the caller; any other error goes to the caller's
`on_error`, or, when it gave none, is shown in plain words in a message box.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QWidget

from desktop import message_box
from desktop.errors import SessionEndedError, describe

OnSuccess = Callable[[Any], None]
OnError = Callable[[Exception], None]


class _Delivery(QObject):
    """Lives on the GUI thread, a child of the object that asked; receives the outcome."""

    finished = Signal(bool, object)

    def __init__(
        self,
        runner: TaskRunner,
        owner: QObject,
        on_success: OnSuccess | None,
        on_error: OnError | None,
    ) -> None:
        super().__init__(owner)
        self._runner = runner
        self._owner = owner
        self._on_success = on_success
        self._on_error = on_error
        self.finished.connect(self.on_finished, Qt.ConnectionType.QueuedConnection)

    @Slot(bool, object)
    def on_finished(self, ok: bool, value: Any) -> None:
        self.deleteLater()
        if ok:
            if self._on_success is not None:
                self._on_success(value)
        elif isinstance(value, SessionEndedError):
            self._runner.session_ended.emit()
        elif self._on_error is not None:
            self._on_error(value)
        else:
            parent = self._owner if isinstance(self._owner, QWidget) else None
            message_box.show_error(parent, describe(value))


class _Task(QRunnable):
    """Calls `call` on a pool thread and emits its result or exception through `delivery`."""

    def __init__(self, call: Callable[[], Any], delivery: _Delivery) -> None:
        super().__init__()
        self._call = call
        self._delivery = delivery

    def run(self) -> None:
        try:
            outcome = (True, self._call())
        except Exception as error:  # every failure belongs to the GUI thread's handler
            outcome = (False, error)
        try:
            self._delivery.finished.emit(*outcome)
        except RuntimeError:
            pass  # the asking widget was closed while the call ran: nobody waits for it


class TaskRunner(QObject):
    """The one way the UI calls ApiClient. Emits `session_ended` whenever a call gets a 401."""

    session_ended = Signal()

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()

    def run(
        self,
        owner: QObject,
        call: Callable[[], Any],
        on_success: OnSuccess | None = None,
        on_error: OnError | None = None,
    ) -> None:
        """Run `call` in the pool; then, on the GUI thread and only while `owner` exists,
        call `on_success(result)`, or `on_error(exception)` for any failure but a session
        that ended (which emits `session_ended` instead). Without `on_error`, the failure is
        shown in a message box over `owner`."""
        delivery = _Delivery(self, owner, on_success, on_error)
        self._pool.start(_Task(call, delivery))

    def wait_for_done(self, msecs: int = -1) -> bool:
        """Block until every running call has finished (for shutdown and tests)."""
        return self._pool.waitForDone(msecs)
