"""The real client against the real server: alephclient 2.7.0 (CLI and Python API) and a
plain `requests` listing script, talking to `aleph serve`.

What is checked is what alephclient users rely on: `write-entities` then `stream-entities`
gives back the same entities under ids signed for the collection exactly as Aleph signs them
(FtM's `Namespace`), with values cleaned exactly as FtM cleans them; writing into a second
collection signs again; `flush`, `delete` and `reindex` behave; paging through search results
with `next` links yields every entity once; the typical listing script of the API contract
(§6) works unchanged.
"""
import itertools
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from alephclient.api import AlephAPI
from followthemoney import model
from followthemoney.namespace import Namespace
from followthemoney.types import registry

ALEPHCLIENT = Path(sys.executable).parent / "alephclient"
STREAMS = itertools.count()

# 10,000 entities in all; every schema count is chosen for a paging case below.
COUNTS = {
    "Person": 3600,
    "Company": 3000,
    "Ownership": 2000,
    "Vessel": 1000,
    "PlainText": 150,
    "Pages": 150,
    "Folder": 100,
}
COUNTRIES = ["de", "fr", "gb", "us", "ru", "br", "cy", "pa", "vg", "ch"]
FIRST = ["Anna", "Boris", "Chen", "Dara", "Emeka", "Fatima", "Goran", "Hana", "Ivan", "Jo"]
LAST = ["Smith", "Ivanova", "Okafor", "Müller", "Dubois", "Silva", "Haddad", "Kowalski"]


def make_entities():
    rng = random.Random(20240501)
    out = []

    def add(schema, eid, props):
        out.append({"id": eid, "schema": schema, "properties": props})

    for i in range(COUNTS["Person"]):
        add("Person", f"person-{i}", {
            "name": [f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"],
            "nationality": [rng.choice(COUNTRIES)],
            "birthDate": [f"19{rng.randint(30, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"],
        })
    for i in range(COUNTS["Company"]):
        add("Company", f"company-{i}", {
            "name": [f"{rng.choice(LAST)} Holdings {i} Ltd"],
            "jurisdiction": [rng.choice(COUNTRIES)],
            "incorporationDate": [f"20{rng.randint(0, 23):02d}-{rng.randint(1, 12):02d}"],
        })
    for i in range(COUNTS["Ownership"]):
        add("Ownership", f"ownership-{i}", {
            "owner": [f"person-{rng.randrange(COUNTS['Person'])}"],
            "asset": [f"company-{rng.randrange(COUNTS['Company'])}"],
            "percentage": [str(rng.randint(1, 100))],
        })
    for i in range(COUNTS["Vessel"]):
        add("Vessel", f"vessel-{i}", {
            "name": [f"MV {rng.choice(LAST)} {i}"],
            "flag": [rng.choice(COUNTRIES)],
        })
    for i in range(COUNTS["Folder"]):
        add("Folder", f"folder-{i}", {"fileName": [f"folder-{i}"]})
    for schema, ext, mime in [("PlainText", "txt", "text/plain"),
                              ("Pages", "pdf", "application/pdf")]:
        for i in range(COUNTS[schema]):
            props = {
                "fileName": [f"{schema.lower()}-{i}.{ext}"],
                "mimeType": [mime],
                "parent": [f"folder-{rng.randrange(COUNTS['Folder'])}"],
            }
            if i % 10 == 0:
                props["processingStatus"] = ["failure"]
                props["processingError"] = ["Could not parse the file."]
            elif i % 10 != 1:
                # One file in ten is left unprocessed: no processingStatus at all.
                props["processingStatus"] = ["success"]
            add(schema, f"{schema.lower()}-{i}", props)
    assert len(out) == 10_000
    return out


def expected(entity, foreign_id):
    """The entity as Aleph stores it: values cleaned by FtM, the id and every entity
    reference signed with the collection's namespace."""
    ns = Namespace(foreign_id)
    proxy = model.get_proxy(entity, cleaned=False)
    props = {}
    for prop, value in proxy.itervalues():
        if prop.type == registry.entity:
            value = ns.sign(value)
        props.setdefault(prop.name, []).append(value)
    return ns.sign(entity["id"]), proxy.schema.name, {k: sorted(v) for k, v in props.items()}


def alephclient(server, *args, check=True, timeout=900):
    cmd = [str(ALEPHCLIENT), "--host", server.url, "--api-key", server.api_key, "-r", "1", *args]
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{args!r} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-3000:]}"
        )
    return proc


def stream(server, tmp_path, foreign_id, *schemata):
    # A fresh file each time: click opens `-o` lazily, so an empty stream would leave an
    # earlier file's lines in place.
    out = tmp_path / f"stream-{next(STREAMS)}.ndjson"
    args = ["stream-entities", "-f", foreign_id, "-o", str(out)]
    for schema in schemata:
        args += ["-s", schema]
    alephclient(server, *args)
    lines = out.read_text().splitlines() if out.exists() else []
    assert all(line.strip() for line in lines), "no blank lines in the stream"
    return [json.loads(line) for line in lines]


