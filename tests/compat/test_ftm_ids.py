"""Ids, signing and merging agree with the followthemoney package on generated cases."""
import json
import random
import string

from followthemoney.namespace import Namespace
from followthemoney.util import make_entity_id

from conftest import run

ALPHABET = string.ascii_letters + string.digits + "äöüß Жж-._:/ "


def random_text(rng, max_len=12):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, max_len)))


def test_make_id_agrees(aleph):
    rng = random.Random(7)
    cases = []
    for _ in range(500):
        prefix = random_text(rng) if rng.random() < 0.3 else ""
        parts = [random_text(rng) for _ in range(rng.randint(1, 4))]
        cases.append((prefix, parts))
    # Tabs separate parts; the prefix is the first column.
    lines = "".join(prefix + "\t" + "\t".join(parts) + "\n" for prefix, parts in cases)
    out = run([aleph, "ftm", "make-id", "--prefix-column"], lines.encode()).stdout.decode()
    ours = out.split("\n")[:-1]
    assert len(ours) == len(cases)
    for (prefix, parts), got in zip(cases, ours):
        want = make_entity_id(*parts, key_prefix=prefix or None) or ""
        assert got == want, (prefix, parts)


def test_sign_agrees(aleph, ftm):
    rng = random.Random(11)
    entities = []
    for i in range(300):
        ident = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(8))
        if rng.random() < 0.3:
            ident += ".old" + str(i)
        entities.append(
            {
                "id": ident,
                "schema": "Ownership",
                "properties": {
                    "owner": [f"p{i}"],
                    "asset": [f"c{i}.sig", f"c{i + 1}"],
                    "role": ["owner.with.dots"],
                },
            }
        )
    data = "".join(json.dumps(e) + "\n" for e in entities).encode()
    for key in ("collection-1", "Ünïcode key"):
        ours = [json.loads(l) for l in run([aleph, "ftm", "sign", "-s", key], data).stdout.splitlines()]
        theirs = [json.loads(l) for l in run([ftm, "sign", "-s", key], data).stdout.splitlines()]
        assert len(ours) == len(theirs) == len(entities)
        for a, b in zip(ours, theirs):
            assert a["id"] == b["id"]
            assert a["properties"] == b["properties"]
        assert ours[0]["id"] == Namespace(key).sign(entities[0]["id"])


def normalise(entity):
    """Compare entities independent of the order of set-like fields."""
    entity = dict(entity)
    entity["properties"] = {k: sorted(v) for k, v in entity.get("properties", {}).items()}
    for key in ("datasets", "referents"):
        entity[key] = sorted(entity.get(key, []))
    return entity


def test_aggregate_agrees(aleph, ftm):
    rng = random.Random(3)
    fragments = []
    for i in range(400):
        ident = f"e{rng.randint(0, 120)}"
        schema = "LegalEntity" if rng.random() < 0.5 else "Person"
        fragments.append(
            {
                "id": ident,
                "schema": schema,
                "properties": {
                    "name": [f"Name {rng.randint(0, 5)}"],
                    "country": [rng.choice(["de", "fr", "gb"])],
                },
                "datasets": [rng.choice(["a", "b"])],
            }
        )
    data = "".join(json.dumps(f) + "\n" for f in fragments).encode()
    ours = {e["id"]: normalise(e) for e in map(json.loads, run([aleph, "ftm", "aggregate"], data).stdout.splitlines())}
    theirs = {e["id"]: normalise(e) for e in map(json.loads, run([ftm, "aggregate"], data).stdout.splitlines())}
    assert ours.keys() == theirs.keys()
    for ident in ours:
        assert ours[ident]["schema"] == theirs[ident]["schema"], ident
        assert ours[ident]["properties"] == theirs[ident]["properties"], ident
        assert ours[ident]["datasets"] == theirs[ident]["datasets"], ident
