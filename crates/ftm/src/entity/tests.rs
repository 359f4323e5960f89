use serde_json::json;

use super::*;

fn person(id: &str) -> Entity {
    Entity::with_id("Person", id).unwrap()
}

#[test]
fn values_are_ordered_and_deduplicated() {
    let mut e = person("p1");
    e.add_cleaned("name", "Ann").unwrap();
    e.add_cleaned("name", "Anna").unwrap();
    e.add_cleaned("name", "Ann").unwrap();
    assert_eq!(e.get("name"), ["Ann", "Anna"]);
    assert_eq!(e.first("name"), Some("Ann"));
    assert!(e.get("nationality").is_empty());
    assert!(matches!(
        e.add_cleaned("nope", "x"),
        Err(EntityError::UnknownProperty { .. })
    ));
    e.remove("name", "Ann");
    assert_eq!(e.get("name"), ["Anna"]);
    assert_eq!(e.pop("name"), ["Anna"]);
    assert!(e.is_empty());
}

#[test]
fn stub_properties_cannot_be_set() {
    let mut e = Entity::with_id("LegalEntity", "x").unwrap();
    let stub = e.schema().property("ownershipOwner").unwrap();
    assert!(matches!(
        e.add_value(stub, "y", AddOptions::CLEANED),
        Err(EntityError::StubProperty { .. })
    ));
}

#[test]
fn unknown_properties_are_ignored_on_read_and_context_is_kept() {
    let e = Entity::from_json(
        json!({"id": "a", "schema": "Person", "collection_id": "7",
               "properties": {"name": ["Ann"], "bogus": ["x"]}}),
        true,
    )
    .unwrap();
    assert_eq!(e.get("name"), ["Ann"]);
    assert_eq!(e.context["collection_id"], "7");
    let out = e.to_json();
    assert_eq!(out["collection_id"], "7");
    assert_eq!(out["properties"], json!({"name": ["Ann"]}));
    assert_eq!(out["referents"], json!([]));
    assert_eq!(out["datasets"], json!([]));
}

#[test]
fn scalar_and_nested_values_become_strings() {
    let e = Entity::from_json(
        json!({"id": "o", "schema": "Ownership",
               "properties": {"owner": {"id": "p"}, "percentage": 12.5, "role": [true, 3]}}),
        true,
    )
    .unwrap();
    assert_eq!(e.get("owner"), ["p"]);
    assert_eq!(e.get("percentage"), ["12.50"]);
    assert_eq!(e.get("role"), ["true", "3"]);
}

#[test]
fn bad_documents_are_errors() {
    assert_eq!(
        Entity::from_json(json!([1]), true).unwrap_err(),
        EntityError::NotAnObject
    );
    assert_eq!(
        Entity::from_json(json!({"id": "a"}), true).unwrap_err(),
        EntityError::MissingSchema
    );
    assert!(matches!(
        Entity::from_json(json!({"id": "a", "schema": "Alien"}), true),
        Err(EntityError::Model(ModelError::UnknownSchema(_)))
    ));
}

#[test]
fn merge_takes_the_narrower_schema_and_unions_values() {
    let mut a = Entity::with_id("LegalEntity", "x").unwrap();
    a.add_cleaned("name", "ACME").unwrap();
    a.add_cleaned("country", "de").unwrap();
    a.context.insert("origin".into(), json!("bulk"));
    let mut b = person("x");
    b.add_cleaned("name", "Acme").unwrap();
    b.add_cleaned("country", "de").unwrap();
    b.add_cleaned("birthDate", "1970").unwrap();
    b.context.insert("origin".into(), json!("ingest"));
    b.datasets.push("ds".into());
    a.merge(&b).unwrap();
    assert_eq!(a.schema().name(), "Person");
    assert_eq!(a.get("name"), ["ACME", "Acme"]);
    assert_eq!(a.get("country"), ["de"]);
    assert_eq!(a.get("birthDate"), ["1970"]);
    assert_eq!(a.context["origin"], json!(["bulk", "ingest"]));
    assert_eq!(a.datasets, ["ds"]);

    let company = Entity::with_id("Company", "x").unwrap();
    assert!(matches!(a.merge(&company), Err(EntityError::Merge { .. })));
}

#[test]
fn captions_follow_the_schema() {
    let mut e = person("p");
    assert_eq!(e.caption(), "Person");
    e.add_cleaned("lastName", "Smith").unwrap();
    assert_eq!(e.caption(), "Smith");
    e.add_cleaned("name", "John Smith").unwrap();
    assert_eq!(e.caption(), "John Smith");
    let mut own = Entity::with_id("Ownership", "o").unwrap();
    own.add_cleaned("owner", "a").unwrap();
    own.add_cleaned("asset", "b").unwrap();
    own.add_cleaned("asset", "c").unwrap();
    assert_eq!(own.edge_pairs(), [("a", "b"), ("a", "c")]);
}

