//! Whole-matcher tests: one per kind of evidence, and the guarantees of the score.

use ftm::Entity;

use crate::{Match, Matcher, Prepared};

fn entity(schema: &str, id: &str, props: &[(&str, &str)]) -> Entity {
    let mut e = Entity::with_id(schema, id).unwrap();
    for (p, v) in props {
        e.add(p, v).unwrap();
    }
    e
}

fn score(a: &Entity, b: &Entity) -> Match {
    let matcher = Matcher::new();
    let m = matcher.score(a, b).expect("schemata can match");
    let back = matcher.score(b, a).expect("schemata can match");
    assert_eq!(m.score, back.score, "symmetric");
    assert!((0.0..=1.0).contains(&m.score));
    let (pa, pb) = (Prepared::new(a), Prepared::new(b));
    assert_eq!(
        matcher.score_value(&pa, &pb),
        Some(m.score),
        "score_value agrees"
    );
    m
}

fn person(name: &str) -> Entity {
    entity("Person", "p", &[("name", name)])
}

#[test]
fn transliterated_names_match() {
    let m = score(&person("Владимир Путин"), &person("Vladimir Putin"));
    assert!(m.score > 0.7, "{}", m.explain());
    assert_eq!(m.feature("name").unwrap().value, 1.0);
}

#[test]
fn word_order_does_not_matter() {
    let a = score(&person("PUTIN Vladimir"), &person("Vladimir Putin"));
    let b = score(&person("Vladimir Putin"), &person("Vladimir Putin"));
    assert_eq!(a.score, b.score);
}

#[test]
fn initials_are_weaker_than_full_names_but_match() {
    let full = score(&person("John Smith"), &person("John Smith")).score;
    let initial = score(&person("J. Smith"), &person("John Smith")).score;
    let other = score(&person("Peter Smith"), &person("John Smith")).score;
    assert!(initial < full);
    assert!(initial > 0.5, "{initial}");
    assert!(other < 0.1, "{other}");
}

#[test]
fn typos_are_forgiven() {
    let m = score(&person("Aleksandr Ivanvo"), &person("Aleksandr Ivanov"));
    assert!(m.score > 0.5, "{}", m.explain());
}

#[test]
fn legal_forms_in_every_spelling() {
    let company = |name: &str| entity("Company", "c", &[("name", name)]);
    let ltd = company("ACME Ltd");
    let limited = company("Acme Limited");
    let ooo = company("ООО Акме");
    let gmbh = company("ACME GmbH");
    let zenith = company("Zenith Ltd");
    let same = score(&ltd, &limited);
    assert!(same.score > 0.7, "{}", same.explain());
    assert!(same.feature("legal_form_match").is_some());
    let cyrillic = score(&ltd, &ooo);
    assert!(cyrillic.feature("legal_form_match").is_some());
    assert!(cyrillic.feature("name").unwrap().value >= 0.85);
    assert!(cyrillic.score > score(&ltd, &zenith).score);
    // GmbH is a limited company too.
    assert!(score(&ltd, &gmbh).feature("legal_form_match").is_some());
    let jsc = score(&ltd, &company("Acme PLC"));
    assert!(jsc.feature("legal_form_mismatch").is_some());
    assert!(jsc.score < same.score);
}

#[test]
fn conflicting_imo_numbers_sink_a_name_match() {
    let a = entity(
        "Vessel",
        "v1",
        &[("name", "Ocean Star"), ("imoNumber", "IMO9321483")],
    );
    let b = entity(
        "Vessel",
        "v2",
        &[("name", "Ocean Star"), ("imoNumber", "9074729")],
    );
    let c = entity(
        "Vessel",
        "v3",
        &[("name", "Ocean Star"), ("imoNumber", "IMO 9321483")],
    );
    let conflict = score(&a, &b);
    assert!(conflict.feature("identifier_conflict_global").is_some());
    assert!(conflict.score < 0.2, "{}", conflict.explain());
    let agree = score(&a, &c);
    assert!(agree.feature("identifier_match_global").is_some());
    assert!(agree.score > 0.95, "{}", agree.explain());
}

#[test]
fn an_equal_lei_outweighs_a_different_name() {
    let a = entity(
        "Company",
        "a",
        &[
            ("name", "Acme Holdings Ltd"),
            ("leiCode", "529900T8BM49AURSDO55"),
        ],
    );
    let b = entity(
        "Company",
        "b",
        &[
            ("name", "ACME Group PLC"),
            ("leiCode", "529900T8BM49AURSDO55"),
        ],
    );
    let m = score(&a, &b);
    assert!(m.score > 0.9, "{}", m.explain());
    let without = score(
        &entity("Company", "a", &[("name", "Acme Holdings Ltd")]),
        &entity("Company", "b", &[("name", "ACME Group PLC")]),
    );
    assert!(without.score < m.score);
}

