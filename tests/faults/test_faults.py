"""Fault tests of the distributed configuration (PostgreSQL + OpenSearch + S3, `aleph serve
--workers 0` and two `aleph worker` processes): a worker killed in the middle of an ingest,
OpenSearch stopped and restarted during a `_bulk` load, PostgreSQL restarted under load.
The instances that are stopped belong to the test alone (see conftest.py)."""
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request

from conftest import (Api, distributed, index_count, psql, start_deployment, store_count,
                      wait_until)


def entities(prefix: str, start: int, count: int) -> list:
    return [{"id": f"{prefix}-{i}", "schema": "Person",
             "properties": {"name": [f"Person {prefix} number {i}"]}}
            for i in range(start, start + count)]


def wait_converged(deployment: dict, collection_id: int, expected: int,
                   timeout: float = 240):
    """Wait until the index holds exactly the store's entities of the collection."""
    def check():
        stored = store_count(deployment, collection_id)
        try:
            indexed = index_count(deployment, collection_id)
        except OSError:
            indexed = None
        return stored == expected and indexed == stored, {"store": stored, "index": indexed}

    wait_until(f"store and index both hold the {expected} entities of collection "
               f"{collection_id}", check, timeout, interval=1)


def test_killing_one_of_two_workers_mid_ingest_loses_and_repeats_nothing(aleph, tmp_path):
    deployment = distributed.deployment_env()
    # A short lease, so that the killed worker's job goes back to the queue quickly.
    server = start_deployment(aleph, tmp_path / "data", deployment,
                              {"ALEPH_WORKER_LEASE_SECONDS": "3"})
    try:
        root = tmp_path / "files"
        root.mkdir()
        names = []
        for i in range(40):
            name = f"note-{i:02}.txt"
            (root / name).write_text(f"Note {i} about the Ostrava contract.\n" * 200)
            names.append(name)
        for i in range(4):
            # Larger tables keep a worker busy long enough to be killed mid-file.
            name = f"table-{i}.csv"
            with open(root / name, "w") as out:
                out.write("name,country,amount\n")
                for row in range(60000):
                    out.write(f"Company {i}-{row},de,{row}\n")
            names.append(name)
        crawl = subprocess.run(
            [aleph, "client", "crawldir", str(root), "--foreign-id", "killed",
             "--host", server.url, "--api-key", server.api_key],
            env=dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), RUST_LOG="warn"),
            capture_output=True, text=True)
        assert crawl.returncode == 0, crawl.stderr
        uri = deployment["ALEPH_DATABASE_URI"]
        victim = server.workers.procs[0]
        # Kill the first worker while it holds a process job (its name has its pid).
        def holds_a_job():
            held = psql(uri, "SELECT count(*) FROM jobs WHERE state = 'running' "
                             f"AND stage = 'process' AND lease_owner LIKE '%:{victim.pid}:%'")
            return int(held) > 0, f"{held} process jobs held"

        wait_until(f"worker {victim.pid} holds a process job", holds_a_job, 120,
                   interval=0.02)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        api = Api(server)
        status, page = api.call("GET", "/api/2/collections?filter:foreign_id=killed")
        collection_id = int(page["results"][0]["id"])
        api.wait_idle(collection_id, timeout=300)
        assert server.workers.procs[1].poll() is None, "the other worker must still run"

        # Every file ended once: one process job each, succeeded; one of them was taken
        # over from the killed worker.
        rows = psql(uri, "SELECT state, count(*), max(attempts) FROM jobs "
                         f"WHERE stage = 'process' AND collection_id = {collection_id} "
                         "GROUP BY state")
        by_state = {r.split("|")[0]: r.split("|")[1:] for r in rows.splitlines()}
        assert list(by_state) == ["succeeded"], rows
        assert int(by_state["succeeded"][0]) == len(names), rows
        assert int(by_state["succeeded"][1]) >= 2, f"no job was retried after the kill: {rows}"
        # One Document per file, each processed successfully, none twice.
        seen = {}
        offset = 0
        while True:
            status, page = api.call(
                "GET", f"/api/2/entities?filter:collection_id={collection_id}"
                       f"&filter:schemata=Document&limit=50&offset={offset}")
            assert status == 200, page
            for doc in page["results"]:
                props = doc["properties"]
                name = props["fileName"][0]
                seen[name] = seen.get(name, 0) + 1
                assert props["processingStatus"] == ["success"], (name, props)
            offset += len(page["results"])
            if not page["results"] or offset >= page["total"]:
                break
        assert seen == {name: 1 for name in names}, seen
        assert index_count(deployment, collection_id) == store_count(deployment, collection_id)
        # With OpenSearch the workers index too, and `serve --workers 0` leaves it to them.
        owners = psql(uri, "SELECT DISTINCT split_part(lease_owner, ':', 2) FROM jobs "
                           f"WHERE stage = 'index' AND collection_id = {collection_id}")
        pids = set(owners.split())
        assert pids, "no index job was run"
        assert pids <= {str(p.pid) for p in server.workers.procs}, (pids, server.proc.pid)
    finally:
        server.stop()


