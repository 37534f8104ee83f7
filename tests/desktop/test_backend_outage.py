"""The desktop while the backend's Redis is away: plain words, a retry, no crash, no sign-out.

The real backend runs on loopback with its Redis behind a forwarder that the test stops and
starts again on the same port (the backend answers 503 meanwhile, then recovers by itself).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.profile_dialog import ProfileDialog
from tests.backend.tcp_proxy import TcpProxy, redis_upstream

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def redis_forwarder(redis_url):
    upstream, url_template = redis_upstream(redis_url)
    with TcpProxy(upstream) as proxy:
        yield proxy, url_template.format(port=proxy.port)


@pytest.fixture
def config(config, redis_forwarder):
    """The backend's Redis is reached through the forwarder."""
    config.redis_url = redis_forwarder[1]
    return config


def test_sign_in_during_an_outage_says_so_and_the_retry_works(
    qtbot, controller, account, redis_forwarder
):
    proxy, _url = redis_forwarder
    port = proxy.port
    proxy.stop()
    window = controller.sign_in_window
    qtbot.keyClicks(window.email.edit, account.email)
    qtbot.keyClicks(window.password.edit, account.password)
    qtbot.mouseClick(window.submit, LEFT)
    qtbot.waitUntil(lambda: "unavailable" in window.banner.text, timeout=15_000)
    assert window.banner.action.isVisible() and window.submit.isEnabled()
    proxy.start(port)
    with qtbot.waitSignal(window.signed_in, timeout=10_000):
        qtbot.mouseClick(window.banner.action, LEFT)
    qtbot.waitUntil(lambda: controller.main_window is not None)


def test_an_outage_mid_session_keeps_the_user_signed_in(
    qtbot, controller, account, sign_in, redis_forwarder, tasks
):
    proxy, _url = redis_forwarder
    main_window = sign_in(controller, account)
    main_window.profile_action.trigger()
    dialog = main_window.findChild(ProfileDialog)
    qtbot.waitUntil(lambda: dialog.joined.text() != "")
    assert tasks.wait_for_done(10_000)  # the dialog's own profile load has answered
    qtbot.wait(50)  # and its answer has been delivered
    port = proxy.port
    proxy.stop()
    dialog.name.edit.clear()
    qtbot.keyClicks(dialog.name.edit, "Dana Scully")
    qtbot.mouseClick(dialog.save, LEFT)
    qtbot.waitUntil(lambda: "unavailable" in dialog.banner.text, timeout=15_000)
    assert dialog.isVisible() and dialog.save.isEnabled()
    assert main_window.isVisible() and not controller.sign_in_window.isVisible()
    proxy.start(port)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.mouseClick(dialog.save, LEFT)
    assert main_window.greeting.text().startswith("Dana Scully, your current entry count is")
