"""`aleph client crawldir` builds the same tree as the real `alephclient crawldir`, and the
real `alephclient fetchdir` downloads it back byte for byte.

Both crawl one generated tree (nested folders, 200 small text files, junk) into two
collections of one `aleph serve`; after the workers are done, the two collections must hold
the same documents at the same paths (parent folder names + file name) with the same
content hashes and schemata."""
import hashlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import run

ALEPHCLIENT = str(Path(sys.executable).parent / "alephclient")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`aleph serve` on a free port with its own data directory."""

    def __init__(self, aleph: str, data_dir: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALEPH")}
        env["RUST_LOG"] = "warn"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir / "server.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [aleph, "serve", "--data-dir", str(data_dir / "data"),
                 "--bind", f"127.0.0.1:{self.port}", "--workers", "2"],
                stdout=subprocess.PIPE, stderr=log, env=env)
        lines = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(raw.decode()) for raw in self.proc.stdout],
            daemon=True).start()
        self.api_key = None
        deadline = time.monotonic() + 120
        while self.api_key is None:
            assert time.monotonic() < deadline and self.proc.poll() is None, self.log.read_text()
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line.strip().startswith("API key:"):
                self.api_key = line.split(":", 1)[1].strip()
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, self.log.read_text()
                time.sleep(0.2)

    def get(self, path: str, params=()):
        query = urllib.parse.urlencode(list(params))
        request = urllib.request.Request(
            f"{self.url}{path}?{query}", headers={"Authorization": f"ApiKey {self.api_key}"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            return json.load(resp)

    def collection_id(self, foreign_id: str) -> str:
        found = self.get("/api/2/collections", [("filter:foreign_id", foreign_id)])
        return found["results"][0]["id"]

    def wait_idle(self, collection_id: str):
        deadline = time.monotonic() + 600
        while True:
            status = self.get(f"/api/2/collections/{collection_id}/status")
            if status["pending"] + status["running"] == 0:
                return
            assert time.monotonic() < deadline, status
            time.sleep(0.25)

    def tree(self, collection_id: str) -> dict:
        """path -> (schema, contentHash, processingStatus) for every Document."""
        docs, offset = [], 0
        while True:
            page = self.get("/api/2/entities", [
                ("filter:collection_id", collection_id), ("filter:schemata", "Document"),
                ("limit", "100"), ("offset", str(offset))])
            docs.extend(page["results"])
            offset += len(page["results"])
            if not page["results"] or offset >= page["total"]:
                break

        def first(doc, prop):
            values = doc.get("properties", {}).get(prop, [])
            if not values:
                return ""
            value = values[0]
            return value["id"] if isinstance(value, dict) else value

        by_id = {d["id"]: d for d in docs}
        tree = {}
        for doc in docs:
            names, parent = [first(doc, "fileName")], first(doc, "parent")
            while parent:
                names.append(first(by_id[parent], "fileName"))
                parent = first(by_id[parent], "parent")
            path = "/".join(reversed(names))
            assert path not in tree, f"two documents at {path}"
            tree[path] = (doc["schema"], first(doc, "contentHash"),
                          first(doc, "processingStatus"))
        return tree

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def server(aleph, tmp_path_factory):
    srv = Server(aleph, tmp_path_factory.mktemp("crawl-serve"))
    yield srv
    srv.stop()


def make_tree(root: Path, files: int = 200) -> list:
    rels = []
    for i in range(files):
        rel = [f"top-{i:03}.txt",
               f"dept-{i % 3}/memo-{i:03}.txt",
               f"dept-{i % 3}/year-{2020 + i % 2}/report-{i:03}.txt",
               f"dept-{i % 3}/year-{2020 + i % 2}/q{i % 4}/note {i:03}.txt"][i % 4]
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Document number {i}.\nIt mentions file {rel}.\n")
        rels.append(rel)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".DS_Store").write_bytes(b"\0" * 16)
    return sorted(rels)


def test_same_tree_as_alephclient_and_fetchdir_round_trip(aleph, server, tmp_path):
    root = tmp_path / "tree"
    rels = make_tree(root)
    client = [ALEPHCLIENT, "--host", server.url, "--api-key", server.api_key]

    run(client + ["crawldir", "-f", "by-alephclient", "--nojunk", str(root)])
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    ours = subprocess.run(
        [aleph, "client", "crawldir", str(root), "--foreign-id", "by-aleph",
         "--host", server.url, "--api-key", server.api_key, "--parallel", "4"],
        capture_output=True, env=env)
    assert ours.returncode == 0, ours.stderr.decode() + ours.stdout.decode()
    assert "200 files added" in ours.stdout.decode(), ours.stdout.decode()

    theirs_id = server.collection_id("by-alephclient")
    ours_id = server.collection_id("by-aleph")
    server.wait_idle(theirs_id)
    server.wait_idle(ours_id)
    theirs_tree = server.tree(theirs_id)
    ours_tree = server.tree(ours_id)
    assert ours_tree == theirs_tree
    # Every file and folder is there, processed, with its content.
    for rel in rels:
        schema, content_hash, status = ours_tree[rel]
        assert status == "success", (rel, schema)
        assert content_hash == hashlib.sha1((root / rel).read_bytes()).hexdigest(), rel
    assert ours_tree["dept-1/year-2021"][0] == "Folder"
    assert not any(path.startswith(".") for path in ours_tree)

    # alephclient's fetchdir brings the tree back byte for byte.
    out = tmp_path / "fetched"
    run(client + ["fetchdir", "-f", "by-aleph", "-p", str(out)])
    fetched = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert fetched == rels
    for rel in rels:
        assert (out / rel).read_bytes() == (root / rel).read_bytes(), rel
