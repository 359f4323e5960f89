"""The Prometheus metrics of `aleph serve`, scraped while it ingests a small corpus and parsed
with the reference parser of the Prometheus Python client: every scrape parses, the file
counters add up to the files uploaded (and to the job ledger), the byte counter to their
sizes, and the duration histograms are filled."""
import json
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from conftest import run

ALEPHCLIENT = str(Path(sys.executable).parent / "alephclient")


def scrape(server) -> dict:
    """name -> list of (labels, value) samples, from one scrape."""
    with urllib.request.urlopen(server.metrics_url, timeout=60) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = resp.read().decode("utf-8")
    samples = {}
    types = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for s in family.samples:
            samples.setdefault(s.name, []).append((s.labels, s.value))
    samples["__types__"] = types
    return samples


def total(samples: dict, name: str, **match) -> float:
    return sum(
        v for labels, v in samples.get(name, [])
        if all(labels.get(k) == want for k, want in match.items())
    )


def api(server, path, params=()):
    query = urllib.parse.urlencode(list(params))
    req = urllib.request.Request(
        f"{server.url}{path}?{query}", headers={"Authorization": f"ApiKey {server.api_key}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.load(resp)


def make_corpus(root: Path) -> list:
    root.mkdir(parents=True)
    files = []
    for i in range(12):
        p = root / f"note-{i:02}.txt"
        p.write_text(f"Memo {i}: payment of {i * 1000} EUR to Acme Holdings Ltd.\n" * (i + 1))
        files.append(p)
    for i in range(4):
        p = root / f"page-{i}.html"
        p.write_text(f"<html><head><title>Page {i}</title></head>"
                     f"<body><p>John Smith visited Berlin {i} times.</p></body></html>")
        files.append(p)
    p = root / "table.csv"
    p.write_text("name,country\nAcme Holdings,gb\nBeta Trading,de\n")
    files.append(p)
    # A file that cannot be read: counted as a failure, not lost.
    p = root / "broken.pdf"
    p.write_bytes(b"%PDF-1.7\nthis is not really a PDF\n")
    files.append(p)
    return files


def test_metrics_during_ingest(start_aleph, tmp_path):
    server = start_aleph("aleph-metrics")
    before = scrape(server)
    # Families without series yet are left out; the worker is there from the start.
    assert before["__types__"]["aleph_worker_up"] == "gauge"
    assert total(before, "aleph_ingest_files_total") == 0

    files = make_corpus(tmp_path / "corpus")
    run([ALEPHCLIENT, "--host", server.url, "--api-key", server.api_key,
         "crawldir", "-f", "metrics-corpus", str(tmp_path / "corpus")])
    found = api(server, "/api/2/collections", [("filter:foreign_id", "metrics-corpus")])
    cid = found["results"][0]["id"]

    # Scrape while the workers run; every scrape must parse.
    deadline = time.monotonic() + 600
    scrapes = 0
    while True:
        samples = scrape(server)
        scrapes += 1
        done = total(samples, "aleph_ingest_files_total")
        assert done <= len(files), "more files counted than were uploaded"
        status = api(server, f"/api/2/collections/{cid}/status")
        if done == len(files) and status["pending"] + status["running"] == 0:
            break
        assert time.monotonic() < deadline, (done, status)
        time.sleep(0.3)
    assert scrapes >= 2

    # Gauges are recounted at most every 30 s; a final scrape after the pipeline settles
    # has the ledger as it ends.
    samples = scrape(server)
    types = samples["__types__"]
    # The parser names a counter's family without `_total`.
    assert types["aleph_ingest_files"] == "counter"
    assert types["aleph_job_duration_seconds"] == "histogram"
    assert types["aleph_ingest_duration_seconds"] == "histogram"
    assert types["aleph_jobs"] == "gauge"
    succeeded = total(samples, "aleph_ingest_files_total", outcome="succeeded")
    failed = total(samples, "aleph_ingest_files_total", outcome="failed")
    assert succeeded + failed == len(files)
    assert failed >= 1, "the broken PDF is counted as a failure"
    assert succeeded >= len(files) - 1
    # The ledger agrees: every process job that ended is one counted file.
    ended = sum(total(samples, "aleph_jobs", stage="process", state=s)
                for s in ("succeeded", "failed", "dead"))
    assert ended == len(files)
    assert total(samples, "aleph_ingest_bytes_total") == sum(f.stat().st_size for f in files)

    # Histograms: one observation per finished process job, spread over ingestors.
    assert total(samples, "aleph_job_duration_seconds_count", stage="process") == len(files)
    assert total(samples, "aleph_job_duration_seconds_sum", stage="process") > 0
    by_ingestor = {labels["ingestor"]: v for labels, v in
                   samples["aleph_ingest_duration_seconds_count"]}
    assert sum(by_ingestor.values()) == len(files)
    assert len(by_ingestor) >= 3, by_ingestor
    inf = [v for labels, v in samples["aleph_ingest_duration_seconds_bucket"]
           if labels["le"] == "+Inf"]
    assert sum(inf) == len(files)
    # Later stages ran too.
    assert total(samples, "aleph_job_duration_seconds_count", stage="index") >= 1

    # API requests by route template, never by raw path.
    routes = {labels["route"] for labels, _ in samples["aleph_http_requests_total"]}
    assert "/api/2/collections/{id}/status" in routes
    assert not any(str(cid) in r for r in routes)
    ok = total(samples, "aleph_http_requests_total",
               route="/api/2/collections/{id}/status", status="200")
    assert ok >= scrapes - 1

    # Search latency and sizes.
    api(server, "/api/2/entities", [("q", "Acme"), ("filter:schemata", "Thing")])
    samples = scrape(server)
    assert total(samples, "aleph_search_duration_seconds_count") >= 1
    # Sizes are recounted at most every 30 seconds.
    deadline = time.monotonic() + 90
    while total(samples, "aleph_collection_entities", collection_id=str(cid)) == 0:
        assert time.monotonic() < deadline
        time.sleep(1)
        samples = scrape(server)
    entities = total(samples, "aleph_collection_entities", collection_id=str(cid))
    assert entities >= len(files)
    indexed = total(samples, "aleph_collection_indexed_entities", collection_id=str(cid))
    assert 0 < indexed <= entities
    # The worker inside the server is alive.
    assert total(samples, "aleph_worker_up") == 1
    last = max(v for _, v in samples["aleph_worker_last_poll_timestamp_seconds"])
    assert abs(time.time() - last) < 60
