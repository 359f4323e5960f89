"""Shared fixtures for the compatibility tests: the aleph binary, the reference tools and a
running `aleph serve`. With `ALEPH_TEST_CONFIG=distributed` every server runs the distributed
configuration (see `distributed.py`): `aleph serve --workers 0` and two `aleph worker`
processes over a fresh PostgreSQL database, OpenSearch index and S3 bucket."""
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import distributed

ROOT = Path(__file__).resolve().parents[2]


def _aleph_bin() -> str:
    explicit = os.environ.get("ALEPH_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    for profile in ("release", "debug"):
        candidate = Path(target) / profile / "aleph"
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("aleph binary not found: build it or set ALEPH_BIN")


@pytest.fixture(scope="session")
def aleph() -> str:
    return _aleph_bin()


@pytest.fixture(scope="session")
def ftm() -> str:
    """The `ftm` command of the venv running these tests."""
    path = Path(sys.executable).parent / "ftm"
    if not path.exists():
        found = shutil.which("ftm")
        if found is None:
            raise RuntimeError("the ftm command (followthemoney) is not installed")
        return found
    return str(path)


def run(cmd, input_bytes=None, check=True):
    proc = subprocess.run(cmd, input=input_bytes, capture_output=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{cmd!r} failed with {proc.returncode}:\n{proc.stderr.decode(errors='replace')}"
        )
    return proc


# --- a running `aleph serve` ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AlephServer:
    """`aleph serve` on a free loopback port with its own data directory. On first start the
    server creates an administrator and prints the API key, which is read from its output."""

    def __init__(self, aleph: str, data_dir: Path, startup_timeout: float = 120.0,
                 deployment: dict = None):
        self.aleph = aleph
        # Distributed: the deployment's environment; the file work goes to two workers.
        self.deployment = deployment
        self.workers = None
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Prometheus metrics on a port of their own (`/metrics`).
        self.metrics_port = free_port()
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        self.api_key = None
        self.proc = None
        self._lines = queue.Queue()
        self.startup_timeout = startup_timeout

    def _env(self):
        # Only our settings: an ALEPH_* variable of the calling shell must not point the
        # server at another database or index.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("ALEPH_") and k != "ARCHIVE_PATH"
        }
        # `next` links are built on the UI URL; alephclient follows them verbatim.
        env["ALEPH_UI_URL"] = self.url + "/"
        env.setdefault("RUST_LOG", "warn")
        if self.deployment:
            env.update(self.deployment)
        return env

    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "wb")
        slots = ["--workers", "0"] if self.deployment else []
        self.proc = subprocess.Popen(
            [self.aleph, "serve", *slots, "--data-dir", str(self.data_dir),
             "--bind", f"127.0.0.1:{self.port}",
             "--metrics-bind", f"127.0.0.1:{self.metrics_port}"],
            stdout=subprocess.PIPE,
            stderr=log,
            env=self._env(),
        )
        log.close()
        reader = threading.Thread(target=self._read_stdout, daemon=True)
        reader.start()
        deadline = time.monotonic() + self.startup_timeout
        while self.api_key is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"aleph serve did not start: {self.log_tail()}")
            try:
                line = self._lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if line.strip().startswith("API key:"):
                self.api_key = line.split(":", 1)[1].strip()
        self._wait_healthy(deadline)
        if self.deployment:
            # After the server: it creates the database schema the workers need.
            self.workers = distributed.Workers(self.aleph, self.data_dir, self._env())
        return self

    def _read_stdout(self):
        for raw in self.proc.stdout:
            self._lines.put(raw.decode("utf-8", errors="replace"))

    def _wait_healthy(self, deadline):
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"aleph serve is not answering: {self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        path = self.data_dir / "server.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self.workers is not None:
            self.workers.stop()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def start_aleph(aleph, tmp_path_factory):
    """Start a server with a fresh data directory; every server is stopped at the end."""
    started = []

    def start(name: str = "aleph-serve") -> AlephServer:
        deployment = distributed.deployment_env() if distributed.is_distributed() else None
        server = AlephServer(aleph, tmp_path_factory.mktemp(name), deployment=deployment).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def aleph_server(start_aleph):
    """One server for the whole session, with the administrator's API key."""
    return start_aleph()
