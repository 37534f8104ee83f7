"""What the form dialogs share: their page's layout, the busy state while their request is in
flight, and the server's refusals shown under the fields they are about."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QPushButton, QWidget

from desktop.errors import InvalidInputError, describe
from desktop.widgets import Banner, BusyBar, FieldBox, dialog_layout
from desktop.worker import OnError, OnSuccess, TaskRunner


def form_page(
    dialog: QDialog,
    above: Sequence[QWidget],
    rows: Sequence[tuple[str, QWidget]],
    busy: BusyBar,
    buttons: QDialogButtonBox,
    *,
    spacing: int,
    row_spacing: int,
) -> None:
    """Lay out a form dialog: `above` (a title, the banner), the labelled `rows`, then the
    room errors leave when they go (above the buttons, not between rows), the busy bar and
    the buttons."""
    form = QFormLayout()
    form.setVerticalSpacing(row_spacing)
    for label, field in rows:
        form.addRow(label, field)
    layout = dialog_layout(dialog, spacing)
    for widget in above:
        layout.addWidget(widget)
    layout.addLayout(form)
    layout.addStretch(1)
    layout.addWidget(busy)
    layout.addWidget(buttons)


def show_field_errors(error: Exception, boxes: Mapping[str, FieldBox]) -> list[FieldBox]:
    """Show each message of an InvalidInputError under the box its field name maps to; the
    boxes that got one, in the error's order (none for any other failure)."""
    if not isinstance(error, InvalidInputError):
        return []
    shown = []
    for key, message in error.fields.items():
        box = boxes.get(key)
        if box is not None:
            box.set_error(message)
            shown.append(box)
    return shown


def fields_pass(errors: Mapping[FieldBox, str]) -> bool:
    """Show each box's message under it (an empty one clears it); when any box has one, focus
    the first such box and answer False."""
    for box, message in errors.items():
        box.set_error(message)
    invalid = [box for box, message in errors.items() if message]
    if invalid:
        invalid[0].setFocus()
    return not invalid


def reject_field(box: FieldBox, message: str) -> None:
    """Show `message` under `box` and select its text, so that typing replaces it."""
    box.set_error(message)
    box.edit.selectAll()


WRONG_PASSWORD = "That is not your password."


def show_refusal(error: Exception, boxes: Mapping[str, FieldBox], banner: Banner) -> None:
    """Show a failed request where the user looks for it: a wrong password under the
    "password" box, each field's message under its box (the first one focused, its text
    selected so typing replaces it), anything else in plain words in `banner`."""
    password = boxes.get("password")
    if isinstance(error, InvalidInputError) and error.code == "invalid_credentials" and password:
        reject_field(password, WRONG_PASSWORD)
        password.setFocus()
        return
    shown = show_field_errors(error, boxes)
    if shown:
        shown[0].edit.selectAll()
        shown[0].setFocus()
    else:
        banner.show_message("error", describe(error))


class FormRequest:
    """A dialog's request, sent through the TaskRunner. While it is in flight the form is busy:
    its fields read-only, its button disabled (and saying `busy_text`, if given), its bar
    moving; the outcome then goes to the handler with the form idle again."""

    def __init__(
        self,
        dialog: QDialog,
        tasks: TaskRunner,
        button: QPushButton,
        fields: Sequence[FieldBox],
        *,
        busy_text: str | None = None,
        bar: BusyBar | None = None,
    ) -> None:
        self._dialog = dialog
        self._tasks = tasks
        self._button = button
        self._idle_text = button.text()
        self._busy_text = busy_text
        self._fields = list(fields)
        self._bar = bar
        self.busy = False

    def run(self, call: Callable[[], Any], on_success: OnSuccess, on_error: OnError) -> None:
        """Send `call`; then `on_success(result)` or `on_error(exception)`, as TaskRunner.run."""
        self._set_busy(True)
        self._tasks.run(
            self._dialog,
            call,
            lambda result: self._finish(on_success, result),
            lambda error: self._finish(on_error, error),
        )

    def run_to_accept(
        self, call: Callable[[], Any], done: SignalInstance, on_error: OnError
    ) -> None:
        """Send `call`; once it succeeds, emit `done(result)` and accept the dialog."""
        self.run(call, lambda result: self._accept(done, result), on_error)

    def _accept(self, done: SignalInstance, result: Any) -> None:
        done.emit(result)
        self._dialog.accept()

    def _finish(self, handler: Callable[[Any], None], outcome: Any) -> None:
        self._set_busy(False)
        handler(outcome)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        if self._bar is not None:
            self._bar.set_busy(busy)
        self._button.setEnabled(not busy)
        if self._busy_text is not None:
            self._button.setText(self._busy_text if busy else self._idle_text)
        for field in self._fields:
            field.edit.setReadOnly(busy)