def collection_id(server, foreign_id):
    api = AlephAPI(host=server.url, api_key=server.api_key, retries=1)
    found = api.get_collection_by_foreign_id(foreign_id)
    return None if found is None else found["id"]


def search_total(server, query):
    resp = requests.get(
        f"{server.url}/api/2/entities",
        params=query,
        headers={"Authorization": f"ApiKey {server.api_key}"},
        timeout=60,
    )
    resp.raise_for_status()
    return resp.json()["total"]


@pytest.fixture(scope="module")
def entities():
    return make_entities()


@pytest.fixture(scope="module")
def entities_file(entities, tmp_path_factory):
    path = tmp_path_factory.mktemp("entities") / "entities.ndjson"
    with open(path, "w") as fh:
        for entity in entities:
            fh.write(json.dumps(entity) + "\n")
    return path


@pytest.fixture(scope="module")
def loaded(aleph_server, entities_file):
    """The 10,000 entities written into `compat_one` with `write-entities`."""
    alephclient(aleph_server, "write-entities", "-i", str(entities_file), "-f", "compat_one")
    return "compat_one"


def check_stream(server, streamed, entities, foreign_id):
    assert len(streamed) == len(entities)
    by_id = {}
    for item in streamed:
        assert set(item) == {"id", "schema", "properties"}, item
        props = dict(item["properties"])
        # alephclient adds the entity's API URL to what it yields.
        assert props.pop("alephUrl") == [f"{server.url}/api/2/entities/{item['id']}"]
        by_id[item["id"]] = (item["schema"], {k: sorted(v) for k, v in props.items()})
    assert len(by_id) == len(entities), "every id once"
    for entity in entities:
        signed, schema, props = expected(entity, foreign_id)
        assert signed in by_id, f"{entity['id']} is missing as {signed}"
        assert by_id[signed] == (schema, props), entity["id"]


def test_write_then_stream_gives_the_same_entities(aleph_server, entities, loaded, tmp_path):
    streamed = stream(aleph_server, tmp_path, loaded)
    check_stream(aleph_server, streamed, entities, loaded)
    # The ids are stable: a second stream gives exactly the same ones.
    again = stream(aleph_server, tmp_path, loaded)
    assert sorted(e["id"] for e in again) == sorted(e["id"] for e in streamed)


def test_stream_filters_by_schema_with_descendants(aleph_server, loaded, tmp_path):
    vessels = stream(aleph_server, tmp_path, loaded, "Vessel")
    assert len(vessels) == COUNTS["Vessel"]
    assert {e["schema"] for e in vessels} == {"Vessel"}
    documents = stream(aleph_server, tmp_path, loaded, "Document")
    assert len(documents) == COUNTS["PlainText"] + COUNTS["Pages"] + COUNTS["Folder"]
    both = stream(aleph_server, tmp_path, loaded, "Person", "Company")
    assert len(both) == COUNTS["Person"] + COUNTS["Company"]


def test_a_second_collection_signs_again(aleph_server, entities, entities_file, loaded, tmp_path):
    alephclient(aleph_server, "write-entities", "-i", str(entities_file), "-f", "compat_two")
    first = {e["id"] for e in stream(aleph_server, tmp_path, loaded)}
    second_items = stream(aleph_server, tmp_path, "compat_two")
    check_stream(aleph_server, second_items, entities, "compat_two")
    second = {e["id"] for e in second_items}
    assert first.isdisjoint(second)
    assert {i.split(".")[0] for i in first} == {i.split(".")[0] for i in second}
    # Searching both collections finds each entity twice, once per collection.
    total = search_total(aleph_server, {"filter:schema": "Vessel", "limit": 0})
    assert total == 2 * COUNTS["Vessel"]


