"""`aleph export` output read by the real consumers and compared with `ftm export-*` on the
same generated entities: GEXF through networkx, Cypher statements parsed, the Neo4j bulk
and per-schema CSV files as rows, the Excel workbook through openpyxl, RDF through rdflib.

Comparisons are on parsed content, never bytes: FtM's labels and columns come out in Python
set order, and networkx numbers GEXF edges with a counter (the edge key is the FtM edge id
in both files). Our GEXF leaves out attributes without a value where networkx writes an
empty string for every property of the schema; empty attribute values are dropped on both
sides before comparing.

FtM keys address nodes by rigour's compiled `address_fingerprint` (street keywords and
place names canonicalised), we by the slug of the address (docs/ftm-differences.md): FtM's
`addr:` ids are translated into ours before comparing, and the translation must be one to
one, so the graphs still have to agree node for node."""
import csv
import json
import random
import re
from collections import Counter
from pathlib import Path

import networkx
import openpyxl
import pytest
import rdflib
from followthemoney import model
from followthemoney.types import registry
from normality import slugify

from conftest import run

ALL_TYPES = ["address", "checksum", "country", "date", "email", "entity", "identifier",
             "ip", "name", "phone", "url"]


def entity_stream(n=1500, seed=5):
    """Nodes, edges and value-typed properties that collide across entities, references to
    entities that are not in the stream, and a few ids met twice."""
    rng = random.Random(seed)
    emails = [f"user{i}@example.com" for i in range(40)]
    phones = [f"+4420794{i:05d}" for i in range(40)]
    ibans = ["GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606"]
    names = ["Anna Smith", "Борис Иванов", "Acme Ltd", "Zenith Holdings", "Café Ñandú",
             'Quote "me"', "back\\slash", "line\nbreak"]
    entities, people, orgs = [], [], []
    for i in range(n):
        kind = rng.random()
        ident = f"e{i}"
        if kind < 0.3:
            props = {"name": [rng.choice(names) + f" {i}"],
                     "email": rng.sample(emails, rng.randint(0, 2)),
                     "phone": rng.sample(phones, rng.randint(0, 1)),
                     "nationality": rng.sample(["gb", "de", "ru", "cy"], rng.randint(0, 2)),
                     "birthDate": [rng.choice(["1970", "1980-05-01", "1991-02"])],
                     "address": [rng.choice(["1 Main St, London", "Hauptstr. 5, Berlin"])]}
            schema = "Person"
            people.append(ident)
        elif kind < 0.55:
            # One name each: which of several names becomes the caption is rigour's
            # compiled `pick_name`, which ours only approximates (docs/ftm-differences.md).
            props = {"name": [rng.choice(names) + f" {i}"],
                     "alias": [rng.choice(names), rng.choice(names)],
                     "registrationNumber": [f"R{rng.randint(0, 60)}"],
                     "jurisdiction": [rng.choice(["gb", "vg", "pa"])],
                     "website": [rng.choice(["https://acme.example.com/", "http://x.example.org"])],
                     "incorporationDate": [f"{rng.randint(1990, 2020)}-01-0{rng.randint(1, 9)}"],
                     "email": rng.sample(emails, rng.randint(0, 1))}
            schema = rng.choice(["Company", "Organization", "LegalEntity"])
            orgs.append(ident)
        elif kind < 0.7 and people and orgs:
            schema = "Ownership"
            props = {"owner": [rng.choice(people + orgs)],
                     "asset": [rng.choice(orgs), f"ghost{rng.randint(0, 5)}"][: rng.randint(1, 2)],
                     "percentage": [str(rng.randint(1, 100))],
                     "startDate": ["2001-02-03"]}
        elif kind < 0.8 and people and orgs:
            schema = "Directorship"
            props = {"director": [rng.choice(people)], "organization": [rng.choice(orgs)],
                     "role": [rng.choice(["director", "secretary"])]}
        elif kind < 0.85 and people:
            schema = "Family"
            props = {"person": [rng.choice(people)], "relative": [rng.choice(people)],
                     "relationship": ["sibling"]}
        elif kind < 0.9 and people:
            schema = "Passport"
            props = {"holder": [rng.choice(people)], "number": [f"P{rng.randint(0, 30)}"],
                     "country": ["gb"]}
        elif kind < 0.95 and orgs:
            schema = "BankAccount"
            props = {"iban": [rng.choice(ibans)], "bankName": ["Example Bank"]}
        elif people and orgs:
            schema = "Payment"
            props = {"payer": [rng.choice(orgs)], "beneficiary": [rng.choice(people)],
                     "amount": [str(rng.randint(1, 10**6))], "currency": ["EUR"],
                     "date": ["2020-01-01"], "purpose": ["fees; \"consulting\""]}
        else:
            schema = "Address"
            props = {"full": [rng.choice(["1 Main St, London", "2 Rue X, Paris"])],
                     "country": ["gb"]}
        props = {k: v for k, v in props.items() if v}
        entities.append({"id": ident, "schema": schema, "properties": props})
    # Documents carry checksums, IPs and URLs.
    for i in range(30):
        entities.append({"id": f"doc{i}", "schema": "PlainText", "properties": {
            "fileName": [f"file{i}.txt"], "contentHash": ["a" * 39 + str(i % 3)],
            "ipMentioned": [f"10.0.0.{i % 4}"], "sourceUrl": ["https://example.com/doc"],
            "emailMentioned": [rng.choice(emails)]}})
    return entities