#[test]
fn type_groups_invert_values() {
    let mut e = Entity::with_id("Company", "c").unwrap();
    e.add_cleaned("name", "ACME").unwrap();
    e.add_cleaned("alias", "Acme Inc").unwrap();
    e.add_cleaned("jurisdiction", "gb").unwrap();
    e.add_cleaned("mainCountry", "gb").unwrap();
    e.add_cleaned("email", "info@acme.com").unwrap();
    let groups = e.type_groups(false);
    assert_eq!(groups["names"], ["ACME", "Acme Inc"]);
    assert_eq!(groups["countries"], ["gb"]);
    assert_eq!(groups["emails"], ["info@acme.com"]);
    let full = e.to_full_json(false);
    assert_eq!(full["countries"], json!(["gb"]));
}

#[test]
fn checksum_ignores_value_order() {
    let mut a = person("p");
    a.add_cleaned("name", "A").unwrap();
    a.add_cleaned("name", "B").unwrap();
    let mut b = person("p");
    b.add_cleaned("name", "B").unwrap();
    b.add_cleaned("name", "A").unwrap();
    assert_eq!(a.checksum(), b.checksum());
    b.add_cleaned("name", "C").unwrap();
    assert_ne!(a.checksum(), b.checksum());
}

#[test]
fn text_budget_refuses_further_text() {
    let mut e = Entity::with_id("PlainText", "t").unwrap();
    let big = "x".repeat(TOTAL_TEXT_SIZE - 10);
    assert!(
        e.add_value(
            e.schema().property("bodyText").unwrap(),
            &big,
            AddOptions::CLEANED
        )
        .unwrap()
        .is_some()
    );
    let more = "y".repeat(20);
    assert!(
        e.add_value(
            e.schema().property("bodyText").unwrap(),
            &more,
            AddOptions::CLEANED
        )
        .unwrap()
        .is_none()
    );
    // Other types are not limited by the text budget.
    e.add_cleaned("title", "still fine").unwrap();
    assert_eq!(e.get("title"), ["still fine"]);
}

#[test]
fn set_schema_narrows_and_keeps_values() {
    let mut e = Entity::with_id("Document", "d").unwrap();
    e.add_cleaned("fileName", "a.pdf").unwrap();
    e.set_schema(crate::model().get("Pages").unwrap());
    assert_eq!(e.schema().name(), "Pages");
    assert_eq!(e.get("fileName"), ["a.pdf"]);
}

#[test]
fn reading_bytes_keeps_key_order_as_ftm_writes_it() {
    // `ftm validate` writes `id` first, then the other keys in the order they came, with
    // `schema` in its place among them, then the entity's own keys.
    let line = br#"{"z1":1,"id":"a","a1":1,"schema":"Person","b1":2,"properties":{"name":["X"]},"c1":3,"caption":"x","datasets":["d"],"d1":4}"#;
    let entity = Entity::from_json_slice(line, false).unwrap();
    let written = serde_json::to_string(&entity).unwrap();
    assert_eq!(
        written,
        r#"{"id":"a","z1":1,"a1":1,"schema":"Person","b1":2,"c1":3,"d1":4,"properties":{"name":["X"]},"referents":[],"datasets":["d"],"caption":"x"}"#
    );
    // The same object read through a parsed value gives the same entity.
    let value: Value = serde_json::from_slice(line).unwrap();
    assert_eq!(
        serde_json::to_string(&Entity::from_json(value, false).unwrap()).unwrap(),
        written
    );
}

#[test]
fn reading_bytes_says_what_was_wrong() {
    assert!(matches!(
        Entity::from_json_slice(b"[1, 2]", false),
        Err(EntityJsonError::Entity(EntityError::NotAnObject))
    ));
    assert!(matches!(
        Entity::from_json_slice(b"{\"id\": ", false),
        Err(EntityJsonError::Json(_))
    ));
    assert!(matches!(
        Entity::from_json_slice(br#"{"id":"a","properties":{}}"#, false),
        Err(EntityJsonError::Entity(EntityError::MissingSchema))
    ));
    // A `properties` key that is not an object is ignored, not an error.
    let entity =
        Entity::from_json_slice(br#"{"id":"a","schema":"Person","properties":[1]}"#, false)
            .unwrap();
    assert!(entity.is_empty());
    // A repeated property keeps the last values, as a JSON map would.
    let entity = Entity::from_json_slice(
        br#"{"id":"a","schema":"Person","properties":{"name":["A"],"name":["B"]}}"#,
        false,
    )
    .unwrap();
    assert_eq!(entity.get("name"), ["B"]);
}

#[test]
fn a_line_with_very_many_properties_keeps_the_last_of_each() {
    // Past the scan limit names are found through a map: still the last value wins.
    let mut props: Vec<String> = (0..100).map(|i| format!(r#""p{i}":["v{i}"]"#)).collect();
    props.push(r#""name":["first"]"#.to_string());
    props.extend((100..200).map(|i| format!(r#""p{i}":["v{i}"]"#)));
    props.push(r#""name":["last"]"#.to_string());
    let line = format!(
        r#"{{"id":"a","schema":"Person","properties":{{{}}}}}"#,
        props.join(",")
    );
    let entity = Entity::from_json_slice(line.as_bytes(), false).unwrap();
    assert_eq!(entity.get("name"), ["last"]);
}