def test_opensearch_restart_during_bulk_load_converges_to_the_store(
        aleph, tmp_path, opensearch):
    deployment = distributed.deployment_env(opensearch_url=opensearch.url)
    server = start_deployment(aleph, tmp_path / "data", deployment)
    try:
        api = Api(server)
        collection_id = api.create_collection("bulk-restart")
        batch, sent, answers = 200, [0], []
        restarted = threading.Event()
        after_restart = [0]

        def load():
            while not (restarted.is_set() and after_restart[0] >= 5):
                status, body = api.call("POST", f"/api/2/collections/{collection_id}/_bulk",
                                        entities("p", sent[0], batch))
                answers.append((status, body))
                sent[0] += batch
                if restarted.is_set():
                    after_restart[0] += 1
                time.sleep(0.05)

        loader = threading.Thread(target=load)
        loader.start()
        wait_until(f"{5 * batch} entities were sent", lambda: (sent[0] >= 5 * batch, sent[0]),
                   120, interval=0.05)
        opensearch.stop()
        time.sleep(3)
        opensearch.start(keep=True)
        restarted.set()
        loader.join(timeout=600)
        assert not loader.is_alive()
        # Every write was accepted: it is in the store whatever the index was doing.
        assert all(status == 204 for status, _ in answers), [a for a in answers if a[0] != 204]
        wait_converged(deployment, collection_id, sent[0])
    finally:
        server.stop()


def test_postgres_restart_under_load_fails_cleanly_then_recovers(aleph, tmp_path, postgres):
    deployment = distributed.deployment_env(database_admin_uri=postgres.admin_uri)
    server = start_deployment(aleph, tmp_path / "data", deployment)
    try:
        api = Api(server)
        collection_id = api.create_collection("pg-restart")
        answers = []  # (time, kind, status, body, ids)
        stop = threading.Event()

        def load():
            n = 0
            while not stop.is_set():
                batch = entities("q", n, 20)
                n += 20
                status, body = api.call("POST", f"/api/2/collections/{collection_id}/_bulk",
                                        batch, timeout=30)
                answers.append((time.monotonic(), "bulk", status, body, len(batch)))
                status, body = api.call("GET", "/api/2/collections", timeout=30)
                answers.append((time.monotonic(), "list", status, body, 0))
                time.sleep(0.05)

        loader = threading.Thread(target=load)
        loader.start()
        time.sleep(3)
        postgres.stop()
        time.sleep(2)
        # Not ready while the store is down; liveness does not depend on it.
        status, body = api.call("GET", "/readyz", timeout=30)
        assert status == 503, (status, body)
        assert body["status"] == "unavailable" and body["store"]["status"] == "error", body
        assert api.call("GET", "/healthz", timeout=30)[0] == 200
        time.sleep(2)
        postgres.start()
        restarted_at = time.monotonic()
        # Keep the load on until requests have been succeeding again for a while.
        def recovered():
            recent = [a for a in answers if a[0] > restarted_at]
            ok = len(recent) >= 20 and all(a[2] in (200, 204) for a in recent[-10:])
            return ok, recent[-5:]

        wait_until("requests succeed again after the restart", recovered, 120)
        stop.set()
        loader.join(timeout=60)
        status, body = api.call("GET", "/readyz", timeout=30)
        assert (status, body["status"]) == (200, "ready"), body

        statuses = {a[2] for a in answers}
        assert statuses <= {200, 204, 503}, statuses
        failed = [a for a in answers if a[2] == 503]
        assert failed, "no request saw the database down"
        for _, kind, _, body, _ in failed:
            assert isinstance(body, dict) and body.get("status") == "error", body
            assert "database" in body.get("message", "").lower(), body
        assert server.proc.poll() is None, "the server must recover without a restart"
        assert all(w.poll() is None for w in server.workers.procs), "workers must survive"
        # Acknowledged writes all landed; refused ones may or may not have.
        acked = sum(a[4] for a in answers if a[1] == "bulk" and a[2] == 204)
        total = sum(a[4] for a in answers if a[1] == "bulk")
        stored = store_count(deployment, collection_id)
        assert acked <= stored <= total, (acked, stored, total)
        wait_converged(deployment, collection_id, stored)
    finally:
        server.stop()


