"""Public reads through Varnish (deploy/varnish/default.vcl) against the app served directly.

    .venv/bin/python bench/varnish_front.py [--db sqlite|postgres] [--seconds 4] [--rounds 3]

Loads the bench dataset (10k posts, 10k comments), starts `marginalia serve` exactly as
bench/run.py does (2 workers x 4 threads, response cache on), starts a real varnishd with
the shipped VCL in front of it (backend moved to the app's port, nothing else changed),
and measures each read directly and through Varnish in alternating rounds, best round of
each, with the same load driver. Every answer through Varnish is checked to be a HIT.

`in_front_of(port, folder)` is the piece bench/run.py can use for a Varnish row.
"""

from __future__ import annotations

import argparse
import http.client
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from load import driver_name, measure
from run import CLI, CONNECTIONS, ROOT, app_server, base_env, database, free_port
from scenarios import Request

VCL = ROOT / "deploy" / "varnish" / "default.vcl"
BACKEND = re.compile(r'(backend marginalia \{\s*\.host = "127\.0\.0\.1";\s*\.port = )"8000";')
READS = {
    "post detail": "/v1/posts/post-5000",
    "post list": "/v1/posts?include=author,tags",
    "comment thread (500)": "/v1/posts/hot-post/comments?limit=100",
}


@contextmanager
def in_front_of(backend_port: int, folder: Path) -> Iterator[str]:
    """A varnishd with the shipped VCL in front of 127.0.0.1:`backend_port`; its URL."""
    varnishd = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
    if varnishd is None:
        raise SystemExit("varnishd is missing: apt-get install -y varnish varnish-modules")
    folder.mkdir(parents=True, exist_ok=True)
    vcl, replaced = BACKEND.subn(rf'\g<1>"{backend_port}";', VCL.read_text())
    if replaced != 1:
        raise SystemExit(f"{VCL} no longer declares its backend as expected")
    (folder / "default.vcl").write_text(vcl)
    port = free_port()
    with (folder / "varnishd.log").open("wb") as log:
        process = subprocess.Popen(
            [
                varnishd, "-F", "-j", "none", "-T", "none",
                "-a", f"127.0.0.1:{port}",
                "-n", str(folder / "state"),
                "-f", str(folder / "default.vcl"),
                "-s", "malloc,256m",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_until_purgeable(port, process, folder / "varnishd.log")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_purgeable(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"varnishd exited:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if _get(port, "/", method="PURGE", headers={"xkey-purge": "probe"})[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("varnishd did not answer within 60s")


def _get(port: int, path: str, method: str = "GET", headers=None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, response.headers.get("X-Cache", "")
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with database(args.db) as db_env, tempfile.TemporaryDirectory() as tmp:
        env = base_env(db_env, tmp)
        subprocess.run([*CLI, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run(
            [sys.executable, str(BENCH / "dataset.py"), "--posts", "10000", "--comments", "10000"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        with (
            app_server(env, cache=True) as direct,
            in_front_of(urlsplit(direct).port, Path(tmp) / "varnish") as fronted,
        ):
            print(f"{args.db}, {driver_name()} with {CONNECTIONS} connections, best of "
                  f"{args.rounds} alternating rounds of {args.seconds:.0f}s")  # fmt: skip
            for name, path in READS.items():
                request = Request(path)
                varnish_port = urlsplit(fronted).port
                _get(varnish_port, path)  # the miss that fills Varnish
                status, cache = _get(varnish_port, path)
                if (status, cache) != (200, "HIT"):
                    raise SystemExit(f"{path} through Varnish: {status} {cache}, not a HIT")
                measure(direct, request, seconds=1, connections=CONNECTIONS)  # warm-up
                mine, varnish = [], []
                for _ in range(args.rounds):
                    mine.append(
                        measure(direct, request, seconds=args.seconds, connections=CONNECTIONS)
                    )
                    varnish.append(
                        measure(fronted, request, seconds=args.seconds, connections=CONNECTIONS)
                    )
                app = max(mine, key=lambda r: r.rps)
                proxy = max(varnish, key=lambda r: r.rps)
                print(
                    f"  {name:<22} app {app.rps:8,.0f} req/s (p99 {app.p99_ms:6.2f} ms)  "
                    f"Varnish {proxy.rps:8,.0f} req/s (p99 {proxy.p99_ms:6.2f} ms)  "
                    f"{proxy.rps / app.rps:5.1f}x  errors {app.errors + proxy.errors}"
                )


if __name__ == "__main__":
    main()
