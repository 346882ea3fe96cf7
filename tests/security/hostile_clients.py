"""Clients an attacker would run, and a probe measuring what an honest client sees.

Everything talks to 127.0.0.1 only, for a bounded number of sockets and seconds. The
attackers run in a process of their own, so the probe's timings are not theirs.
"""

from __future__ import annotations

import http.client
import multiprocessing
import resource
import select
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field


def allow_open_files(wanted: int) -> None:
    """Lift this process's soft descriptor limit (each held socket is one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft == resource.RLIM_INFINITY or soft >= wanted, (
        f"open-file limit {soft} is below the {wanted} this test holds; raise `ulimit -n`"
    )


class Horde:
    """`count` sockets that send `opening`, then `drip` every `interval` seconds, never
    finishing their request. One the server closes is opened again, as an attacker
    would, so the pressure stays on for the whole attack.

    A context manager; `status()` says how many sockets it holds right now, how many
    the server cut, and the status lines the server answered before cutting.
    """

    def __init__(self, port: int, count: int, opening: bytes, drip: bytes, interval: float):
        self.count = count
        self._args = (port, count, opening, drip, interval)
        self.final: dict = {}

    def __enter__(self) -> Horde:
        context = multiprocessing.get_context("spawn")
        self._pipe, theirs = context.Pipe()
        self._process = context.Process(target=_attack, args=(theirs, *self._args), daemon=True)
        self._process.start()
        assert self._pipe.poll(30), "the attackers did not start"
        self._pipe.recv()  # every socket opened once
        return self

    def status(self) -> dict:
        self._pipe.send("status")
        return self._pipe.recv()

    def __exit__(self, *exc) -> None:
        self._pipe.send("stop")
        if self._pipe.poll(10):
            self.final = self._pipe.recv()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()


def _attack(pipe, port: int, count: int, opening: bytes, drip: bytes, interval: float) -> None:
    allow_open_files(count + 64)
    held: dict[socket.socket, float] = {}  # socket -> when it drips next
    stats = {"holding": 0, "opened": 0, "cut": 0, "answers": []}

    def open_one(first_drip: float) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            if opening:
                sock.sendall(opening)
        except OSError:
            return  # missing from `holding`; opened again on the next turn
        sock.setblocking(False)
        held[sock] = first_drip
        stats["opened"] += 1

    def lose(sock: socket.socket) -> None:
        held.pop(sock, None)
        sock.close()
        stats["cut"] += 1

    for index in range(count):  # drips spread over the interval
        open_one(time.monotonic() + interval * (index + 1) / count)
    pipe.send("ready")
    while True:
        readable, _, _ = select.select([pipe, *held], [], [], 0.05)
        for sock in readable:
            if sock is pipe:
                request = pipe.recv()
                stats["holding"] = len(held)
                pipe.send(stats)
                if request == "stop":
                    for each in held:
                        each.close()
                    return
                continue
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data.startswith(b"HTTP/"):
                stats["answers"].append(data.split(b"\r\n", 1)[0].decode("latin-1"))
            if not data or data.startswith(b"HTTP/"):
                lose(sock)
        now = time.monotonic()
        for sock, due in list(held.items()):
            if due <= now:
                try:
                    if drip:
                        sock.send(drip)
                    held[sock] = now + interval
                except OSError:
                    lose(sock)
        for _ in range(count - len(held)):
            open_one(time.monotonic() + interval)


@dataclass
class Probes:
    """What an honest client saw: one fresh connection per request."""

    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def slowest(self) -> float:
        return max(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def summary(self) -> str:
        return (
            f"{len(self.seconds)} probes, median {self.median * 1000:.1f} ms, "
            f"slowest {self.slowest * 1000:.1f} ms, failures {self.failures}"
        )


def probe(port: int, seconds: float, paths=("/healthz", "/v1/posts"), every=0.2) -> Probes:
    """GET each path in turn for `seconds`; a failure counts as its time until it failed
    (at most the 5 s timeout)."""
    seen = Probes()
    deadline = time.monotonic() + seconds
    turn = 0
    while time.monotonic() < deadline:
        path = paths[turn % len(paths)]
        turn += 1
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                seen.failures.append(f"{path}: {response.status}")
        except OSError as exc:
            seen.failures.append(f"{path}: {type(exc).__name__}")
        finally:
            connection.close()
        seen.seconds.append(time.perf_counter() - started)
        time.sleep(every)
    return seen


class DrippingSource:
    """A web page on 127.0.0.1 that answers 200 at once, then sends its promised body one
    byte every `interval` seconds, for as long as the reader waits: the slow pingback
    source. A context manager; `url`, `served` (connections taken) and `most_at_once`
    (the most connections held together) are what a test looks at."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.served = 0
        self.most_at_once = 0
        self._open = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self._listener.getsockname()[1]

    def url(self, path: str = "/slow") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, served: int, timeout: float = 10) -> None:
        """Until `served` connections in all have come (each reader holds its slot)."""
        deadline = time.monotonic() + timeout
        while self.served < served:
            assert time.monotonic() < deadline, f"{self.served} of {served} readers came"
            time.sleep(0.01)

    def __enter__(self) -> DrippingSource:
        self._listener.settimeout(0.05)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._drip, args=(sock,), daemon=True).start()

    def _drip(self, sock: socket.socket) -> None:
        with self._lock:
            self.served += 1
            self._open += 1
            self.most_at_once = max(self.most_at_once, self._open)
        try:
            sock.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                data = sock.recv(4096)
                if not data:
                    return
                head += data
            sock.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
            )
            while not self._stop.is_set():
                readable, _, _ = select.select([sock], [], [], self.interval)
                if readable and not sock.recv(4096):
                    return  # the reader hung up (seen at once, not at the next drip)
                sock.sendall(b" ")
        except OSError:
            pass  # the reader gave up: what it should do
        finally:
            sock.close()
            with self._lock:
                self._open -= 1
