use std::path::Path;

use sha1::{Digest, Sha1};

use super::*;
use crate::Entity;

fn query(yaml: &str) -> QueryMapping {
    try_query(yaml).unwrap()
}

fn try_query(yaml: &str) -> Result<QueryMapping, MappingError> {
    let file = MappingFile::from_str(yaml, Path::new("."))?;
    let ds = &file.datasets[0];
    QueryMapping::new(&ds.queries[0], Some(&ds.name), Some(&ds.name))
}

fn map(q: &QueryMapping, pairs: &[(&str, &str)]) -> (Vec<Entity>, Vec<MapWarning>) {
    let record = Record::from_pairs(pairs.iter().copied());
    let mut warnings = Vec::new();
    let entities = q.map(&record, &mut |w| warnings.push(w));
    (entities, warnings)
}

fn sha1_hex(text: &str) -> String {
    hex::encode(Sha1::digest(text.as_bytes()))
}

const COMPANIES: &str = r#"
demo_dataset:
  queries:
    - csv_url: companies.csv
      entities:
        company:
          schema: Company
          keys: [id]
          key_literal: company
          properties:
            name: {column: name}
            jurisdiction: {column: country}
            phone: {column: phone, format: gb}
            notes: {template: "Company {{name}} ({{id}})"}
            sourceUrl: {literal: "http://example.com/registry"}
        director:
          schema: Person
          keys: [last, first]
          properties:
            name: {columns: [first, last], join: " "}
            birthDate: {column: dob, format: "%d/%m/%Y"}
        directorship:
          schema: Directorship
          keys: [id, first, last]
          properties:
            organization: {entity: company}
            director: {entity: director, required: true}
"#;

#[test]
fn keys_are_hashed_with_prefix_literal_and_sorted_values() {
    let q = query(COMPANIES);
    let (entities, warnings) = map(
        &q,
        &[
            ("id", "C1"),
            ("name", "ACME Ltd"),
            ("country", "United Kingdom"),
            ("phone", "020 7946 0958"),
            ("first", "John"),
            ("last", "Smith"),
            ("dob", "02/03/1975"),
        ],
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let company = &entities[0];
    // The id `ftm map` gives this company (ftm.md §4.2).
    assert_eq!(
        company.id(),
        Some("d5d04c4006296287f90eb4f6f729ab873d46795d")
    );
    assert_eq!(
        company.id(),
        Some(sha1_hex("demo_datasetcompanyC1").as_str())
    );
    // Key values are sorted before hashing: "John" < "Smith".
    let person = &entities[1];
    assert_eq!(
        person.id(),
        Some(sha1_hex("demo_datasetJohnSmith").as_str())
    );
    assert_eq!(person.get("name"), ["John Smith"]);
    assert_eq!(person.get("birthDate"), ["1975-03-02"]);
    assert_eq!(person.datasets, ["demo_dataset"]);
    assert_eq!(company.get("jurisdiction"), ["gb"]);
    assert_eq!(company.get("phone"), ["+442079460958"]);
    assert_eq!(company.get("notes"), ["Company ACME Ltd (C1)"]);
    assert_eq!(company.get("sourceUrl"), ["http://example.com/registry"]);
    // Country properties are mapped first.
    assert_eq!(
        company.properties().next().unwrap().0.name(),
        "jurisdiction"
    );

    let link = &entities[2];
    assert_eq!(link.schema().name(), "Directorship");
    assert_eq!(link.get("director"), [person.id().unwrap()]);
    assert_eq!(link.get("organization"), [company.id().unwrap()]);
    let mut names = link.get("namesMentioned").to_vec();
    names.sort();
    assert_eq!(names, ["ACME Ltd", "John Smith"]);
}

#[test]
fn missing_keys_and_required_references_skip_entities() {
    let q = query(COMPANIES);
    let (entities, warnings) = map(
        &q,
        &[("id", "C2"), ("name", "Beta GmbH"), ("dob", "1975-03-02")],
    );
    // No director keys: no Person, and the Directorship's required director is missing.
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0].schema().name(), "Company");
    assert!(warnings.contains(&MapWarning::NoId {
        entity: "director".into(),
        id_column: None
    }));
    assert!(warnings.contains(&MapWarning::RequiredMissing {
        entity: "directorship".into(),
        property: "director".into()
    }));
    // An empty template placeholder becomes an empty string.
    assert_eq!(entities[0].get("notes"), ["Company Beta GmbH (C2)"]);
}

#[test]
fn strict_formats_discard_values_with_a_warning() {
    let q = query(COMPANIES);
    let (entities, warnings) = map(
        &q,
        &[
            ("id", "C3"),
            ("first", "A"),
            ("last", "B"),
            ("dob", "1975-03-02"),
        ],
    );
    assert!(!entities[1].has("birthDate"));
    assert!(warnings.contains(&MapWarning::Discarded {
        entity: "director".into(),
        property: "Person:birthDate".into(),
        value: "1975-03-02".into()
    }));
}