def index_ids(deployment: dict, collection_id: int) -> set:
    """The ids of a collection's documents in the deployment's OpenSearch index."""
    body = json.dumps({"size": 10000, "_source": False,
                       "query": {"term": {"collection_id": collection_id}}}).encode()
    request = urllib.request.Request(f"{deployment['ALEPH_INDEX_URI']}/_search", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return {hit["_id"] for hit in json.load(resp)["hits"]["hits"]}


def drift_apart(deployment: dict, collection_id: int, ids: list) -> tuple:
    """Make the index and the store differ with nothing queued, as a crash between a
    store write and its index jobs would: three documents gone from the index, two
    entities gone from the store only. Returns (dropped from the index, from the store)."""
    unindexed, unstored = ids[:3], ids[3:5]
    body = json.dumps({"query": {"ids": {"values": unindexed}}}).encode()
    request = urllib.request.Request(
        f"{deployment['ALEPH_INDEX_URI']}/_delete_by_query?refresh=true", data=body,
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert json.load(resp)["deleted"] == 3
    quoted = ", ".join(f"'{i}'" for i in unstored)
    psql(deployment["ALEPH_DATABASE_URI"],
         f"DELETE FROM fragments WHERE collection_id = {int(collection_id)} "
         f"AND entity_id IN ({quoted})")
    return unindexed, unstored


def aleph_cli(aleph, server, tmp_path, *args) -> subprocess.CompletedProcess:
    """Run an `aleph` command against the server's deployment."""
    work = tmp_path / "cli"
    work.mkdir(exist_ok=True)
    return subprocess.run([aleph, *args, "--data-dir", str(work)], env=server._env(),
                          capture_output=True, text=True, timeout=300)


def test_deletes_during_an_opensearch_outage_and_a_drifted_index_converge(
        aleph, tmp_path, opensearch):
    deployment = distributed.deployment_env(opensearch_url=opensearch.url)
    # No periodic pass here: the command-line check and repair are what is tested.
    server = start_deployment(aleph, tmp_path / "data", deployment,
                              extra_env={"ALEPH_RECONCILE_SECONDS": "0"})
    try:
        api = Api(server)
        collection_id = api.create_collection("delete-outage")
        status, body = api.call("POST", f"/api/2/collections/{collection_id}/_bulk",
                                entities("d", 0, 60))
        assert status == 204, (status, body)
        wait_converged(deployment, collection_id, 60)
        ids = sorted(index_ids(deployment, collection_id))
        assert len(ids) == 60

        opensearch.stop()
        status, body = api.call("GET", "/readyz")
        assert (status, body["status"], body["index"]["status"]) == (200, "degraded", "error"), body
        for entity_id in ids[:5]:
            status, body = api.call("DELETE", f"/api/2/entities/{entity_id}")
            assert status == 204, (status, body)
        opensearch.start(keep=True)
        wait_converged(deployment, collection_id, 55)
        assert not index_ids(deployment, collection_id) & set(ids[:5])

        unindexed, unstored = drift_apart(deployment, collection_id, ids[5:])
        check = aleph_cli(aleph, server, tmp_path, "reindex", "--check")
        assert check.returncode == 1, check.stdout + check.stderr
        assert "3 not indexed, 2 indexed but not stored" in check.stdout, check.stdout
        repair = aleph_cli(aleph, server, tmp_path, "reindex", "--reconcile")
        assert repair.returncode == 0, repair.stdout + repair.stderr
        assert "5 index jobs queued" in repair.stdout, repair.stdout
        wait_converged(deployment, collection_id, 53)
        assert index_ids(deployment, collection_id) == set(ids[5:]) - set(unstored)
        check = aleph_cli(aleph, server, tmp_path, "reindex", "--check")
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        server.stop()


def test_index_workers_reconcile_a_drifted_index_by_themselves(aleph, tmp_path):
    deployment = distributed.deployment_env()
    server = start_deployment(aleph, tmp_path / "data", deployment,
                              extra_env={"ALEPH_RECONCILE_SECONDS": "2"})
    try:
        api = Api(server)
        collection_id = api.create_collection("self-reconcile")
        status, body = api.call("POST", f"/api/2/collections/{collection_id}/_bulk",
                                entities("r", 0, 40))
        assert status == 204, (status, body)
        wait_converged(deployment, collection_id, 40)
        ids = sorted(index_ids(deployment, collection_id))
        unindexed, unstored = drift_apart(deployment, collection_id, ids)
        assert index_count(deployment, collection_id) == 37
        wait_converged(deployment, collection_id, 38, timeout=120)
        assert index_ids(deployment, collection_id) == set(ids) - set(unstored)
    finally:
        server.stop()


def test_wait_until_returns_what_it_saw_and_names_what_it_waited_for():
    calls = []

    def check():
        calls.append(1)
        return len(calls) >= 3, len(calls)

    assert wait_until("three calls", check, 10, interval=0) == 3
    try:
        wait_until("the impossible", lambda: (False, {"seen": 7}), 0.05, interval=0.01)
    except AssertionError as err:
        assert "waiting until the impossible" in str(err), err
        assert "{'seen': 7}" in str(err), err
    else:
        raise AssertionError("wait_until did not give up")
