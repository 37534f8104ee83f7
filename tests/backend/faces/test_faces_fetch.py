"""fetch_image against real loopback servers: addresses, redirects, size cap, timeouts."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from backend.faces import (
    ImageTooLarge,
    NotAnImage,
    RemoteTimeout,
    RemoteUnavailable,
    UrlRefused,
    decode_image,
    fetch_image,
)
from backend.faces import fetch as fetch_module

MB = 1024 * 1024


def only(*allowed: str):
    """An address policy that allows just these addresses, standing in for 'public'."""
    addresses = {ipaddress.ip_address(address) for address in allowed}
    return lambda address: address in addresses


def test_a_photo_on_a_private_server_loads_when_private_addresses_are_allowed(
    web_server, astronaut_jpeg
):
    server = web_server()
    url = server.serve("/astronaut.jpg", astronaut_jpeg)
    assert fetch_image(url, allow_private=True) == astronaut_jpeg
    assert decode_image(fetch_image(url, allow_private=True)).shape == (512, 512, 3)


def test_the_host_header_keeps_the_name_while_the_connection_goes_to_the_checked_address(
    web_server, astronaut_jpeg, monkeypatch
):
    server = web_server()
    server.serve("/a.jpg", astronaut_jpeg)
    lookups = []

    def resolve_once(host, port):  # DNS is outside the project: a rebinding resolver
        lookups.append(host)
        return [ipaddress.ip_address("127.0.0.1")] if len(lookups) == 1 else []

    monkeypatch.setattr(fetch_module, "resolve", resolve_once)
    url = f"http://photos.example:{server.port}/a.jpg"
    assert fetch_image(url, address_policy=only("127.0.0.1")) == astronaut_jpeg
    assert lookups == ["photos.example"]
    assert server.requests[0].headers["Host"] == f"photos.example:{server.port}"


REFUSED_HOSTS = [
    "localhost",
    "LOCALHOST",
    "127.0.0.1",
    "127.1",
    "127.255.255.254",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "0.0.0.0",
    "0",
    "[::1]",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[2002:7f00:1::1]",
    "169.254.169.254",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "[fc00::1]",
    "[fd12:3456:789a::1]",
    "[fe80::1]",
    "[ff02::1]",
]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_private_and_local_addresses_are_refused_in_every_spelling(web_server, host):
    server = web_server()
    with pytest.raises(UrlRefused) as refused:
        fetch_image(f"http://{host}:{server.port}/", allow_private=False)
    assert refused.value.status == 400
    assert "private or local address" in refused.value.message
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "",
        "astronaut.jpg",
        "file:///etc/passwd",
        "ftp://example.com/a.jpg",
        "gopher://example.com/",
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "http://",
        "http://[::1/",
        "http://example.com:99999/",
    ],
)
def test_links_that_are_not_http_are_refused(url):
    with pytest.raises(UrlRefused) as refused:
        fetch_image(url)
    assert refused.value.status == 400


def test_redirects_are_followed_and_each_hop_is_checked(web_server, astronaut_jpeg):
    server = web_server()
    server.serve("/final.jpg", astronaut_jpeg)
    server.redirect("/moved", "/final.jpg", status=301)
    start = server.redirect("/short", server.url("/moved"), status=307)
    assert fetch_image(start, address_policy=only("127.0.0.1")) == astronaut_jpeg
    assert [request.path for request in server.requests] == ["/short", "/moved", "/final.jpg"]


@pytest.mark.parametrize(
    "target", ["http://127.0.0.2:{port}/secret", "http://10.0.0.1/", "http://[::1]:{port}/"]
)
def test_a_redirect_to_a_refused_address_is_refused_before_it_is_followed(
    web_server, astronaut_jpeg, target
):
    public = web_server("127.0.0.1")  # plays a public site: the policy allows only it
    private = web_server("127.0.0.2")
    private.serve("/secret", astronaut_jpeg)
    start = public.redirect("/go", target.format(port=private.port))
    with pytest.raises(UrlRefused):
        fetch_image(start, address_policy=only("127.0.0.1"))
    assert len(public.requests) == 1
    assert private.requests == []


def test_a_redirect_to_another_scheme_is_refused(web_server):
    server = web_server()
    start = server.redirect("/go", "file:///etc/passwd")
    with pytest.raises(UrlRefused):
        fetch_image(start, allow_private=True)


def test_at_most_five_redirects(web_server, astronaut_jpeg):
    server = web_server()
    server.serve("/0", astronaut_jpeg)
    for hop in range(1, 7):
        server.redirect(f"/{hop}", f"/{hop - 1}")
    assert fetch_image(server.url("/5"), allow_private=True) == astronaut_jpeg
    with pytest.raises(RemoteUnavailable) as refused:
        fetch_image(server.url("/6"), allow_private=True)
    assert refused.value.status == 502
    assert "redirects too many times" in refused.value.message


def stream_forever(chunked: bool, content_length: int | None = None):
    """A route that sends bytes until the client hangs up."""

    def answer(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "image/jpeg")
        if chunked:
            request.send_header("Transfer-Encoding", "chunked")
        elif content_length is not None:
            request.send_header("Content-Length", str(content_length))
        else:
            request.send_header("Connection", "close")
        request.end_headers()
        block = b"\xff" * 65536
        while True:
            request.wfile.write(b"10000\r\n" + block + b"\r\n" if chunked else block)

    return answer


def test_an_honest_content_length_over_the_cap_is_refused_before_reading(web_server):
    server = web_server()
    server.routes["/huge"] = stream_forever(chunked=False, content_length=50 * MB)
    with pytest.raises(ImageTooLarge) as refused:
        fetch_image(server.url("/huge"), allow_private=True, max_bytes=10 * MB)
    assert refused.value.status == 413
    assert "10 MB" in refused.value.message


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "no-length"])
def test_an_endless_body_stops_at_the_cap(web_server, chunked):
    server = web_server()
    server.routes["/endless"] = stream_forever(chunked=chunked)
    with pytest.raises(ImageTooLarge):
        fetch_image(server.url("/endless"), allow_private=True, max_bytes=2 * MB)


def test_a_content_length_that_lies_low_reads_no_more_than_it_said(web_server):
    server = web_server()
    server.routes["/lie"] = stream_forever(chunked=False, content_length=1000)
    assert len(fetch_image(server.url("/lie"), allow_private=True)) == 1000


def test_a_page_that_is_not_a_picture_downloads_but_does_not_decode(web_server):
    server = web_server()
    url = server.serve("/page", b"<html><body>Hello</body></html>", "text/html")
    with pytest.raises(NotAnImage):
        decode_image(fetch_image(url, allow_private=True))


def test_an_error_answer_is_a_bad_gateway(web_server):
    server = web_server()
    with pytest.raises(RemoteUnavailable) as failed:
        fetch_image(server.url("/missing"), allow_private=True)
    assert failed.value.status == 502
    assert failed.value.message == "That site answered with an error (HTTP 404)."


def test_a_closed_port_is_a_bad_gateway():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(RemoteUnavailable) as failed:
        fetch_image(f"http://127.0.0.1:{closed_port}/", allow_private=True)
    assert failed.value.message == "Could not connect to that site."


def sleep_then(seconds: float, body: bytes = b""):
    def answer(request: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        request.send_response(200)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    return answer


def drip(interval: float):
    def answer(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Length", "100000")
        request.end_headers()
        while True:
            request.wfile.write(b"\xff")
            request.wfile.flush()
            time.sleep(interval)

    return answer


@pytest.mark.parametrize(
    "route", [sleep_then(3), drip(0.1)], ids=["silent-server", "slow-drip-body"]
)
def test_a_slow_server_times_out(web_server, route):
    server = web_server()
    server.routes["/slow"] = route
    started = time.monotonic()
    with pytest.raises(RemoteTimeout) as failed:
        fetch_image(server.url("/slow"), allow_private=True, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert failed.value.status == 504
    assert failed.value.message == "That site took too long to answer."


@pytest.fixture(scope="module")
def localhost_certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for the name localhost: (certificate file, key file)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    certificate, key = str(folder / "localhost.pem"), str(folder / "localhost.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", key, "-out", certificate],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


@pytest.fixture
def https_server(web_server, localhost_certificate, astronaut_jpeg):
    certificate, key = localhost_certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    names: list[str | None] = []
    context.sni_callback = lambda connection, name, context: names.append(name)
    server = web_server("127.0.0.1", tls=context)
    server.serve("/a.jpg", astronaut_jpeg)
    return server, names


def test_https_checks_the_certificate_against_the_name_not_the_address(
    https_server, localhost_certificate, astronaut_jpeg, monkeypatch
):
    server, names = https_server
    monkeypatch.setenv("SSL_CERT_FILE", localhost_certificate[0])  # trust it, as a CA would
    url = f"https://localhost:{server.port}/a.jpg"
    assert fetch_image(url, allow_private=True) == astronaut_jpeg
    assert names == ["localhost"]  # SNI carries the name
    with pytest.raises(RemoteUnavailable) as failed:  # the address is not the certificate's name
        fetch_image(f"https://127.0.0.1:{server.port}/a.jpg", allow_private=True)
    assert failed.value.message == "That site's secure connection could not be verified."


def test_an_untrusted_certificate_is_refused(https_server):
    server, _ = https_server
    with pytest.raises(RemoteUnavailable) as failed:
        fetch_image(f"https://localhost:{server.port}/a.jpg", allow_private=True)
    assert failed.value.status == 502
    assert server.requests == []


# The deadline: `timeout` bounds the whole fetch, however the server spreads its bytes.
TIMEOUT = 1.0
WITHIN_DEADLINE = 1.1 * TIMEOUT + 0.05  # 10 %, plus a little for the test's own work


def answer_slowly(pieces: list[tuple[float, bytes]]):
    """A route that writes each piece after its pause (bypassing the handler), then hangs up."""

    def answer(request: BaseHTTPRequestHandler) -> None:
        for pause, data in pieces:
            time.sleep(pause)
            request.wfile.write(data)
        request.close_connection = True

    return answer


def one_byte_at_a_time(data: bytes, interval: float) -> list[tuple[float, bytes]]:
    return [(interval, data[i : i + 1]) for i in range(len(data))]


OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n"
ENDLESS_HEADER = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 40  # 8 s of headers at 0.2 s a byte


def fetch_timed(url: str) -> float:
    """Seconds until fetch_image gave up with RemoteTimeout (the test fails on any other end)."""
    started = time.monotonic()
    with pytest.raises(RemoteTimeout) as failed:
        fetch_image(url, allow_private=True, timeout=TIMEOUT)
    assert failed.value.status == 504
    return time.monotonic() - started


@pytest.mark.parametrize(
    "pieces",
    [
        one_byte_at_a_time(ENDLESS_HEADER, 0.2),
        [(0.0, OK_HEAD), *one_byte_at_a_time(b"\xff" * 5, 0.8)],
        [(0.6, OK_HEAD), (5.0, b"\xff")],
        [(0.0, b"HTTP/1.1 200 OK\r\n"), (0.6, b"Content-Length: 10\r\n"), (5.0, b"\r\n")],
    ],
    ids=["headers-drip", "body-drip", "stall-after-headers", "stall-inside-headers"],
)
def test_a_slow_server_never_keeps_the_fetch_past_its_deadline(web_server, pieces):
    server = web_server()
    server.routes["/slow"] = answer_slowly(pieces)
    assert fetch_timed(server.url("/slow")) <= WITHIN_DEADLINE


def test_a_chain_of_slow_redirects_never_passes_the_deadline(web_server):
    server = web_server()
    redirect = b"HTTP/1.1 302 Found\r\nLocation: /%d\r\nContent-Length: 0\r\n\r\n"
    server.routes["/1"] = answer_slowly([(0.5, redirect % 2)])  # half the time
    server.routes["/2"] = answer_slowly([(0.25, redirect % 3)])  # half of what is left
    server.routes["/3"] = answer_slowly(one_byte_at_a_time(ENDLESS_HEADER, 0.1))
    assert fetch_timed(server.url("/1")) <= WITHIN_DEADLINE
    assert [request.path for request in server.requests] == ["/1", "/2", "/3"]


def test_a_redirect_arriving_after_the_deadline_is_not_followed(web_server, astronaut_jpeg):
    server = web_server()
    server.serve("/photo.jpg", astronaut_jpeg)
    late = b"HTTP/1.1 302 Found\r\nLocation: /photo.jpg\r\nContent-Length: 0\r\n\r\n"
    server.routes["/late"] = answer_slowly(one_byte_at_a_time(late, 0.05))  # about 2.8 s
    assert fetch_timed(server.url("/late")) <= WITHIN_DEADLINE
    assert [request.path for request in server.requests] == ["/late"]


def test_a_server_that_never_finishes_the_tls_handshake_times_out():
    with socket.create_server(("127.0.0.1", 0)) as listener:  # accepts, never answers
        port = listener.getsockname()[1]
        assert fetch_timed(f"https://localhost:{port}/a.jpg") <= WITHIN_DEADLINE


def test_a_tls_handshake_dripped_a_byte_at_a_time_times_out():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def drip_a_handshake_record() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)  # the ClientHello
            # A handshake record that promises 16 KB, then sends it slowly.
            connection.sendall(b"\x16\x03\x03\x40\x00")
            try:
                for _ in range(40):
                    time.sleep(0.1)
                    connection.sendall(b"\x00")
            except OSError:
                pass  # the client gave up, as it should

    worker = threading.Thread(target=drip_a_handshake_record, daemon=True)
    worker.start()
    try:
        assert fetch_timed(f"https://localhost:{port}/a.jpg") <= WITHIN_DEADLINE
    finally:
        listener.close()