#[test]
fn registration_numbers_conflict_only_within_a_country() {
    let reg = |number: &str, country: &str| {
        entity(
            "Company",
            "c",
            &[
                ("name", "Acme Ltd"),
                ("registrationNumber", number),
                ("jurisdiction", country),
            ],
        )
    };
    let same_country = score(&reg("01234567", "gb"), &reg("07654321", "gb"));
    assert!(same_country.feature("identifier_conflict").is_some());
    let other_country = score(&reg("01234567", "gb"), &reg("HRB 76543", "de"));
    assert!(other_country.feature("identifier_conflict").is_none());
    let spaced = score(&reg("0123 4567", "gb"), &reg("01234567", "gb"));
    assert!(spaced.feature("identifier_match").is_some());
}

#[test]
fn birth_dates_at_any_precision_and_swapped() {
    let born = |date: &str| {
        entity(
            "Person",
            "p",
            &[("name", "Ivan Petrov"), ("birthDate", date)],
        )
    };
    let exact = score(&born("1975-03-02"), &born("1975-03-02"));
    let swapped = score(&born("1975-03-02"), &born("1975-02-03"));
    let year = score(&born("1975"), &born("1975-02-03"));
    let other_day = score(&born("1975-03-02"), &born("1975-03-19"));
    let other_year = score(&born("1975-03-02"), &born("1988-03-02"));
    let no_date = score(&person("Ivan Petrov"), &person("Ivan Petrov"));
    assert!(swapped.feature("date_swapped").is_some());
    assert!(year.feature("date_same_year").is_some());
    assert!(exact.score > swapped.score);
    assert!(swapped.score > no_date.score);
    assert!(year.score > no_date.score);
    assert!(other_day.score < no_date.score);
    // Two full birth dates a month or days apart are two people, even with the same name
    // in the same country.
    assert!(other_day.score < 0.5, "{}", other_day.explain());
    assert!(other_year.score < 0.3, "{}", other_year.explain());
}

#[test]
fn jurisdictions_differ_only_once() {
    let company = |name: &str, props: &[(&str, &str)]| {
        let mut all = vec![("name", name)];
        all.extend_from_slice(props);
        entity("Company", "c", &all)
    };
    let gb = company("Magnolia Capital Ltd", &[("jurisdiction", "gb")]);
    let nl = company("Magnolia Capital B.V.", &[("jurisdiction", "nl")]);
    let abroad = score(&gb, &nl);
    let f = abroad
        .feature("jurisdiction_mismatch")
        .expect("jurisdictions differ");
    assert_eq!(f.detail.as_deref(), Some("gb vs nl"));
    assert!(abroad.feature("country_mismatch").is_none(), "counted once");
    assert!(abroad.score < 0.5, "{}", abroad.explain());
    // A country the entity merely operates in is not its jurisdiction.
    let operates = company("Magnolia Capital B.V.", &[("country", "nl")]);
    let m = score(&gb, &operates);
    assert!(m.feature("jurisdiction_mismatch").is_none());
    assert!(m.feature("country_mismatch").is_some());
    assert!(m.score > abroad.score);
    // An equal LEI still says it is the same company, registered abroad or not.
    let lei = ("leiCode", "529900T8BM49AURSDO55");
    let a = company("Magnolia Capital Ltd", &[("jurisdiction", "gb"), lei]);
    let b = company("Magnolia Capital B.V.", &[("jurisdiction", "nl"), lei]);
    assert!(score(&a, &b).score > 0.9);
    // People have nationalities, not jurisdictions.
    let p = |c: &str| {
        entity(
            "Person",
            "p",
            &[("name", "Ivan Petrov"), ("nationality", c)],
        )
    };
    assert!(
        score(&p("ru"), &p("ua"))
            .feature("country_mismatch")
            .is_some()
    );
}

#[test]
fn countries_and_gender() {
    let p = |country: &str, gender: &str| {
        entity(
            "Person",
            "p",
            &[
                ("name", "Maria Ivanova"),
                ("nationality", country),
                ("gender", gender),
            ],
        )
    };
    let agree = score(&p("ru", "female"), &p("ru", "female"));
    let country = score(&p("ru", "female"), &p("br", "female"));
    let gender = score(&p("ru", "female"), &p("ru", "male"));
    assert!(agree.feature("country_match").is_some());
    assert!(country.feature("country_mismatch").is_some());
    assert!(gender.feature("gender_mismatch").is_some());
    assert!(agree.score > country.score && agree.score > gender.score);
    // A sub-territory is within its country.
    let scot = score(&p("gb-sct", "female"), &p("gb", "female"));
    assert!(scot.feature("country_match").is_some());
}

#[test]
fn contacts_are_strong_evidence() {
    let a = entity(
        "Person",
        "a",
        &[("name", "J. Doe"), ("email", "jdoe@example.com")],
    );
    let b = entity(
        "Person",
        "b",
        &[("name", "John Doe"), ("email", "JDoe@Example.com")],
    );
    let m = score(&a, &b);
    assert!(m.feature("email_match").is_some());
    assert!(m.score > 0.9, "{}", m.explain());
}

