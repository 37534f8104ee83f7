"""Fixtures for the face-detection tests: real photos from scikit-image, real loopback servers."""

from __future__ import annotations

import io
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebServer:
    """An HTTP server on a loopback address that answers from a table of routes."""

    host: str
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    port: int = 0
    scheme: str = "http"

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def serve(self, path: str, body: bytes, content_type: str = "image/jpeg") -> str:
        def answer(request: BaseHTTPRequestHandler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)

        self.routes[path] = answer
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        def answer(request: BaseHTTPRequestHandler) -> None:
            request.send_response(status)
            request.send_header("Location", location)
            request.send_header("Content-Length", "0")
            request.end_headers()

        self.routes[path] = answer
        return self.url(path)


def _handler_for(server: WebServer) -> type[BaseHTTPRequestHandler]:
    class RouteHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            server.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
            route = server.routes.get(self.path.split("?")[0])
            if route is None:
                self.send_error(404)
                return
            try:
                route(self)
            except (ConnectionError, TimeoutError):
                self.close_connection = True  # the client gave up, as the test meant it to

        def log_message(self, format: str, *args: object) -> None:
            pass

    return RouteHandler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up mid-answer is what several tests are about


@pytest.fixture
def web_server() -> Iterator[Callable[..., WebServer]]:
    """Start loopback web servers: web_server() on 127.0.0.1, web_server("127.0.0.2")...

    With tls (a server-side SSLContext), the server speaks HTTPS.
    """
    running: list[_QuietServer] = []

    def start(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> WebServer:
        server = WebServer(host, scheme="https" if tls else "http")
        httpd = _QuietServer((host, 0), _handler_for(server))
        if tls is not None:
            httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        server.port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        running.append(httpd)
        return server

    yield start
    for httpd in running:
        httpd.shutdown()
        httpd.server_close()


def _encode(pixels: np.ndarray | Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    picture = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def encode() -> Callable[..., bytes]:
    """encode(pixels or PIL image, format="JPEG", **save_options) -> bytes"""
    return _encode


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """Eileen Collins: one face, about x 182-269, y 63-174 of 512 x 512."""
    return data.astronaut()


@pytest.fixture(scope="session")
def astronaut_jpeg(astronaut) -> bytes:
    return _encode(astronaut)


@pytest.fixture(scope="session")
def mosaic() -> np.ndarray:
    """24 faces on a grey ground, 6 x 4 cells of 140 px: 23 from LFW and the astronaut's."""
    lfw_faces = data.lfw_subset()[:23]  # the subset's first 100 are faces, 25 x 25 grey
    crops = [cv2.cvtColor((face * 255).astype(np.uint8), cv2.COLOR_GRAY2RGB) for face in lfw_faces]
    crops.append(data.astronaut()[50:190, 160:290])
    cell, margin, columns = 80, 30, 6
    side = cell + 2 * margin
    canvas = np.full((4 * side, columns * side, 3), 128, np.uint8)
    for index, crop in enumerate(crops):
        row, column = divmod(index, columns)
        top, left = row * side + margin, column * side + margin
        canvas[top : top + cell, left : left + cell] = cv2.resize(
            crop, (cell, cell), interpolation=cv2.INTER_CUBIC
        )
    return canvas
