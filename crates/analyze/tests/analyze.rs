//! The analyzer end to end: entity in, entity and mentions out.

#![allow(clippy::unwrap_used)]

use analyze::{Analysis, Analyzer, Context};
use ftm::Entity;

fn doc(schema: &str, id: &str, body: &str) -> Entity {
    let mut e = Entity::with_id(schema, id).unwrap();
    e.add("bodyText", body).unwrap();
    e
}

fn run(entity: &Entity) -> Analysis {
    Analyzer::default()
        .analyze(entity, &Context::default())
        .unwrap()
}

fn prop_names(e: &Entity) -> Vec<&str> {
    let mut names: Vec<&str> = e.properties().map(|(p, _)| p.name()).collect();
    names.sort();
    names
}

fn mention_named<'a>(a: &'a Analysis, name: &str) -> &'a Entity {
    a.mentions
        .iter()
        .find(|m| m.get("name").iter().any(|n| n == name))
        .unwrap_or_else(|| panic!("no mention of {name}"))
}

const BODY: &str = "Angela Merkel met John Smith, director of Acme Holdings Ltd, in Berlin. \
                    They discussed the financing of the new factory and agreed to meet again \
                    next month, after the elections, to sign the contract.\n\
                    Contact: jane.doe@example.org, phone +49 30 1234567.";

#[test]
fn mentions_have_aleph_ids_and_properties() {
    let analysis = run(&doc("PlainText", "abc", BODY));
    let smith = mention_named(&analysis, "John Smith");
    assert_eq!(smith.schema().name(), "Mention");
    // Ids as followthemoney 4.11.2 computes them for this document and name:
    // make_id("mention", "abc", <Analyzable:peopleMentioned>, "name:john-smith") and
    // make_entity_id("name:john-smith").
    assert_eq!(smith.id(), Some("e32af9607ea7102d01c9745aef6a811e2b7e5441"));
    assert_eq!(
        smith.get("resolved"),
        ["95101f642c7b90d2fc0a1c88ace06f0d841e9b37"]
    );
    assert_eq!(
        prop_names(smith),
        [
            "contextCountry",
            "contextEmail",
            "contextPhone",
            "detectedSchema",
            "document",
            "name",
            "resolved"
        ]
    );
    assert_eq!(smith.get("document"), ["abc"]);
    assert_eq!(smith.get("name"), ["John Smith"]);
    assert_eq!(smith.get("detectedSchema"), ["Person"]);
    assert_eq!(smith.get("contextCountry"), ["de"]);
    assert_eq!(smith.get("contextEmail"), ["jane.doe@example.org"]);
    assert_eq!(smith.get("contextPhone"), ["+49301234567"]);

    let acme = mention_named(&analysis, "Acme Holdings Ltd");
    assert_eq!(acme.get("detectedSchema"), ["Company"]);
    assert_eq!(
        mention_named(&analysis, "Angela Merkel").get("detectedSchema"),
        ["Person"]
    );
    // One mention per distinct person or organisation, none for places.
    assert_eq!(analysis.mentions.len(), 3);
}

#[test]
fn the_document_gets_the_analysis_properties() {
    let analysis = run(&doc("PlainText", "abc", BODY));
    let e = &analysis.entity;
    assert_eq!(e.get("peopleMentioned"), ["Angela Merkel", "John Smith"]);
    assert_eq!(e.get("companiesMentioned"), ["Acme Holdings Ltd"]);
    assert_eq!(
        e.get("namesMentioned"),
        ["Angela Merkel", "John Smith", "Acme Holdings Ltd"]
    );
    assert_eq!(e.get("locationMentioned"), ["Berlin"]);
    assert_eq!(e.get("detectedCountry"), ["de"]);
    assert_eq!(e.get("emailMentioned"), ["jane.doe@example.org"]);
    assert_eq!(e.get("phoneMentioned"), ["+49301234567"]);
    assert_eq!(e.get("detectedLanguage"), ["eng"]);
    // The collection declares no language, so the detected one fills `language`.
    assert_eq!(e.get("language"), ["eng"]);
    // The original text is untouched.
    assert_eq!(e.get("bodyText"), [BODY]);
}