@pytest.fixture(scope="module")
def entities_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "entities.ftm.json"
    with open(path, "w", encoding="utf-8") as fh:
        for entity in entity_stream():
            fh.write(json.dumps(entity, ensure_ascii=False) + "\n")
    return path


ADDRESS_ID = re.compile(r"addr:[a-z0-9-]+")


def translate_address_ids(path, entities_file):
    """Rewrite FtM's `addr:` node ids in the file (or the files of the folder) at `path`
    into ours, after checking that the translation is one to one."""
    table = {}
    for line in open(entities_file, encoding="utf-8"):
        entity = json.loads(line)
        schema = model.get(entity["schema"])
        for prop, values in entity["properties"].items():
            if schema.get(prop) is not None and schema.get(prop).type == registry.address:
                for value in values:
                    table[registry.address.node_id(value)] = f"addr:{slugify(value)}"
    assert len(set(table.values())) == len(table), "FtM merges addresses we keep apart"
    files = sorted(Path(path).glob("*.csv")) if Path(path).is_dir() else [Path(path)]
    for file in files:
        text = file.read_text(encoding="utf-8")
        file.write_text(
            ADDRESS_ID.sub(lambda m: table.get(m.group(0), m.group(0)), text), encoding="utf-8"
        )


def edge_args(types):
    return [arg for t in types for arg in ("-e", t)]


# --- GEXF -------------------------------------------------------------------------------------


def gexf_graph(path):
    graph = networkx.read_gexf(path)
    assert isinstance(graph, networkx.MultiDiGraph)
    nodes = {n: {k: v for k, v in d.items() if v != ""} for n, d in graph.nodes(data=True)}
    edges = Counter()
    for u, v, key, data in graph.edges(keys=True, data=True):
        attrs = {k: val for k, val in data.items() if val != "" and k != "id"}
        edges[(u, v, key, tuple(sorted(attrs.items())))] += 1
    return nodes, edges


@pytest.mark.parametrize("types", [[], ALL_TYPES], ids=["default", "all-types"])
def test_gexf_loads_in_networkx_like_ftm(aleph, ftm, entities_file, tmp_path, types):
    ours, theirs = tmp_path / "ours.gexf", tmp_path / "theirs.gexf"
    run([aleph, "export", "gexf", "-i", str(entities_file), "-o", str(ours), *edge_args(types)])
    run([ftm, "export-gexf", "-i", str(entities_file), "-o", str(theirs), *edge_args(types)])
    translate_address_ids(theirs, entities_file)
    our_nodes, our_edges = gexf_graph(ours)
    their_nodes, their_edges = gexf_graph(theirs)
    assert len(their_edges) > 500
    assert set(our_nodes) == set(their_nodes)
    for node, attrs in their_nodes.items():
        assert our_nodes[node] == attrs, node
    assert our_edges == their_edges


# --- Cypher -----------------------------------------------------------------------------------

NODE = re.compile(r'^MERGE \(p \{ id: (".*?") \}\) SET p \+= \{ (.*) \} SET p ((?::\w+)+);$')
EDGE = re.compile(
    r'^MATCH \(s \{ id: (".*?") \}\), \(t \{ id: (".*?") \}\) '
    r"MERGE \(s\)-\[:(\w+) \{ (.*) \}\]->\(t\);$"
)
KEY = re.compile(r"(\w+): ")


def cypher_map(text):
    """`{ key: "json", key: [..] }` inside the braces, as a sorted tuple of pairs."""
    decoder = json.JSONDecoder()
    pairs, pos = [], 0
    while pos < len(text):
        match = KEY.match(text, pos)
        assert match, text[pos:]
        value, end = decoder.raw_decode(text, match.end())
        pairs.append((match.group(1), json.dumps(value, sort_keys=True)))
        pos = end + 2 if text.startswith(", ", end) else end
        assert pos >= len(text) or text[end:end + 2] == ", ", text
    return tuple(sorted(pairs))


def parse_cypher(path):
    statements = Counter()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        node, edge = NODE.match(line), EDGE.match(line)
        if node:
            labels = tuple(sorted(node.group(3).strip(":").split(":")))
            statements[("node", json.loads(node.group(1)), cypher_map(node.group(2)), labels)] += 1
        else:
            assert edge, line
            statements[("edge", json.loads(edge.group(1)), json.loads(edge.group(2)),
                        edge.group(3), cypher_map(edge.group(4)))] += 1
    return statements