#[test]
fn incompatible_schemata_are_not_scored() {
    let matcher = Matcher::new();
    let p = person("Acme");
    let c = entity("Company", "c", &[("name", "Acme")]);
    let le = entity("LegalEntity", "l", &[("name", "Acme")]);
    let doc = entity("Document", "d", &[("title", "Acme")]);
    assert!(matcher.score(&p, &c).is_none());
    assert!(matcher.score(&c, &p).is_none());
    assert!(matcher.score(&le, &c).is_some());
    assert!(matcher.score(&le, &p).is_some());
    assert!(matcher.score(&doc, &doc).is_none());
}

#[test]
fn every_score_is_explained() {
    let a = entity(
        "Person",
        "a",
        &[
            ("name", "Vladimir Putin"),
            ("birthDate", "1952-10-07"),
            ("nationality", "ru"),
        ],
    );
    let b = entity(
        "Person",
        "b",
        &[
            ("name", "Путин Владимир Владимирович"),
            ("birthDate", "1952"),
            ("nationality", "ru"),
        ],
    );
    let m = score(&a, &b);
    let names: Vec<&str> = m.features.iter().map(|f| f.name).collect();
    assert_eq!(names, ["name", "country_match", "date_same_year"]);
    let logit = m.bias + m.features.iter().map(|f| f.contribution).sum::<f64>();
    assert!((m.score - 1.0 / (1.0 + (-logit).exp())).abs() < 1e-12);
    let text = m.explain();
    assert!(
        text.contains("Vladimir Putin ~ Путин Владимир Владимирович"),
        "{text}"
    );
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["features"][0]["name"], "name");
    assert_eq!(json["method"], crate::METHOD);
}

#[test]
fn nothing_to_compare_scores_zero() {
    let a = entity("BankAccount", "a", &[("iban", "DE89370400440532013000")]);
    let b = entity("BankAccount", "b", &[("iban", "GB82WEST12345698765432")]);
    let m = score(&a, &entity("BankAccount", "c", &[]));
    assert_eq!(m.score, 0.0);
    assert!(m.features.is_empty());
    assert!(score(&a, &b).score < 0.1);
}

#[test]
fn prepared_and_direct_scoring_agree() {
    let a = entity(
        "Company",
        "a",
        &[("name", "Acme Trading Ltd"), ("jurisdiction", "gb")],
    );
    let b = entity(
        "Company",
        "b",
        &[("name", "ACME TRADING LIMITED"), ("country", "gb")],
    );
    let matcher = Matcher::new();
    let direct = matcher.score(&a, &b).unwrap();
    let prepared = matcher
        .score_prepared(&Prepared::new(&a), &Prepared::new(&b))
        .unwrap();
    assert_eq!(direct, prepared);
}

#[test]
fn score_value_is_the_explained_score() {
    let entities = [
        entity(
            "Person",
            "a",
            &[
                ("name", "Иван Петров"),
                ("birthDate", "1970-02-03"),
                ("nationality", "ru"),
                ("passportNumber", "AB1234567"),
                ("gender", "male"),
            ],
        ),
        entity(
            "Person",
            "b",
            &[
                ("name", "PETROV, Ivan"),
                ("birthDate", "1970-03-02"),
                ("nationality", "ua"),
                ("passportNumber", "AB 1234567"),
                ("email", "ivan@example.com"),
            ],
        ),
        entity(
            "Person",
            "c",
            &[
                ("name", "I. Petrov"),
                ("birthDate", "1981"),
                ("email", "ivan@example.com"),
                ("gender", "female"),
            ],
        ),
        entity(
            "Company",
            "d",
            &[
                ("name", "ООО Ромашка"),
                ("jurisdiction", "ru"),
                ("registrationNumber", "1027700132195"),
                ("incorporationDate", "2001-05-04"),
            ],
        ),
        entity(
            "LegalEntity",
            "e",
            &[
                ("name", "Romashka LLC"),
                ("jurisdiction", "ru"),
                ("registrationNumber", "1027700132196"),
                ("address", "1 Main Street, Moscow"),
            ],
        ),
        entity(
            "Organization",
            "f",
            &[
                ("name", "Romashka GmbH"),
                ("address", "1 Main Street Moscow"),
            ],
        ),
    ];
    let matcher = Matcher::new();
    let prepared: Vec<Prepared> = entities.iter().map(Prepared::new).collect();
    let mut scored = 0;
    for a in &prepared {
        for b in &prepared {
            let explained = matcher.score_prepared(a, b).map(|m| m.score);
            assert_eq!(matcher.score_value(a, b), explained);
            scored += usize::from(explained.is_some());
        }
    }
    // People with people, organisations with organisations, and the LegalEntity also
    // with the people (a person is a legal entity); never a Person with a Company.
    assert_eq!(scored, 3 * 3 + 3 * 3 + 2 * 3);
}
