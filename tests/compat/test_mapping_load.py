"""`aleph map MAPPING --foreign-id X` loads the mapping into a collection of the data
directory: the same entities as `ftm map | ftm aggregate` (ids signed with the collection's
foreign id, which is the dataset name here, as in Aleph's bulkload), searchable; a re-run of
a changed mapping replaces what the first run wrote; rows that fail are reported and
skipped, not fatal."""
import csv
import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from followthemoney import model

from conftest import AlephServer
from mapping_data import generate

MAPPINGS = Path(__file__).parent / "mappings"


def ftm_entities(ftm, mapping, env):
    """`ftm map`'s fragments merged by id. (`ftm aggregate` would drop the signatures.)"""
    mapped = subprocess.run([ftm, "map", str(mapping)], capture_output=True, env=env, check=True)
    merged = {}
    for fragment in map(json.loads, mapped.stdout.splitlines()):
        entity = merged.setdefault(fragment["id"], {"id": fragment["id"], "properties": {}})
        schema = model.get(fragment["schema"])
        if "schema" in entity:
            schema = model.common_schema(entity["schema"], schema)
        entity["schema"] = schema.name
        for prop, values in fragment["properties"].items():
            known = entity["properties"].setdefault(prop, [])
            known.extend(v for v in values if v not in known)
    return merged


def canonical(entity):
    return (entity["schema"],
            {k: sorted(v) for k, v in entity.get("properties", {}).items()})


def api(server, path):
    request = urllib.request.Request(server.url + path,
                                     headers={"Authorization": f"ApiKey {server.api_key}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.read()
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{path}: {e.code} {e.read()[:500]!r}") from None


def served(aleph, data_dir, api_key, collection_id):
    """The collection's entities from `_stream`, and the search total."""
    server = AlephServer(aleph, data_dir)
    server.api_key = api_key
    server.start()
    try:
        lines = api(server, f"/api/2/collections/{collection_id}/_stream").splitlines()
        entities = {e["id"]: e for e in map(json.loads, lines)}
        found = json.loads(api(server, f"/api/2/search?filter:collection_id={collection_id}"
                                       "&filter:schemata=Thing&filter:schemata=Interval&limit=1"))
        return entities, found["total"]
    finally:
        server.stop()


def load(aleph, mapping, data_dir, env, check=True):
    proc = subprocess.run([aleph, "map", str(mapping), "--foreign-id", "officers",
                           "--data-dir", str(data_dir)], capture_output=True, env=env)
    if check:
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    match = re.search(rb"loaded into officers \(id (\d+)\)", proc.stdout)
    assert match, proc.stdout
    return int(match.group(1)), proc


@pytest.fixture(scope="module")
def setup(aleph, tmp_path_factory):
    data = tmp_path_factory.mktemp("load-data")
    generate(data)
    env = {"MAPPING_DATA": str(data), "PATH": "/usr/bin:/bin"}
    data_dir = tmp_path_factory.mktemp("load-aleph")
    # The first start creates the administrator whose key the checks use.
    first = AlephServer(aleph, data_dir).start()
    first.stop()
    return data, env, data_dir, first.api_key


def test_load_replace_and_row_errors(aleph, ftm, setup, tmp_path):
    data, env, data_dir, api_key = setup
    # The same file name for both runs: a re-run of "the same mapping", changed.
    mapping = tmp_path / "officers.yml"
    shutil.copy(MAPPINGS / "03_csv_people_references.yml", mapping)
    text = mapping.read_text()

    collection_id, _ = load(aleph, mapping, data_dir, env)
    expected = ftm_entities(ftm, mapping, env)
    entities, total = served(aleph, data_dir, api_key, collection_id)
    assert len(expected) > 500
    assert set(entities) == set(expected)
    for ident, entity in expected.items():
        assert canonical(entities[ident]) == canonical(entity), ident
    assert total == len(expected)

    # Fewer rows and no directorships: what the first run made and this one does not goes.
    changed = text.replace("    - csv_url: $MAPPING_DATA/people.csv\n",
                           "    - csv_url: $MAPPING_DATA/people.csv\n"
                           "      filters:\n        gender: [male, female]\n")
    changed = changed[: changed.index("        directorship:")]
    mapping.write_text(changed)
    load(aleph, mapping, data_dir, env)
    expected_after = ftm_entities(ftm, mapping, env)
    entities, total = served(aleph, data_dir, api_key, collection_id)
    assert 0 < len(expected_after) < len(expected)
    assert set(entities) == set(expected_after)
    for ident, entity in expected_after.items():
        assert canonical(entities[ident]) == canonical(entity), ident
    assert total == len(expected_after)

    # Ids that are not valid entity ids (spaces, apostrophes, non-ASCII letters) cannot be
    # signed: their rows fail, alone.
    bad = tmp_path / "bad_ids.yml"
    bad.write_text(
        "officers:\n  queries:\n    - csv_url: $MAPPING_DATA/people.csv\n"
        "      entities:\n        person:\n          schema: Person\n"
        "          id_column: last_name\n          properties:\n"
        "            name: {column: last_name}\n"
    )
    _, proc = load(aleph, bad, data_dir, env, check=False)
    assert proc.returncode == 1
    reported = [int(n) for n in re.findall(rb"^row (\d+): ", proc.stderr, re.M)]
    names = [row["last_name"].strip() for row in csv_rows(data / "people.csv")]
    invalid = [i + 1 for i, name in enumerate(names) if name and not VALID_ID.match(name)]
    assert invalid and reported == invalid[:100]
    count = re.search(rb"(\d+) rows with errors", proc.stdout).group(1)
    assert int(count) == len(invalid)
    entities, _ = served(aleph, data_dir, api_key, collection_id)
    loaded = {n for e in entities.values() if e["schema"] == "Person"
              for n in e["properties"].get("name", [])}
    assert {n for n in names if VALID_ID.match(n)} <= loaded


VALID_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?$")


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)