def test_flush_and_delete(aleph_server, entities, tmp_path):
    small = tmp_path / "small.ndjson"
    small.write_text("".join(json.dumps(e) + "\n" for e in entities[:500]))
    alephclient(aleph_server, "write-entities", "-i", str(small), "-f", "compat_three")
    cid = collection_id(aleph_server, "compat_three")
    assert cid is not None
    assert len(stream(aleph_server, tmp_path, "compat_three")) == 500

    # flush: the entities go, the collection stays.
    alephclient(aleph_server, "flush", "-f", "compat_three", "--sync")
    assert collection_id(aleph_server, "compat_three") == cid
    assert stream(aleph_server, tmp_path, "compat_three") == []
    assert search_total(aleph_server, {"filter:collection_id": cid, "filter:schemata": "Thing"}) == 0
    # It takes new entities afterwards.
    alephclient(aleph_server, "write-entities", "-i", str(small), "-f", "compat_three")
    assert len(stream(aleph_server, tmp_path, "compat_three")) == 500

    # delete: the collection is gone, and so are its entities.
    alephclient(aleph_server, "delete", "-f", "compat_three", "--sync")
    assert collection_id(aleph_server, "compat_three") is None
    assert search_total(aleph_server, {"filter:collection_id": cid, "filter:schemata": "Thing"}) == 0
    gone = alephclient(aleph_server, "stream-entities", "-f", "compat_three", check=False)
    assert gone.returncode != 0
    assert b"not found" in gone.stderr
    # The foreign id can be used again.
    alephclient(aleph_server, "write-entities", "-i", str(small), "-f", "compat_three")
    assert collection_id(aleph_server, "compat_three") not in (None, cid)


def test_reindex_keeps_every_entity(aleph_server, loaded):
    cid = collection_id(aleph_server, loaded)
    for flags in [(), ("--flush",)]:
        alephclient(aleph_server, "reindex", "-f", loaded, *flags)
        things = search_total(aleph_server, {"filter:collection_id": cid, "filter:schemata": "Thing"})
        intervals = search_total(aleph_server, {"filter:collection_id": cid, "filter:schemata": "Interval"})
        assert things == 10_000 - COUNTS["Ownership"]
        assert intervals == COUNTS["Ownership"]


@pytest.mark.parametrize(
    "schema,schemata,limit,count",
    [
        ("Vessel", None, 300, COUNTS["Vessel"]),  # 1,000 in pages of 300: the last is short
        ("Ownership", None, 500, COUNTS["Ownership"]),  # ends exactly on a page boundary
        (None, "Document", 300, 400),  # descendants of Document, Folders included
        ("Person", None, 9999, COUNTS["Person"]),  # one page, at the cap
    ],
)
def test_paging_with_the_python_api(aleph_server, loaded, schema, schemata, limit, count):
    cid = collection_id(aleph_server, loaded)
    api = AlephAPI(host=aleph_server.url, api_key=aleph_server.api_key, retries=1)
    results = api.search(
        "",
        schema=schema,
        schemata=schemata,
        filters=[("collection_id", cid)],
        params={"limit": limit},
    )
    assert len(results) == count
    ids = []
    for entity in results:
        ids.append(entity["id"])
        assert entity["collection"]["id"] == str(cid)
        assert entity["properties"]["alephUrl"] == [entity["links"]["self"]]
    assert len(ids) == count
    assert len(set(ids)) == count, "every entity exactly once"
    ns = Namespace(loaded)
    assert all(ns.verify(i) for i in ids)


def test_the_typical_listing_script(aleph_server, loaded):
    """Contract §6: find a collection by label, then list its Documents with their
    processing status, paging with `next`, using nothing but `requests`."""
    session = requests.Session()
    session.headers["Authorization"] = f"ApiKey {aleph_server.api_key}"
    base = aleph_server.url

    collection = None
    url = f"{base}/api/2/collections?limit=300&offset=0"
    pages = 0
    while url:
        data = session.get(url, timeout=60).json()
        pages += 1
        assert data["limit"] == 300
        for c in data["results"]:
            if c["label"] == loaded:
                collection = c
        if not data["results"]:
            break
        url = data["next"]
    assert collection is not None
    assert pages == 1

    seen = {}
    url = f"{base}/api/2/entities"
    params = {"q": "", "filter:collection_id": collection["id"],
              "filter:schemata": "Document", "limit": 300}
    page_numbers = []
    while url:
        resp = session.get(url, params=params, timeout=60)
        resp.raise_for_status()
        data = resp.json()
        params = None  # `next` carries them
        page_numbers.append((data["page"], data["pages"]))
        for entity in data["results"]:
            props = entity.get("properties", {})
            status = props.get("processingStatus", [None])[0]
            name = props.get("fileName", [None])[0]
            seen[entity["id"]] = (entity["schema"], name, status)
        if not data["results"]:
            break
        url = data["next"]
        if url is not None:
            assert url.startswith(base + "/api/2/entities?offset=")
            assert "q=" not in url, "the empty q is dropped"
    assert page_numbers == [(1, 2), (2, 2)]
    assert len(seen) == 400
    statuses = [s for (_, _, s) in seen.values()]
    folders = [v for v in seen.values() if v[0] == "Folder"]
    assert len(folders) == COUNTS["Folder"]
    assert all(status is None for (_, _, status) in folders), "folders have no status"
    assert statuses.count("failure") == 30
    assert statuses.count("success") == 240
    assert statuses.count(None) == 30 + COUNTS["Folder"]
    assert all(name is not None for (_, name, _) in seen.values())
