"""The operator's commands: `aleph upgrade --check` says what would change without changing
it, and `aleph audit` reads what `aleph serve` recorded (the server's own user, search
and filters) straight from its database."""
import json
import time
import urllib.parse
import urllib.request

from conftest import run


def test_upgrade_check_changes_nothing(aleph, tmp_path):
    data = tmp_path / "data"
    proc = run([aleph, "upgrade", "--check", "--data-dir", str(data)], check=False)
    assert proc.returncode == 1, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "every migration runs on first start" in out
    assert " core" in out and " audit" in out
    assert not (data / "aleph.db").exists(), "--check must not create the database"

    created = run([aleph, "upgrade", "--data-dir", str(data)])
    assert "created a new database" in created.stdout.decode()
    proc = run([aleph, "upgrade", "--check", "--data-dir", str(data)], check=False)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert "up to date" in proc.stdout.decode()


def test_audit_command_reads_what_the_server_recorded(aleph, aleph_server):
    query = urllib.parse.urlencode([
        ("q", "audited-needle"), ("filter:schema", "Person"), ("filter:countries", "de")])
    req = urllib.request.Request(
        f"{aleph_server.url}/api/2/search?{query}",
        headers={"Authorization": f"ApiKey {aleph_server.api_key}",
                 "X-Forwarded-For": "203.0.113.9"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 200

    # Entries are written in the background: give the writer a moment.
    deadline = time.monotonic() + 30
    while True:
        proc = run([aleph, "audit", "--data-dir", str(aleph_server.data_dir),
                    "--action", "search", "--user", "admin@aleph.local", "--json"])
        lines = [json.loads(l) for l in proc.stdout.decode().splitlines() if l.strip()]
        mine = [e for e in lines if e["detail"].get("q") == "audited-needle"]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(mine) == 1, lines
    entry = mine[0]
    assert entry["user"] == "admin@aleph.local"
    assert entry["action"] == "search"
    assert entry["detail"]["filters"] == {"schema": ["Person"], "countries": ["de"]}
    # The server is not configured to trust proxies: the socket's peer, not the header.
    assert entry["address"] == "127.0.0.1"

    # Filters narrow the listing.
    later = run([aleph, "audit", "--data-dir", str(aleph_server.data_dir),
                 "--since", "2999-01-01", "--json"])
    assert later.stdout.decode().strip() == ""
    bad = run([aleph, "audit", "--data-dir", str(aleph_server.data_dir),
               "--action", "nonsense"], check=False)
    assert bad.returncode != 0
