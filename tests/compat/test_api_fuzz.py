"""Fuzz the API from its own OpenAPI document (`GET /api/openapi.json`) with schemathesis:
every route, valid and invalid input, as an administrator, bounded in time. The only check
is that the server never answers with a 5xx: bad input is the client's fault and must get a
4xx, whatever it is.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# The whole run stops after this many seconds, whatever is left to try.
MAX_SECONDS = 120


@pytest.fixture(scope="module")
def fuzz_server(start_aleph):
    """A server of its own: the fuzzer deletes and rewrites whatever it finds."""
    server = start_aleph("aleph-fuzz")
    session = requests.Session()
    session.headers["Authorization"] = f"ApiKey {server.api_key}"
    resp = session.post(f"{server.url}/api/2/collections",
                        json={"foreign_id": "fuzz", "label": "Fuzz"}, timeout=30)
    resp.raise_for_status()
    cid = resp.json()["id"]
    entities = [
        {"id": "p1", "schema": "Person", "properties": {"name": ["Jane Doe"], "nationality": ["de"]}},
        {"id": "c1", "schema": "Company", "properties": {"name": ["Acme Ltd"], "jurisdiction": ["gb"]}},
        {"id": "o1", "schema": "Ownership", "properties": {"owner": ["p1"], "asset": ["c1"]}},
        {"id": "d1", "schema": "PlainText", "properties": {"fileName": ["a.txt"], "parent": ["f1"]}},
        {"id": "f1", "schema": "Folder", "properties": {"fileName": ["docs"]}},
    ]
    session.post(f"{server.url}/api/2/collections/{cid}/_bulk", json=entities,
                 timeout=30).raise_for_status()
    # Something of every kind for the fuzzer to find and mangle: an uploaded file (a document
    # row, an archive blob, a job), an entity set, an alert.
    session.post(f"{server.url}/api/2/collections/{cid}/ingest",
                 files={"file": ("notes ü.txt", b"Jane Doe owns Acme Ltd.\n", "text/plain")},
                 data={"meta": '{"foreign_id": "notes", "languages": ["en"]}'},
                 timeout=30).raise_for_status()
    session.post(f"{server.url}/api/2/entitysets",
                 json={"label": "Fuzz list", "type": "list", "collection_id": str(cid)},
                 timeout=30).raise_for_status()
    session.post(f"{server.url}/api/2/alerts", json={"query": "Jane"},
                 timeout=30).raise_for_status()
    yield server
    server.stop()


def test_no_input_makes_a_server_error(fuzz_server, tmp_path):
    cmd = [
        str(SCHEMATHESIS), "run", f"{fuzz_server.url}/api/openapi.json",
        "--checks", "not_a_server_error",
        "--header", f"Authorization: ApiKey {fuzz_server.api_key}",
        "--max-examples", "10",
        "--max-time", str(MAX_SECONDS),
        "--seed", "20240501",
        # One worker: schemathesis' own code is not reliably thread-safe on every Python.
        "--workers", "1",
        "--request-timeout", "30",
        # A new key would lock the fuzzer out for the rest of the run; generating keys is
        # covered by the Rust API tests.
        "--exclude-operation-id", "generate_api_key",
        "--output-truncate", "false",
    ]
    # Run in a scratch directory: hypothesis keeps its example database in the cwd.
    proc = subprocess.run(cmd, capture_output=True, cwd=tmp_path, timeout=MAX_SECONDS + 240)
    output = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, output[-20000:] + "\n--- server log ---\n" + fuzz_server.log_tail()
    # The run really covered the API: every selected operation (all but the excluded one)
    # was tested, and thousands of requests were made.
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    cases = re.search(r"(\d+) generated, (\d+) passed", output)
    assert selected and tested and cases, output[-5000:]
    assert int(selected.group(1)) == int(selected.group(2)) - 1 >= 40
    assert int(tested.group(1)) == int(selected.group(1))
    assert int(cases.group(1)) == int(cases.group(2)) > 1000
    assert fuzz_server.proc.poll() is None, "the server survived"
