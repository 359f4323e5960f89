"""`aleph ftm validate` cleans an entity stream exactly as `ftm validate` does.

Every raw value of the cleaning parity file (crates/ftm/tests/data/values.tsv) whose format
is a property's own format is put on an entity, in a property of its type; both tools clean
the stream and must agree value for value. Values whose format is a mapping hint (a phone
country, a strict date pattern) are covered by the type-level parity test instead, because
`validate` only applies a property's own format."""
import json
from pathlib import Path

from followthemoney import model

from conftest import ROOT, run

VALUES = ROOT / "crates" / "ftm" / "tests" / "data" / "values.tsv"

# (type, format) -> (schema, property) carrying that type and format.
TARGETS = {
    ("name", ""): ("Person", "name"),
    ("address", ""): ("Person", "address"),
    ("country", ""): ("Person", "nationality"),
    ("date", ""): ("Person", "birthDate"),
    ("email", ""): ("Person", "email"),
    ("phone", ""): ("Person", "phone"),
    ("identifier", ""): ("Company", "registrationNumber"),
    ("identifier", "iban"): ("BankAccount", "iban"),
    ("identifier", "bic"): ("BankAccount", "bic"),
    ("identifier", "lei"): ("Company", "leiCode"),
    ("identifier", "inn"): ("Company", "innCode"),
    ("identifier", "ogrn"): ("Company", "ogrnCode"),
    ("identifier", "imo"): ("Vessel", "imoNumber"),
    ("identifier", "isin"): ("Security", "isin"),
    ("identifier", "figi"): ("Security", "figiCode"),
    ("identifier", "uei"): ("Company", "uniqueEntityId"),
    ("identifier", "uscc"): ("Company", "uscCode"),
    ("identifier", "npi"): ("Company", "npiCode"),
    ("identifier", "ssn"): ("Person", "socialSecurityNumber"),
    ("identifier", "wikidata"): ("Person", "wikidataId"),
    ("url", ""): ("Person", "sourceUrl"),
    ("ip", ""): ("PlainText", "ipMentioned"),
    ("checksum", ""): ("PlainText", "contentHash"),
    ("entity", ""): ("Ownership", "owner"),
    ("language", ""): ("PlainText", "language"),
    ("gender", ""): ("Person", "gender"),
    ("topic", ""): ("Person", "topics"),
    ("mimetype", ""): ("PlainText", "mimeType"),
    ("number", ""): ("PlainText", "fileSize"),
    ("string", ""): ("Person", "title"),
    ("text", ""): ("Person", "description"),
    ("html", ""): ("HyperText", "bodyHtml"),
    ("json", ""): ("Email", "headers"),
}


def unescape(text):
    """The escapes of values.tsv: \\\\, \\t, \\n, \\r and \\uXXXX."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "u":
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append({"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def entities():
    rows = []
    for line in VALUES.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        type_, fmt, raw = line.split("\t", 2)
        target = TARGETS.get((type_, fmt))
        if target is None:
            continue
        schema, prop = target
        value = unescape(raw)
        if raises_in_ftm(schema, prop, value):
            continue
        rows.append({"id": f"row{len(rows)}", "schema": schema, "properties": {prop: [value]}})
    return rows


def raises_in_ftm(schema, prop, value):
    """FtM raises on a few values (a MIME type with a line break) and `ftm validate` then
    aborts the whole stream; we drop such values instead (docs/ftm-differences.md). They
    are left out of the stream comparison."""
    p = model[schema].properties[prop]
    try:
        p.type.clean(value, format=p.format)
    except Exception:  # noqa: BLE001 - any exception aborts ftm validate
        return True
    return False


def by_id(output):
    return {e["id"]: e for e in map(json.loads, output.splitlines())}


def test_validate_agrees_with_ftm(aleph, ftm):
    rows = entities()
    assert len(rows) > 600, "the value file should cover most rows"
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    ours = by_id(run([aleph, "ftm", "validate"], data).stdout)
    theirs = by_id(run([ftm, "validate"], data).stdout)
    assert ours.keys() == theirs.keys()
    accepted = accepted_differences()
    diffs = []
    for ident, theirs_entity in theirs.items():
        mine, want = ours[ident]["properties"], theirs_entity["properties"]
        if mine != want:
            raw = next(r for r in rows if r["id"] == ident)["properties"]
            if not any(v in accepted for vs in raw.values() for v in vs):
                diffs.append(f"{ident} {raw}: aleph {mine} != ftm {want}")
        assert ours[ident]["schema"] == theirs_entity["schema"]
    assert not diffs, "differences not listed in docs/ftm-differences.md:\n" + "\n".join(diffs)


def accepted_differences():
    """Raw values that docs/ftm-differences.md lists as deliberate or known differences."""
    expected = ROOT / "crates" / "ftm" / "tests" / "data" / "values.expected.tsv"
    accepted = set()
    for line in expected.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        parts = line.split("\t")
        # A fifth column holds our output where it differs from FtM's on purpose.
        if len(parts) >= 5:
            accepted.add(unescape(parts[2]))
    return accepted


def test_bad_lines_are_reported_and_skipped(aleph, tmp_path: Path):
    data = (
        b'{"id": "a", "schema": "Person", "properties": {"name": ["Ann"]}}\n'
        b"this is not json\n"
        b'{"id": "b", "schema": "Alien"}\n'
        b'{"id": "c", "schema": "Person", "properties": {"nationality": ["Germany"]}}\n'
    )
    proc = run([aleph, "ftm", "validate"], data, check=False)
    assert proc.returncode != 0
    out = [json.loads(l) for l in proc.stdout.splitlines()]
    assert [e["id"] for e in out] == ["a", "c"]
    assert out[1]["properties"]["nationality"] == ["de"]
    err = proc.stderr.decode()
    assert "line 2" in err and "line 3" in err
    strict = run([aleph, "ftm", "validate", "--strict"], data, check=False)
    assert strict.returncode != 0
    assert [json.loads(l)["id"] for l in strict.stdout.splitlines()] == ["a"]
