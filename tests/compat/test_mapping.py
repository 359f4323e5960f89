"""`aleph map` produces the same entities as `ftm map` (ids and signatures included) for the
mappings in tests/compat/mappings/, over generated CSV files (one served over HTTP on
loopback) and a generated SQLite database. Entities are compared as sorted lists of their
canonical JSON, since neither tool promises an order across sources."""
import functools
import http.server
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from mapping_data import generate

MAPPINGS = sorted((Path(__file__).parent / "mappings").glob("*.yml"))


@pytest.fixture(scope="module")
def mapping_env(tmp_path_factory):
    data = tmp_path_factory.mktemp("mapping-data")
    generate(data)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(data))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = dict(os.environ)
    env["MAPPING_DATA"] = str(data)
    env["MAPPING_URL"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield env
    server.shutdown()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def canonical(line: bytes) -> str:
    entity = json.loads(line)
    entity["properties"] = {k: sorted(v) for k, v in entity.get("properties", {}).items()}
    for key in ("datasets", "referents"):
        entity[key] = sorted(entity.get(key, []))
    return json.dumps(entity, sort_keys=True, ensure_ascii=False)


def mapped(cmd, env):
    proc = subprocess.run(cmd, capture_output=True, env=env)
    assert proc.returncode == 0, f"{cmd!r}: {proc.stderr.decode(errors='replace')[-3000:]}"
    return sorted(canonical(line) for line in proc.stdout.splitlines() if line.strip())


def first_difference(ours, theirs):
    only_ours = sorted(set(ours) - set(theirs))
    only_theirs = sorted(set(theirs) - set(ours))
    return (
        f"{len(ours)} entities from aleph, {len(theirs)} from ftm; "
        f"only aleph: {only_ours[:3]}; only ftm: {only_theirs[:3]}"
    )


@pytest.mark.parametrize("mapping", MAPPINGS, ids=[m.stem for m in MAPPINGS])
def test_map_agrees_with_ftm(aleph, ftm, mapping_env, mapping):
    theirs = mapped([ftm, "map", str(mapping)], mapping_env)
    ours = mapped([aleph, "map", "--quiet", str(mapping)], mapping_env)
    assert len(theirs) > 20, "the mapping should produce entities"
    assert ours == theirs, first_difference(ours, theirs)


@pytest.mark.parametrize(
    "mapping",
    [m for m in MAPPINGS if m.stem.startswith(("03", "08"))],
    ids=lambda m: m.stem,
)
def test_unsigned_map_agrees_with_ftm(aleph, ftm, mapping_env, mapping):
    theirs = mapped([ftm, "map", "--no-sign", str(mapping)], mapping_env)
    ours = mapped([aleph, "map", "--quiet", "--no-sign", str(mapping)], mapping_env)
    assert ours == theirs, first_difference(ours, theirs)


def test_mappings_cover_every_feature():
    """The mapping set keeps exercising each feature of the mapping format."""
    text = "\n".join(m.read_text() for m in MAPPINGS)
    for feature in ["csv_url:", "csv_urls:", "$MAPPING_URL", "file://", "database: sqlite",
                    "tables:", "alias:", "joins:", "filters:", "filters_not:", "keys:",
                    "key_literal:", "id_column:", "column:", "columns:", "join:",
                    "template:", "literal:", "literals:", "format:", "required: true",
                    "entity:", "split:", "fuzzy: true", "query:"]:
        assert feature in text, feature
