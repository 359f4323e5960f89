"""Fixtures for the fault tests of the distributed configuration: PostgreSQL and OpenSearch
instances of their own (stopped and restarted by the tests, so never the shared ones of the
test run), the shared S3 server, and a deployment of `aleph serve --workers 0` with two
`aleph worker` processes over them."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "compat"))

import distributed  # noqa: E402


def _load_compat_fixtures():
    # The compatibility suite's conftest, under another name than ours.
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "compat_conftest", ROOT / "tests" / "compat" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_compat = _load_compat_fixtures()
AlephServer = _compat.AlephServer
_aleph_bin = _compat._aleph_bin


def wait_until(what: str, check, timeout: float, interval: float = 0.5):
    """Call `check()` every `interval` seconds until it returns `(True, seen)`; return
    `seen`. `check` returns `(done, seen)`, where `seen` is what it observed (it is
    named in the failure). After `timeout` seconds the test fails, saying what it waited
    for and what it saw last."""
    deadline = time.monotonic() + timeout
    while True:
        done, seen = check()
        if done:
            return seen
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"gave up after {timeout:g} s waiting until {what}; last seen: {seen!r}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Postgres:
    """A PostgreSQL cluster of our own, through `scripts/pg-test-server.sh`."""

    def __init__(self, directory: Path):
        self.env = dict(os.environ, ALEPH_TEST_PG_DIR=str(directory),
                        ALEPH_TEST_PG_PORT=str(free_port()))
        self.admin_uri = None

    def _script(self, action: str) -> str:
        proc = subprocess.run([str(ROOT / "scripts" / "pg-test-server.sh"), action],
                              env=self.env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def start(self):
        out = self._script("start")
        self.admin_uri = out.strip().split("=", 1)[1]
        return self

    def stop(self):
        self._script("stop")


class OpenSearch:
    """An OpenSearch node of our own, through `scripts/opensearch-test-node.sh`; restarts
    keep its data, as a real node's do."""

    def __init__(self, home: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, ALEPH_TEST_OS_HOME=str(home),
                        ALEPH_TEST_OS_PORT=str(self.port),
                        ALEPH_TEST_OS_TRANSPORT_PORT=str(free_port()))

    def _script(self, action: str, keep: bool = False):
        env = dict(self.env, ALEPH_TEST_OS_KEEP_DATA="1" if keep else "0")
        proc = subprocess.run([str(ROOT / "scripts" / "opensearch-test-node.sh"), action],
                              env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr

    def start(self, keep: bool = False):
        self._script("start", keep)
        return self

    def stop(self):
        self._script("stop")



@pytest.fixture(scope="session")
def aleph() -> str:
    return _aleph_bin()


@pytest.fixture
def postgres():
    # Not under pytest's temporary directory: as root, the script runs the server as the
    # postgres user, who cannot enter it.
    directory = Path(f"/var/tmp/aleph-faults-pg-{os.getpid()}")
    shutil.rmtree(directory, ignore_errors=True)
    pg = Postgres(directory).start()
    yield pg
    pg.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def opensearch(tmp_path):
    node = OpenSearch(tmp_path / "opensearch").start()
    yield node
    node.stop()


def psql(uri: str, sql: str) -> str:
    proc = subprocess.run(["psql", uri, "-Atc", sql], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def index_count(deployment: dict, collection_id: int) -> int:
    """Entities of a collection in the deployment's OpenSearch index."""
    body = json.dumps({"query": {"term": {"collection_id": collection_id}}}).encode()
    request = urllib.request.Request(f"{deployment['ALEPH_INDEX_URI']}/_count", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.load(resp)["count"]


def store_count(deployment: dict, collection_id: int) -> int:
    """Entities of a collection in the store (distinct ids over their fragments)."""
    return int(psql(deployment["ALEPH_DATABASE_URI"],
                    "SELECT count(DISTINCT entity_id) FROM fragments "
                    f"WHERE collection_id = {int(collection_id)}"))


def start_deployment(aleph, data_dir: Path, deployment: dict, extra_env=None) -> AlephServer:
    """`aleph serve --workers 0` and two `aleph worker` processes on a deployment."""
    server = AlephServer(aleph, data_dir, deployment=dict(deployment, **(extra_env or {})))
    return server.start()


class Api:
    """Small JSON client for a server, keeping the status of every answer."""

    def __init__(self, server: AlephServer):
        self.server = server

    def call(self, method: str, path: str, body=None, timeout: float = 60):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.server.url + path, data=data, method=method,
            headers={"Authorization": f"ApiKey {self.server.api_key}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                return err.code, json.loads(raw)
            except ValueError:
                return err.code, raw.decode(errors="replace")

    def create_collection(self, foreign_id: str) -> int:
        status, body = self.call("POST", "/api/2/collections",
                                 {"foreign_id": foreign_id, "label": foreign_id})
        assert status == 200, (status, body)
        return int(body["id"])

    def wait_idle(self, collection_id: int, timeout: float = 300):
        def check():
            status, body = self.call("GET", f"/api/2/collections/{collection_id}/status")
            return status == 200 and body["pending"] + body["running"] == 0, (status, body)

        return wait_until(f"collection {collection_id} has no pending or running work",
                          check, timeout)[1]
