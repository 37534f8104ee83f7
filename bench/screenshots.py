"""Render every SmartBrain window and dialog to PNGs under docs/screenshots/.

Runs the real app flow against a real backend it starts itself (the desktop's embedded-backend
launcher: `main.py serve` with a throwaway data directory), in light and dark palettes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
import pyotp  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
from qt_harness import MemoryKeyring, settle, wait_until  # noqa: E402
from skimage import data as skimage_data  # noqa: E402

from desktop.api_client import ApiClient  # noqa: E402
from desktop.app_controller import AppController  # noqa: E402
from desktop.delete_account_dialog import DeleteAccountDialog  # noqa: E402
from desktop.embedded_backend import EmbeddedBackend  # noqa: E402
from desktop.profile_dialog import ProfileDialog  # noqa: E402
from desktop.register_dialog import RegisterDialog  # noqa: E402
from desktop.resources import app_icon, load_stylesheet  # noqa: E402
from desktop.server_dialog import ServerDialog  # noqa: E402
from desktop.sessions_dialog import SessionsDialog  # noqa: E402
from desktop.settings import AppSettings  # noqa: E402
from desktop.sign_out_everywhere_dialog import SignOutEverywhereDialog  # noqa: E402
from desktop.two_step_setup_dialog import TwoStepSetupDialog  # noqa: E402
from desktop.worker import TaskRunner  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
EMAIL, PASSWORD = "dana@example.com", "correct horse battery"


def save(widget: QWidget, name: str) -> None:
    settle()
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT)}")


def dark_palette() -> QPalette:
    """A dark palette like a desktop's dark theme."""
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#2b2d31",
        QPalette.ColorRole.WindowText: "#e8e8ea",
        QPalette.ColorRole.Base: "#1e1f22",
        QPalette.ColorRole.AlternateBase: "#2b2d31",
        QPalette.ColorRole.Text: "#e8e8ea",
        QPalette.ColorRole.Button: "#383a40",
        QPalette.ColorRole.ButtonText: "#e8e8ea",
        QPalette.ColorRole.Highlight: "#5b8def",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#8ab4f8",
        QPalette.ColorRole.PlaceholderText: "#9a9ca3",
        QPalette.ColorRole.Mid: "#5a5d66",
        QPalette.ColorRole.Midlight: "#464951",
        QPalette.ColorRole.Dark: "#17181a",
        QPalette.ColorRole.Light: "#50535b",
        QPalette.ColorRole.ToolTipBase: "#383a40",
        QPalette.ColorRole.ToolTipText: "#e8e8ea",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#75777e"))
    return palette


def add_colleagues(server: str) -> None:
    """Other users with entries of their own, so the main window has a rank to show."""
    for name, entries in (("Fox Mulder", 9), ("Walter Skinner", 1), ("Monica Reyes", 4)):
        colleague = ApiClient(server)
        colleague.register(name, name.split()[0].lower() + "@example.com", PASSWORD)
        for _ in range(entries):
            colleague.count_entry()


