use super::*;

fn schema(name: &str) -> &'static Schema {
    model().get(name).unwrap()
}

fn names<'a>(it: impl Iterator<Item = &'a Schema>) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = it.map(|s| s.name()).collect();
    v.sort_unstable();
    v
}

#[test]
fn loads_all_schemata() {
    assert_eq!(model().schemata().len(), 71);
    assert_eq!(model().version(), "4.11.2");
    assert!(model().get("Nope").is_none());
    assert_eq!(
        model().schema("Nope").unwrap_err(),
        ModelError::UnknownSchema("Nope".into())
    );
}

#[test]
fn inheritance_and_ancestry() {
    let person = schema("Person");
    assert_eq!(names(person.schemata()), ["LegalEntity", "Person", "Thing"]);
    assert!(person.is_a(schema("Thing")));
    assert!(!schema("Thing").is_a(person));
    assert_eq!(person.property("name").unwrap().qname(), "Thing:name");
    assert_eq!(
        person.property("birthDate").unwrap().qname(),
        "Person:birthDate"
    );
    let docs = names(schema("Document").descendants());
    assert!(docs.contains(&"Pages") && docs.contains(&"Email") && docs.contains(&"Workbook"));
    assert!(!docs.contains(&"Page"));
    // Multiple inheritance: the first declared parent's definition wins.
    assert_eq!(
        schema("Event").property("summary").unwrap().qname(),
        "Interval:summary"
    );
    assert_eq!(
        schema("CallForTenders")
            .property("summary")
            .unwrap()
            .qname(),
        "Thing:summary"
    );
    assert_eq!(
        schema("Message").property("date").unwrap().qname(),
        "Interval:date"
    );
}

#[test]
fn matchable_schemata_agree_with_ftm() {
    let m = |n: &str| names(schema(n).matchable_schemata());
    assert_eq!(m("Person"), ["LegalEntity", "Person"]);
    assert_eq!(m("Company"), ["Company", "LegalEntity", "Organization"]);
    assert_eq!(
        m("Organization"),
        ["Company", "LegalEntity", "Organization", "PublicBody"]
    );
    assert_eq!(
        m("LegalEntity"),
        [
            "Company",
            "LegalEntity",
            "Organization",
            "Person",
            "PublicBody"
        ]
    );
    assert_eq!(m("Vessel"), ["Vehicle", "Vessel"]);
    assert_eq!(m("Address"), ["Address"]);
    assert!(m("Document").is_empty());
    assert!(!schema("Person").can_match(schema("Company")));
    assert!(schema("Company").can_match(schema("LegalEntity")));
}

#[test]
fn common_schema_picks_the_narrower() {
    let person = schema("Person");
    let le = schema("LegalEntity");
    assert_eq!(model().common_schema(person, le).unwrap(), person);
    assert_eq!(model().common_schema(le, person).unwrap(), person);
    assert!(model().common_schema(person, schema("Company")).is_err());
}

#[test]
fn reverse_properties_and_edges() {
    let owner = schema("Ownership").property("owner").unwrap();
    assert_eq!(owner.type_(), PropertyType::Entity);
    assert_eq!(owner.range().unwrap().name(), "LegalEntity");
    let reverse = owner.reverse().unwrap();
    assert_eq!(reverse.qname(), "LegalEntity:ownershipOwner");
    assert!(reverse.stub());
    assert_eq!(reverse.reverse().unwrap(), owner);
    let edge = schema("Ownership").edge().unwrap();
    assert_eq!(
        (edge.source.as_str(), edge.target.as_str()),
        ("owner", "asset")
    );
    assert!(edge.directed);
    assert!(schema("Person").edge().is_none());
}

#[test]
fn flags_and_formats() {
    assert!(schema("Thing").is_abstract());
    assert!(schema("Mention").hidden());
    assert!(schema("Pages").generated());
    let iban = schema("BankAccount").property("iban").unwrap();
    assert_eq!(iban.format(), Some("iban"));
    assert_eq!(iban.type_(), PropertyType::Identifier);
    assert_eq!(
        schema("Address")
            .property("postalCode")
            .unwrap()
            .max_length(),
        16
    );
    assert!(!schema("Thing").property("weakAlias").unwrap().matchable());
    assert!(schema("Thing").property("name").unwrap().matchable());
    assert_eq!(schema("Interval").temporal_start(), ["startDate", "date"]);
    // Inherited temporal extent.
    assert_eq!(schema("Ownership").temporal_start(), ["startDate", "date"]);
}

#[test]
fn dump_has_the_ftm_shape() {
    let dump = model().to_json();
    let person = &dump["schemata"]["Person"];
    assert_eq!(person["extends"], serde_json::json!(["LegalEntity"]));
    assert_eq!(
        person["schemata"],
        serde_json::json!(["LegalEntity", "Person", "Thing"])
    );
    assert_eq!(person["matchable"], serde_json::json!(true));
    assert!(
        person["properties"].get("name").is_none(),
        "only own properties"
    );
    assert_eq!(
        person["properties"]["birthDate"]["qname"],
        "Person:birthDate"
    );
    assert_eq!(dump["types"]["country"]["values"]["gb"], "United Kingdom");
    assert_eq!(dump["types"]["name"]["group"], "names");
}