#[test]
fn the_same_name_resolves_alike_across_documents() {
    let a = run(&doc(
        "PlainText",
        "doc-a",
        "A letter from John Smith arrived.",
    ));
    let b = run(&doc(
        "Pages",
        "doc-b",
        "Later JOHN SMITH called; John  Smith left.",
    ));
    let (ma, mb) = (
        mention_named(&a, "John Smith"),
        mention_named(&b, "John Smith"),
    );
    assert_eq!(ma.get("resolved"), mb.get("resolved"));
    assert_ne!(ma.id(), mb.id());
    // Both spellings in the second document are one mention with both names.
    assert_eq!(b.mentions.len(), 1);
    assert_eq!(mb.get("name"), ["JOHN SMITH", "John Smith"]);
}

#[test]
fn analysing_twice_gives_the_same_result() {
    let first = run(&doc("PlainText", "abc", BODY));
    let second = run(&first.entity);
    assert_eq!(first.entity.to_json(), second.entity.to_json());
    let ids = |a: &Analysis| a.mentions.iter().map(Entity::to_json).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&second));
    assert_eq!(first.findings, second.findings);
}

#[test]
fn tables_are_skipped_and_pages_only_get_a_language() {
    let mut table = Entity::with_id("Table", "t1").unwrap();
    table.add("bodyText", BODY).unwrap();
    let analysis = run(&table);
    assert_eq!(analysis.entity.to_json(), table.to_json());
    assert!(analysis.mentions.is_empty() && analysis.findings.is_empty());

    let mut page = Entity::with_id("Page", "p1").unwrap();
    page.add("bodyText", BODY).unwrap();
    let analysis = run(&page);
    assert_eq!(
        prop_names(&analysis.entity),
        ["bodyText", "detectedLanguage"]
    );
    assert!(analysis.mentions.is_empty());
}

const GERMAN_PAGE: &str = "Dieser Vertrag regelt die Lieferung von Waren zwischen den Parteien. \
    Die Zahlung erfolgt innerhalb von dreißig Tagen nach Erhalt der Rechnung. \
    Beide Parteien verpflichten sich, alle Informationen vertraulich zu behandeln. \
    Änderungen dieses Vertrages bedürfen der Schriftform und der Zustimmung beider Seiten.";
const ENGLISH_PAGE: &str = "This annex describes the technical specifications of the goods \
    delivered to Acme Holdings Ltd. All equipment must be tested before shipment and certified \
    by an independent laboratory. John Smith shall provide documentation in English for every \
    item and replace defective parts free of charge within the warranty period.";

/// A `Pages` document the way ingest makes one: its pages' text joined in `indexText`.
fn paged_document() -> Vec<Entity> {
    let mut document = Entity::with_id("Pages", "doc").unwrap();
    document.add("title", "Liefervertrag").unwrap();
    document
        .add(
            "indexText",
            format!("{GERMAN_PAGE}\n\n{ENGLISH_PAGE}").as_str(),
        )
        .unwrap();
    let page = |id: &str, index: &str, text: &str| {
        let mut page = Entity::with_id("Page", id).unwrap();
        page.add("document", "doc").unwrap();
        page.add("index", index).unwrap();
        page.add("bodyText", text).unwrap();
        page
    };
    // The store hands them back in any order: the document first here.
    vec![
        document,
        page("doc.2", "2", ENGLISH_PAGE),
        page("doc.1", "1", GERMAN_PAGE),
    ]
}

fn analyze_each(entities: &[Entity]) -> Vec<(String, Analysis)> {
    let mut out = Vec::new();
    Analyzer::default()
        .analyze_each(entities, &Context::default(), |entity, analysis| {
            out.push((entity.id().unwrap().to_owned(), analysis));
            Ok::<_, analyze::AnalyzeError>(())
        })
        .unwrap();
    out
}

fn languages_of(together: &[(String, Analysis)], id: &str) -> Vec<String> {
    let analysis = &together.iter().find(|(i, _)| i == id).unwrap().1;
    let mut languages = analysis.entity.get("detectedLanguage").to_vec();
    languages.sort();
    languages
}