#[test]
fn literals_join_split_and_raw_values_behave_like_ftm() {
    let q = query(
        r#"
ds:
  query:
    csv_url: x.csv
    entities:
      c:
        schema: Company
        keys: [id]
        properties:
          keywords: {column: tags, split: ";"}
          alias: {literals: ["  spaced lit  ", ""], columns: [c]}
          summary: {columns: [c, id], join: "-"}
          notes: {template: "{{c}}"}
          country: {literal: " Germany "}
          topics: {literal: " sanction "}
"#,
    );
    let (entities, _) = map(&q, &[("id", "X1"), ("tags", "a; b;;c")]);
    let e = &entities[0];
    // Split parts are not stripped, and an empty part is an empty string value.
    assert_eq!(e.get("keywords"), ["a", " b", "", "c"]);
    assert_eq!(e.get("alias"), ["spaced lit"]);
    assert_eq!(e.get("summary"), ["X1"]);
    assert_eq!(e.get("notes"), [""]);
    assert_eq!(e.get("country"), ["de"]);
    assert_eq!(e.get("topics"), ["sanction"]);
    assert_eq!(e.id(), Some(sha1_hex("dsX1").as_str()));
}

#[test]
fn id_column_takes_the_value_as_it_is() {
    let q = query("ds: {query: {csv_url: x, entities: {c: {schema: Company, id_column: id}}}}");
    let (entities, _) = map(&q, &[("id", "A_1")]);
    assert_eq!(entities[0].id(), Some("A_1"));
    let (entities, warnings) = map(&q, &[("other", "x")]);
    assert!(entities.is_empty());
    assert_eq!(
        warnings,
        [MapWarning::NoId {
            entity: "c".into(),
            id_column: Some("id".into())
        }]
    );
}

#[test]
fn references_are_ordered_by_dependency() {
    // Declared before the entities it refers to.
    let q = query(
        r#"
ds:
  query:
    csv_url: x
    entities:
      own: {schema: Ownership, key: id, key_literal: o, properties: {owner: {entity: p}, asset: {entity: c}}}
      c: {schema: Company, key: id, key_literal: c}
      p: {schema: Person, key: id, key_literal: p, properties: {name: {column: n}}}
"#,
    );
    let (entities, _) = map(&q, &[("id", "1"), ("n", "Ann")]);
    let schemata: Vec<&str> = entities.iter().map(|e| e.schema().name()).collect();
    assert_eq!(schemata, ["Company", "Person", "Ownership"]);
    assert_eq!(entities[2].get("owner"), [entities[1].id().unwrap()]);
    assert_eq!(entities[2].get("namesMentioned"), ["Ann"]);
    assert_eq!(q.refs(), ["id", "n"]);
}

#[test]
fn bad_mappings_are_refused() {
    let cases = [
        (
            "ds: {query: {csv_url: x, entities: {a: {schema: Person, key: k, properties: {nope: {column: x}}}}}}",
            "Invalid property: nope",
        ),
        (
            "ds: {query: {csv_url: x, entities: {a: {schema: Nope, key: k}}}}",
            "Invalid schema",
        ),
        (
            "ds: {query: {csv_url: x, entities: {a: {schema: Person}}}}",
            "No keys or ID",
        ),
        (
            "ds: {query: {csv_url: x, entities: {a: {schema: Person, key: k, id_column: i}}}}",
            "not both",
        ),
        (
            "ds: {query: {csv_url: x, entities: {}}}",
            "No entity mappings",
        ),
        (
            "ds: {query: {csv_url: x, entities: {a: {schema: Person, key: k, properties: {ownershipOwner: {column: x}}}}}}",
            "is a stub",
        ),
        (
            "ds: {query: {csv_url: x, entities: {a: {schema: Ownership, key: k, properties: {owner: {entity: b}}}}}}",
            "No entity [b]",
        ),
        (
            "ds: {query: {csv_url: x, entities: {a: {schema: Ownership, key: k, properties: {owner: {entity: b}}}, b: {schema: Vessel, key: k}}}}",
            "must be a LegalEntity (not Vessel)",
        ),
        (
            "ds: {query: {csv_url: x, entities: {a: {schema: Person, key: k, properties: {name: {entity: a}}}}}}",
            "must be a None",
        ),
        (
            "ds: {query: {csv_url: x, entities: {\
               a: {schema: Ownership, key: k, properties: {owner: {entity: b}}}, \
               b: {schema: Ownership, key: k, properties: {owner: {entity: a}}}}}}",
            "must be a LegalEntity",
        ),
        (
            "ds: {query: {csv_url: x, entities: {\
               a: {schema: Note, key: k, properties: {entity: {entity: b}}}, \
               b: {schema: Note, key: k, properties: {entity: {entity: a}}}}}}",
            "Circular entity dependency",
        ),
    ];
    for (yaml, expected) in cases {
        let err = try_query(yaml).unwrap_err().to_string();
        assert!(err.contains(expected), "{yaml}: {err}");
    }
}

#[test]
fn csv_filters_compare_text_and_null() {
    let q = query(
        r#"
ds:
  query:
    csv_url: x
    filters: {status: [active, ~]}
    filters_not: {kind: "x", year: 2020}
    entities: {a: {schema: Person, key: id}}
"#,
    );
    let pass = |pairs: &[(&str, &str)]| q.check_filters(&Record::from_pairs(pairs.iter().copied()));
    assert!(pass(&[("status", "active")]));
    assert!(pass(&[("id", "1")]));
    assert!(!pass(&[("status", "dissolved")]));
    assert!(!pass(&[("status", "active"), ("kind", "x")]));
    // A YAML number never equals a CSV cell, as in FtM.
    assert!(pass(&[("status", "active"), ("year", "2020")]));
}
