"""CPU per request of the resident's home page against the login page, in one process
(issue 10, item 6).

Under HTTP load on this shared 2-core machine the requests-per-second ratio moves with
whatever else runs; the CPU a request costs the web process does not (much). This script
runs Django's own WSGI handler in-process with production settings (``DJANGO_ENV=production``:
DEBUG off, the cached template loader, the production middleware, sessions from Redis),
signs ``yezhu`` in through the login form, then requests the home page and the login page
alternately and prints the median CPU (``time.process_time``) and wall time of each, and
their ratio. Target: the home page at most 2× the login page's CPU (0.5× its requests per
second when the web process is the bottleneck).

It reads the database DATABASE_URL names, which must hold the demo (``manage.py
seed_demo``); it writes nothing but the login's session (and what a login records).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_home \\
        CELERY_BROKER_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/home_cpu.py
Options: --runs N (requests per URL per round, default 60), --rounds N (default 5),
--profile FILE (write a pyinstrument HTML profile of 200 home requests instead).
"""

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_STATIC = tempfile.TemporaryDirectory()
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_ENV": "production",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "PORTAL_VAR_DIR": _STATIC.name,
        "LOG_LEVEL": "WARNING",
    }
)
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/6")
# The checkout's development secrets (production settings demand them set), so the demo's
# audit chain and passwords stay as seeded.
_dev = (ROOT / "var" / "dev-secret-key").read_text().strip()
os.environ.setdefault("SECRET_KEY", _dev)
os.environ.setdefault("KEY_ENCRYPTION_SECRET", _dev)
import hashlib  # noqa: E402
import hmac  # noqa: E402

os.environ.setdefault(
    "AUDIT_HMAC_KEY",
    hmac.new(_dev.encode(), b"compound-portal audit chain", hashlib.sha256).hexdigest(),
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from board.demo import DEMO_PASSWORD  # noqa: E402

HANDLER = WSGIHandler()


class Response:
    def __init__(self) -> None:
        self.status = ""
        self.headers: list[tuple[str, str]] = []

    def start(self, status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        self.status, self.headers = status, headers


def request(method: str, path: str, cookie: str = "", body: str = "") -> tuple[Response, bytes]:
    data = body.encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_USER_AGENT": "home_cpu",
        "HTTP_ACCEPT": "text/html",
        "HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(data)),
    }
    if body:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    response = Response()
    chunks = HANDLER(environ, response.start)
    content = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return response, content


def cookies(response: Response) -> dict[str, str]:
    return {
        value.split("=", 1)[0].strip(): value.split("=", 1)[1].split(";", 1)[0]
        for name, value in response.headers
        if name.lower() == "set-cookie"
    }


def login(username: str) -> str:
    response, page = request("GET", "/accounts/login/")
    jar = cookies(response)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    body = urllib.parse.urlencode(
        {"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    )
    header = "; ".join(f"{k}={v}" for k, v in jar.items())
    response, _ = request("POST", "/accounts/login/", header, body)
    jar.update(cookies(response))
    assert response.status.startswith("302"), f"{username}: {response.status}"
    assert "sessionid" in jar, f"{username}: no session cookie"
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def get(path: str, cookie: str = "") -> Callable[[], bytes]:
    def run() -> bytes:
        response, content = request("GET", path, cookie)
        assert response.status.startswith("200"), (path, response.status)
        return content

    return run


def measure(gets: dict[str, Callable[[], bytes]], runs: int, rounds: int) -> None:
    """Per URL: the median CPU and wall time of single requests, the URLs requested in
    turn request by request (so a change in the machine's load hits both alike)."""
    cpu: dict[str, list[float]] = {name: [] for name in gets}
    wall: dict[str, list[float]] = {name: [] for name in gets}
    for _ in range(10):  # warm: templates compiled, statements prepared
        for fetch in gets.values():
            fetch()
    for number in range(1, rounds + 1):
        per_round: dict[str, list[float]] = {name: [] for name in gets}
        for _ in range(runs):
            for name, fetch in gets.items():
                c0, w0 = time.process_time(), time.perf_counter()
                fetch()
                per_round[name].append((time.process_time() - c0) * 1000)
                wall[name].append((time.perf_counter() - w0) * 1000)
        medians = {name: statistics.median(ms) for name, ms in per_round.items()}
        for name, ms in per_round.items():
            cpu[name] += ms
        base = medians["login page"]
        print(
            f"round {number} (load {os.getloadavg()[0]:.2f}): "
            + ", ".join(f"{n} {ms:.2f} ms ({ms / base:.2f}×)" for n, ms in medians.items()),
            flush=True,
        )
    base = statistics.median(cpu["login page"])
    print(f"\nmedian of {rounds} × {runs} requests each (CPU of this process, wall):")
    for name in gets:
        with CaptureQueriesContext(connection) as queries:
            gets[name]()
        c = statistics.median(cpu[name])
        print(
            f"  {name:16} CPU {c:6.2f} ms ({c / base:.2f}× login)  wall "
            f"{statistics.median(wall[name]):6.2f} ms  queries {len(queries)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="write a pyinstrument HTML profile of the home page")
    args = parser.parse_args()
    assert not settings.DEBUG and connection.vendor == "postgresql", "production, PostgreSQL"
    call_command("collectstatic", "--noinput", verbosity=0)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"database {connection.settings_dict['NAME']}, session engine {settings.SESSION_ENGINE}")
    resident = login("yezhu")
    home, login_page = get("/", resident), get("/accounts/login/")
    assert "我的物业费".encode() in home()
    if args.profile:
        from pyinstrument import Profiler

        for _ in range(20):
            home()
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(200):
            home()
        profiler.stop()
        Path(args.profile).write_text(profiler.output_html())
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    measure({"login page": login_page, "resident home": home}, args.runs, args.rounds)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