#[test]
fn a_mixed_document_is_judged_once_and_its_pages_each() {
    let entities = paged_document();
    let together = analyze_each(&entities);
    // The document first (its verdict decides how the pages are judged), every entity once.
    let ids: Vec<&str> = together.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["doc", "doc.2", "doc.1"]);
    // Two languages in the document: each page says which one it is in.
    assert_eq!(languages_of(&together, "doc.1"), ["deu"]);
    assert_eq!(languages_of(&together, "doc.2"), ["eng"]);
    assert_eq!(languages_of(&together, "doc"), ["deu", "eng"]);
    // Everything the document gets is what it gets analysed alone, the mentions included.
    let document = &together.iter().find(|(id, _)| id == "doc").unwrap().1;
    let alone = run(&entities[0]);
    let json = |a: &Analysis| a.mentions.iter().map(Entity::to_json).collect::<Vec<_>>();
    assert_eq!(document.entity.to_json(), alone.entity.to_json());
    assert!(!document.mentions.is_empty());
    assert_eq!(json(document), json(&alone));
}

#[test]
fn the_pages_of_a_document_in_one_language_take_its_verdict() {
    let mut entities = paged_document();
    // The document's text is German only; its English page is not judged again but takes
    // the document's verdict, and a page without letters takes none.
    entities[0].pop("indexText");
    entities[0].add("indexText", GERMAN_PAGE).unwrap();
    let mut blank = Entity::with_id("Page", "doc.3").unwrap();
    blank.add("document", "doc").unwrap();
    blank.add("index", "3").unwrap();
    blank.add("bodyText", "4711 — 12.03.2021 — 8").unwrap();
    entities.push(blank);
    let together = analyze_each(&entities);
    assert_eq!(languages_of(&together, "doc"), ["deu"]);
    assert_eq!(languages_of(&together, "doc.1"), ["deu"]);
    assert_eq!(languages_of(&together, "doc.2"), ["deu"]);
    assert!(languages_of(&together, "doc.3").is_empty());
    // Only the verdict is shared: the page's own properties are its own.
    let page = &together.iter().find(|(id, _)| id == "doc.2").unwrap().1;
    assert_eq!(page.entity.get("bodyText"), [ENGLISH_PAGE]);
    // Without its document in the batch a page is judged on its own text.
    let together = analyze_each(&entities[1..2]);
    assert_eq!(languages_of(&together, "doc.2"), ["eng"]);
}

#[test]
fn a_document_without_its_pages_reads_its_own_text() {
    // Only the document, or pages of another document: its `indexText` is judged.
    let entities = paged_document();
    let mut other_page = entities[1].clone();
    other_page.pop("document");
    other_page.add("document", "another").unwrap();
    for batch in [
        vec![entities[0].clone()],
        vec![entities[0].clone(), other_page],
    ] {
        let together = analyze_each(&batch);
        let document = &together.iter().find(|(id, _)| id == "doc").unwrap().1;
        let mut languages = document.entity.get("detectedLanguage").to_vec();
        languages.sort();
        assert_eq!(languages, ["deu", "eng"]);
    }
}

#[test]
fn analyzable_entities_that_are_not_documents_get_no_mentions() {
    let mut note = Entity::with_id("Note", "n1").unwrap();
    note.add("description", "Meeting with Angela Merkel in Berlin.")
        .unwrap();
    let analysis = run(&note);
    assert_eq!(analysis.entity.get("peopleMentioned"), ["Angela Merkel"]);
    assert!(analysis.mentions.is_empty());
}

#[test]
fn declared_collection_languages_leave_language_alone() {
    let context = Context {
        collection_languages: vec!["deu".into()],
        ..Context::default()
    };
    let analysis = Analyzer::default()
        .analyze(&doc("PlainText", "abc", BODY), &context)
        .unwrap();
    assert_eq!(analysis.entity.get("detectedLanguage"), ["eng"]);
    assert!(analysis.entity.get("language").is_empty());
}

