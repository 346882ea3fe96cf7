"""Load drivers: wrk when installed, else a bounded Python driver (slower: it is itself
Python, so its numbers are lower bounds). Both return `Result` and stop by themselves."""

from __future__ import annotations

import http.client
import itertools
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from scenarios import Request


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    statuses: str = ""


def driver_name() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def measure(base_url: str, request: Request, *, seconds: float, connections: int) -> Result:
    if shutil.which("wrk"):
        return _wrk(base_url, request, seconds, connections)
    return _python(base_url, request, seconds, connections)


# --- wrk ------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _lua(request: Request) -> str:
    if request.unique:
        return _unique_lua(request)
    lines = [f"wrk.method = {_lua_string(request.method)}"]
    for name, value in request.headers.items():
        lines.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
    if request.body is not None:
        lines.append(f"wrk.body = {_lua_string(request.body)}")
    return "\n".join(lines) + "\n"


def _unique_lua(request: Request) -> str:
    """Every request different: `{n}` in the body becomes a counter, and each request comes
    from its own client address (X-Forwarded-For in 10/8: the benchmarking range 198.18/15
    held too few for rounds a few seconds apart not to meet the 15 s flood rule; the
    bench server trusts one proxy hop), so the flood and duplicate rules judge new
    commenters rather than refusing one. Each script (one per wrk run) starts at a random
    point, so a later round repeats neither an earlier round's text nor its addresses."""
    start = secrets.randbelow(1 << 30)
    headers = "\n".join(
        f"  headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in request.headers.items()
    )
    return f"""counter = {start}
request = function()
  counter = counter + 1
  local headers = {{}}
{headers}
  headers["X-Forwarded-For"] = "10." .. math.floor(counter / 65536) % 256 .. "." ..
      math.floor(counter / 256) % 256 .. "." .. counter % 256
  local body = string.gsub({_lua_string(request.body or "")}, "{{n}}", tostring(counter))
  return wrk.format({_lua_string(request.method)}, nil, headers, body)
end
"""


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def _wrk(base_url: str, request: Request, seconds: float, connections: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(request))
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-s",
        script.name,
        base_url + request.path,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+([\d.]+\w+)", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return Result(
        rps=rps,
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        errors=int(errors.group(1)) if errors else 0,
        statuses=socket_errors.group(1) if socket_errors else "",
    )


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * _UNITS[unit]


# --- the Python fallback --------------------------------------------------------------


def _python(base_url: str, request: Request, seconds: float, connections: int) -> Result:
    parts = urlsplit(base_url)
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    body = request.body.encode() if request.body is not None else None

    counter = itertools.count(secrets.randbelow(1 << 30))

    def loop(slot: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            sent_body, headers = body, request.headers
            if request.unique:
                n = next(counter)
                sent_body = request.body.replace("{n}", str(n)).encode()
                headers = {
                    **headers,
                    "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
                }
            try:
                connection.request(request.method, request.path, body=sent_body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    errors[slot] += 1
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            latencies[slot].append((time.perf_counter() - started) * 1000)
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    every = sorted(ms for slot in latencies for ms in slot)
    if not every:
        return Result(0.0, 0.0, 0.0, sum(errors))
    return Result(
        rps=len(every) / elapsed,
        p50_ms=every[len(every) // 2],
        p99_ms=every[min(len(every) - 1, int(len(every) * 0.99))],
        errors=sum(errors),
    )