@pytest.mark.parametrize("types", [[], ALL_TYPES], ids=["default", "all-types"])
def test_cypher_matches_ftm(aleph, ftm, entities_file, tmp_path, types):
    ours, theirs = tmp_path / "ours.cypher", tmp_path / "theirs.cypher"
    run([aleph, "export", "cypher", "-i", str(entities_file), "-o", str(ours), *edge_args(types)])
    run([ftm, "export-cypher", "-i", str(entities_file), "-o", str(theirs), *edge_args(types)])
    translate_address_ids(theirs, entities_file)
    our_statements, their_statements = parse_cypher(ours), parse_cypher(theirs)
    assert sum(1 for s in their_statements if s[0] == "edge") > 300
    assert our_statements == their_statements


# --- CSV folders (Neo4j bulk import, per-schema CSV) ------------------------------------------


def label_set(row):
    """Neo4j labels are a set; FtM writes them in Python's set order."""
    if ":LABEL" in row:
        row[":LABEL"] = ";".join(sorted(row[":LABEL"].split(";")))
    return row


def csv_folder(path):
    """Each file's header (as a set) and rows (as a multiset of column-value pairs)."""
    files = {}
    for file in sorted(Path(path).glob("*.csv")):
        with open(file, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            rows = Counter(tuple(sorted(label_set(row).items())) for row in reader)
            files[file.name] = (frozenset(reader.fieldnames or []), rows)
    return files


def import_script_files(path):
    """`--nodes=X.csv` and `--relationships=Y.csv` arguments of neo4j_import.sh."""
    text = (Path(path) / "neo4j_import.sh").read_text()
    assert text.startswith("neo4j-admin import --id-type=STRING")
    assert "--multiline-fields=true" in text
    return sorted(re.findall(r"--(nodes|relationships)=(\S+\.csv)", text))


@pytest.mark.parametrize("types", [[], ALL_TYPES], ids=["default", "all-types"])
def test_neo4j_bulk_matches_ftm(aleph, ftm, entities_file, tmp_path, types):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    run([aleph, "export", "neo4j-bulk", "-i", str(entities_file), "-o", str(ours),
         *edge_args(types)])
    run([ftm, "export-neo4j-bulk", "-i", str(entities_file), "-o", str(theirs),
         *edge_args(types)])
    translate_address_ids(theirs, entities_file)
    our_files, their_files = csv_folder(ours), csv_folder(theirs)
    assert set(our_files) == set(their_files)
    assert "Ownership.csv" in their_files
    for name, (header, rows) in their_files.items():
        assert our_files[name][0] == header, name
        assert our_files[name][1] == rows, name
    assert import_script_files(ours) == import_script_files(theirs)


def test_csv_matches_ftm(aleph, ftm, entities_file, tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    run([aleph, "export", "csv", "-i", str(entities_file), "-o", str(ours)])
    run([ftm, "export-csv", "-i", str(entities_file), "-o", str(theirs)])
    our_files, their_files = csv_folder(ours), csv_folder(theirs)
    assert set(our_files) == set(their_files)
    for name, (header, rows) in their_files.items():
        assert our_files[name] == (header, rows), name


# --- Excel ------------------------------------------------------------------------------------


def workbook_rows(path):
    book = openpyxl.load_workbook(path, read_only=True)
    sheets = {}
    for sheet in book.worksheets:
        rows = sheet.iter_rows(values_only=True)
        header = next(rows)
        sheets[sheet.title] = (
            header,
            Counter(
                tuple((h, v) for h, v in zip(header, row) if v not in (None, ""))
                for row in rows
            ),
        )
    return sheets


def test_excel_opens_with_openpyxl_and_holds_every_row(aleph, ftm, entities_file, tmp_path):
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    run([aleph, "export", "excel", "-i", str(entities_file), "-o", str(ours)])
    run([ftm, "export-excel", "-i", str(entities_file), "-o", str(theirs)])
    our_sheets, their_sheets = workbook_rows(ours), workbook_rows(theirs)
    entities = [json.loads(line) for line in open(entities_file, encoding="utf-8")]
    assert sum(sum(rows.values()) for _, rows in our_sheets.values()) == len(entities)
    assert set(our_sheets) == set(their_sheets)
    for title, (header, rows) in their_sheets.items():
        assert our_sheets[title][0] == header, title
        assert our_sheets[title][1] == rows, title
    # Every entity id is in the first column of a sheet.
    ids = {row[0][1] for _, rows in our_sheets.values() for row in rows}
    assert ids == {e["id"] for e in entities}


# --- RDF --------------------------------------------------------------------------------------


def test_rdf_is_the_same_graph_as_ftm(aleph, ftm, entities_file, tmp_path):
    ours, theirs = tmp_path / "ours.nt", tmp_path / "theirs.nt"
    run([aleph, "export", "rdf", "-i", str(entities_file), "-o", str(ours)])
    run([ftm, "export-rdf", "-i", str(entities_file), "-o", str(theirs)])
    our_graph = rdflib.Graph().parse(ours, format="nt")
    their_graph = rdflib.Graph().parse(theirs, format="nt")
    assert len(their_graph) > 1000
    assert set(our_graph) == set(their_graph)