#[test]
fn phone_hints_come_from_the_document_then_the_collection() {
    let body = "Please call 030 1234567 before Friday.";
    assert!(
        run(&doc("PlainText", "d", body))
            .entity
            .get("phoneMentioned")
            .is_empty()
    );

    let mut german = doc("PlainText", "d", body);
    german.add("country", "de").unwrap();
    assert_eq!(run(&german).entity.get("phoneMentioned"), ["+49301234567"]);

    let context = Context {
        collection_countries: vec!["de".into()],
        ..Context::default()
    };
    let analysis = Analyzer::default()
        .analyze(&doc("PlainText", "d", body), &context)
        .unwrap();
    assert_eq!(analysis.entity.get("phoneMentioned"), ["+49301234567"]);

    // The document's own country wins over the collection's.
    let mut french = doc("PlainText", "d", body);
    french.add("country", "fr").unwrap();
    let analysis = Analyzer::default().analyze(&french, &context).unwrap();
    assert_eq!(analysis.entity.get("phoneMentioned"), ["+33301234567"]);
}

#[test]
fn identifiers_fill_properties_or_findings() {
    let body = "Pay to DE89 3704 0044 0532 0130 00 (not DE88 3704 0044 0532 0130 00), \
                BIC COBADEFFXXX, from 203.0.113.7, see https://example.com/x, \
                vessel IMO 9074729, wallet 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.";
    let analysis = run(&doc("PlainText", "d", body));
    let e = &analysis.entity;
    assert_eq!(e.get("ibanMentioned"), ["DE89370400440532013000"]);
    assert_eq!(e.get("ipMentioned"), ["203.0.113.7"]);
    assert_eq!(e.get("detectedCountry"), ["de"]);
    let kinds: Vec<String> = analysis
        .findings
        .iter()
        .map(|f| format!("{:?}={}", f.kind, f.value))
        .collect();
    assert_eq!(
        kinds,
        [
            "Iban=DE89370400440532013000",
            "Bic=COBADEFF",
            "Ip=203.0.113.7",
            "Url=https://example.com/x",
            "Imo=IMO9074729",
            "Bitcoin=1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
        ]
    );
    // Spans point into the analysed text.
    let iban = &analysis.findings[0];
    assert_eq!(&body[iban.span.clone()], "DE89 3704 0044 0532 0130 00");
}

#[test]
fn names_in_five_languages() {
    // Single sentences are too short for a confident language verdict (see the language
    // module's tests); names do not depend on it.
    let cases = [
        (
            "The lawyer Maria Gonzalez represented Deutsche Bank in London.",
            &["Maria Gonzalez"][..],
            &["Deutsche Bank"][..],
            "gb",
        ),
        (
            "Herr Thomas Müller überwies das Geld an die Siemens AG in München.",
            &["Thomas Müller"],
            &["Siemens AG"],
            "de",
        ),
        (
            "Jean-Pierre Dupont a cédé ses parts de Dupont Immobilier SARL à Lyon.",
            &["Jean-Pierre Dupont"],
            &["Dupont Immobilier SARL"],
            "fr",
        ),
        (
            "Carmen Fernández López firmó el contrato con el Banco Santander en Sevilla.",
            &["Carmen Fernández López"],
            &["Banco Santander"],
            "es",
        ),
        (
            "Иван Петрович Сидоров перевёл деньги ООО «Ромашка» в Москве.",
            &["Иван Петрович Сидоров"],
            &["ООО «Ромашка»"],
            "ru",
        ),
    ];
    for (text, people, companies, country) in cases {
        let analysis = run(&doc("PlainText", "d", text));
        let e = &analysis.entity;
        assert_eq!(e.get("peopleMentioned"), people, "{text}");
        assert_eq!(e.get("companiesMentioned"), companies, "{text}");
        assert_eq!(e.get("detectedCountry"), [country], "{text}");
    }
}

#[test]
fn long_texts_are_cut() {
    let filler = "lorem ipsum dolor sit amet ".repeat(100);
    let body = format!("{filler}\nAngela Merkel spoke.");
    let context = Context {
        max_text_chars: 1000,
        ..Context::default()
    };
    let analysis = Analyzer::default()
        .analyze(&doc("PlainText", "d", &body), &context)
        .unwrap();
    assert!(analysis.truncated);
    assert!(analysis.entity.get("peopleMentioned").is_empty());
    let analysis = run(&doc("PlainText", "d", &body));
    assert!(!analysis.truncated);
    assert_eq!(analysis.entity.get("peopleMentioned"), ["Angela Merkel"]);
}