def group_photo(path: Path) -> Path:
    """A 2×2 "group photo" from skimage's pictures: three faces and a cat (not a face)."""
    if path.exists():
        return path

    def tile(pixels, box: tuple[int, int, int, int]) -> Image.Image:
        return Image.fromarray(pixels).convert("RGB").crop(box).resize((420, 420), Image.LANCZOS)

    astronaut = skimage_data.astronaut()
    tiles = [
        tile(astronaut, (40, 0, 440, 400)),
        tile(skimage_data.camera(), (100, 0, 500, 400)),
        tile(skimage_data.chelsea(), (80, 0, 380, 300)),
        tile(astronaut[:, ::-1].copy(), (72, 0, 472, 400)),
    ]
    group = Image.new("RGB", (852, 852), "white")
    for index, picture in enumerate(tiles):
        group.paste(picture, (4 + (index % 2) * 424, 4 + (index // 2) * 424))
    group.save(path, quality=92)
    return path


def type_into(widget, text: str) -> None:
    widget.setFocus()
    widget.clear()
    widget.insert(text)
    widget.textEdited.emit(text)


def shoot(app: QApplication, suffix: str, data_dir: Path) -> None:
    """Walk through the app once, saving each window with `suffix` in its file name."""
    keyring.set_keyring(MemoryKeyring())
    settings = AppSettings(QSettings(str(data_dir / f"settings{suffix}.ini"), QSettings.IniFormat))
    tasks = TaskRunner()
    backend = EmbeddedBackend()
    api = ApiClient()
    controller = AppController(api, tasks, settings, backend, None)
    sign_in = controller.sign_in_window
    controller.start()
    save(sign_in, f"sign-in-starting{suffix}")
    wait_until(sign_in.submit.isEnabled)
    try:
        ApiClient(api.base_url, device="Dana's phone").register("Dana Scully", EMAIL, PASSWORD)
    except Exception:  # registered by the light run already: same data directory
        ApiClient(api.base_url, device="Dana's phone").sign_in(EMAIL, PASSWORD)
    else:
        add_colleagues(api.base_url)
    save(sign_in, f"sign-in{suffix}")
    sign_in.change_server.click()
    server_dialog = sign_in.findChild(ServerDialog)
    save(server_dialog, f"server{suffix}")
    server_dialog.reject()

    type_into(sign_in.email.edit, EMAIL)
    type_into(sign_in.password.edit, "wrong password")
    sign_in.submit.click()
    wait_until(lambda: sign_in.banner.text)
    save(sign_in, f"sign-in-error{suffix}")

    sign_in.create_account.click()
    register = sign_in.findChild(RegisterDialog)
    type_into(register.name.edit, "Dana")
    type_into(register.email.edit, EMAIL.upper())
    type_into(register.password.edit, "short")
    type_into(register.confirmation.edit, "shrot")
    save(register, f"register-typing{suffix}")
    type_into(register.password.edit, "another long password")
    type_into(register.confirmation.edit, "another long password")
    register.submit.click()
    wait_until(lambda: register.email.error.isVisible())
    save(register, f"register-errors{suffix}")
    register.reject()

    type_into(sign_in.password.edit, PASSWORD)
    sign_in.remember.setChecked(True)
    sign_in.submit.click()
    wait_until(lambda: controller.main_window is not None)
    main_window = controller.main_window
    api.count_entry()
    api.count_entry()
    main_window.on_profile_saved(api.get_profile())
    main_window.statusBar().clearMessage()
    save(main_window, f"main-window{suffix}")

    headline = main_window.greeting.text()
    main_window.faces.detect_file(group_photo(data_dir / "group.jpg"))
    wait_until(lambda: not main_window.faces.busy)
    wait_until(lambda: main_window.greeting.text() != headline)  # the entry was counted
    save(main_window, f"main-window-faces{suffix}")

    main_window.profile_action.trigger()
    profile = main_window.findChild(ProfileDialog)
    wait_until(lambda: profile.joined.text())
    type_into(profile.age.edit, "31")
    type_into(profile.pet.edit, "Queequeg")
    save(profile, f"profile{suffix}")
    profile.reject()

    main_window.sessions_action.trigger()
    sessions = main_window.findChild(SessionsDialog)
    wait_until(lambda: sessions.sessions.topLevelItemCount() >= 2)
    sessions.sessions.setCurrentItem(sessions.sessions.topLevelItem(1))
    type_into(sessions.current_password.edit, "correct horse")
    type_into(sessions.new_password.edit, "short")
    save(sessions, f"profile-sessions{suffix}")
    sessions.reject()

    main_window.sign_out_everywhere_action.trigger()
    everywhere = main_window.findChild(SignOutEverywhereDialog)
    type_into(everywhere.password.edit, "not my password")
    everywhere.confirm.click()
    wait_until(lambda: everywhere.password.error.isVisible())
    save(everywhere, f"sign-out-everywhere{suffix}")
    everywhere.reject()

    recovery_codes = two_step_screens(main_window, suffix)

    main_window.sign_out_action.trigger()
    wait_until(sign_in.isVisible)
    save(sign_in, f"signed-out{suffix}")

    type_into(sign_in.password.edit, PASSWORD)
    sign_in.submit.click()
    wait_until(sign_in.code_page.isVisible)
    type_into(sign_in.code.edit, "12345")
    save(sign_in, f"sign-in-code{suffix}")
    sign_in.use_recovery.click()
    type_into(sign_in.code.edit, recovery_codes[0])
    sign_in.verify.click()
    wait_until(lambda: controller.main_window is not None)
    main_window = controller.main_window
    save(main_window, f"main-window-recovery-code{suffix}")
    api.disable_two_step(PASSWORD, recovery_codes[1])  # the next run starts from the same

    main_window.sign_out_action.trigger()
    wait_until(sign_in.isVisible)
    backend.stop()
    tasks.wait_for_done(5000)
    sign_in.close()


class Authenticator:
    """An authenticator app's codes for the runs: the server takes each 30-second step once
    per account, so each run uses a later step than the last (waiting for it if need be)."""

    def __init__(self) -> None:
        self._last_step = 0

    def code(self, secret: str) -> str:
        now = int(time.time()) // 30
        step = max(now, self._last_step + 1)
        wait_until(lambda: int(time.time()) // 30 >= step - 1, timeout=35)  # next step at most
        self._last_step = step
        return pyotp.TOTP(secret).at(step * 30)


AUTHENTICATOR = Authenticator()


def two_step_screens(main_window, suffix: str) -> list[str]:
    """Profile ▸ Security: turning two-step verification on (the QR code, the recovery
    codes), the tab once it is on, and the delete-account dialog; the recovery codes."""
    main_window.profile_action.trigger()
    profile = main_window.findChild(ProfileDialog)
    profile.tabs.setCurrentWidget(profile.security)
    wait_until(profile.security.turn_on.isEnabled)  # the status has loaded
    profile.security.turn_on.click()
    wizard = profile.security.findChild(TwoStepSetupDialog)
    type_into(wizard.password.edit, PASSWORD)
    wizard.next.click()
    wait_until(lambda: wizard.pages.currentWidget() is wizard.qr_page)
    save(wizard, f"two-step-qr{suffix}")
    secret = wizard.secret.text().replace(" ", "")
    wizard.next.click()
    type_into(wizard.code.edit, AUTHENTICATOR.code(secret))
    wizard.turn_on.click()
    wait_until(lambda: wizard.pages.currentWidget() is wizard.codes_page)
    save(wizard, f"two-step-recovery-codes{suffix}")
    codes = wizard.codes.text.splitlines()
    wizard.done_button.click()
    wait_until(lambda: "is on" in profile.security.status.text())
    save(profile, f"profile-security{suffix}")
    profile.security.delete.click()
    deletion = profile.findChild(DeleteAccountDialog)
    type_into(deletion.password.edit, PASSWORD)
    type_into(deletion.code.edit, "123456")
    type_into(deletion.email.edit, EMAIL)
    save(deletion, f"delete-account{suffix}")
    deletion.reject()
    profile.reject()
    return codes


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="smartbrain-shots-") as data:
        os.environ["SMARTBRAIN_DATA_DIR"] = data
        os.environ["SMARTBRAIN_BCRYPT_ROUNDS"] = "4"
        app = QApplication(sys.argv[:1])
        app.setOrganizationName("SmartBrain")
        app.setApplicationName("SmartBrain")
        app.setWindowIcon(app_icon())
        app.setStyle("Fusion")
        app.setStyleSheet(load_stylesheet())
        shoot(app, "", Path(data))
        app.setPalette(dark_palette())
        app.setStyleSheet(load_stylesheet())  # re-resolve palette() colours
        shoot(app, "-dark", Path(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