#[test]
fn a_recogniser_can_be_swapped() {
    use analyze::names::{NameKind, NameSpan, Recognizer};
    struct Fixed;
    impl Recognizer for Fixed {
        fn recognize(&self, text: &str, languages: &[String]) -> Vec<NameSpan> {
            assert_eq!(languages, ["eng"]);
            let start = text.find("Smith").unwrap_or(0);
            vec![NameSpan {
                start,
                end: start + 5,
                name: "Agent Smith".into(),
                kind: NameKind::Organization,
            }]
        }
    }
    let analysis = Analyzer::new(Box::new(Fixed))
        .analyze(&doc("PlainText", "d", BODY), &Context::default())
        .unwrap();
    assert_eq!(analysis.entity.get("companiesMentioned"), ["Agent Smith"]);
    assert!(analysis.entity.get("peopleMentioned").is_empty());
    assert_eq!(
        mention_named(&analysis, "Agent Smith").get("detectedSchema"),
        ["Organization"]
    );
}

fn watchlist() -> std::sync::Arc<analyze::known::KnownNames> {
    use analyze::known::{KnownEntity, KnownNames};
    let yanukovych = KnownEntity {
        id: "Q2263.f00d".into(),
        collection_id: 3,
        schema: "Person".into(),
        caption: "Viktor Yanukovych".into(),
    };
    let bank = KnownEntity {
        id: "bank-1.beef".into(),
        collection_id: 3,
        schema: "Company".into(),
        caption: "Sberbank Rossii".into(),
    };
    std::sync::Arc::new(KnownNames::build([
        (
            yanukovych,
            vec!["Viktor Yanukovych".to_owned(), "Віктор Янукович".to_owned()],
        ),
        (bank, vec!["Sberbank Rossii".to_owned()]),
    ]))
}

fn run_known(entity: &Entity) -> Analysis {
    let context = Context {
        known: Some(watchlist()),
        ..Context::default()
    };
    Analyzer::default().analyze(entity, &context).unwrap()
}

#[test]
fn a_watchlist_name_in_latin_or_cyrillic_resolves_to_the_entity() {
    for body in [
        "The transfer was approved by viktor yanukovych in 2013 and booked at sberbank rossii.",
        "Перевод одобрил Виктор Янукович в 2013 году, деньги прошли через Сбербанк России.",
    ] {
        let analysis = run_known(&doc("PlainText", "doc-1", body));
        let resolved: Vec<&str> = analysis
            .mentions
            .iter()
            .flat_map(|m| m.get("resolved").iter().map(String::as_str))
            .collect();
        assert!(resolved.contains(&"Q2263.f00d"), "{body}: {resolved:?}");
        let person = analysis
            .mentions
            .iter()
            .find(|m| m.get("resolved") == ["Q2263.f00d"])
            .unwrap();
        assert_eq!(person.get("detectedSchema"), ["Person"]);
        assert_eq!(person.get("document"), ["doc-1"]);
        assert!(
            analysis
                .entity
                .get("peopleMentioned")
                .contains(&"Viktor Yanukovych".to_owned()),
            "{:?}",
            analysis.entity.get("peopleMentioned")
        );
    }
    // A company resolves with its schema.
    let latin = run_known(&doc("PlainText", "d", "paid via Sberbank Rossii"));
    assert!(
        latin
            .mentions
            .iter()
            .any(|m| m.get("resolved") == ["bank-1.beef"] && m.get("detectedSchema") == ["Company"])
    );
}

#[test]
fn without_a_watchlist_name_nothing_resolves_to_it() {
    let analysis = run_known(&doc(
        "PlainText",
        "doc-2",
        "Viktor Yanukov and Yanukovych alone are not the listed person.",
    ));
    assert!(
        analysis
            .mentions
            .iter()
            .all(|m| m.get("resolved") != ["Q2263.f00d"])
    );
}
