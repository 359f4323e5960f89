//! Aleph's `q` syntax against a small index: which entities each construct finds.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use common::*;
use index::SearchQuery;

async fn check(b: Backend, cases: &[(&str, &[&str])]) {
    let index = fixture(&b).await;
    for (q, expected) in cases {
        let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(matching(&index, q).await, expected, "q={q}");
    }
}

const PUTIN: &[&str] = &["c2", "d3", "p1", "p2"];
const ALL: &[&str] = &[
    "c1", "c2", "c3", "d1", "d3", "o1", "p1", "p2", "p3", "p4", "p5", "pay1", "pay2",
];

async fn terms_and_the_default_and(b: Backend) {
    check(
        b,
        &[
            ("putin", PUTIN),
            ("PUTIN", PUTIN),
            ("vladimir putin", &["d3", "p1", "p2"]),
            ("vladimir AND putin", &["d3", "p1", "p2"]),
            ("acme bribe", &["d1"]),
            ("nobody", &[]),
            ("", ALL),
            ("*", ALL),
            ("*:*", ALL),
            // Only punctuation: nothing to search for, nothing found.
            ("...", &[]),
            // Words without a field before the colon are text.
            ("acme ...", &["c1", "d1"]),
            ("http://example.org", &[]),
        ],
    )
    .await;
}

async fn transliteration_and_umlauts(b: Backend) {
    check(
        b,
        &[
            ("Путин", PUTIN),
            ("Владимир", &["d3", "p1", "p2"]),
            ("Müller", &["p3", "p4", "p5"]),
            ("Mueller", &["p3", "p4"]),
            ("Muller", &["p3", "p5"]),
            ("Jurgen", &["p3"]),
            ("Juergen", &["p3"]),
            ("\"Jürgen Müller\"", &["p3"]),
            ("\"juergen mueller\"", &["p3"]),
        ],
    )
    .await;
}

async fn boolean_operators(b: Backend) {
    check(
        b,
        &[
            ("putin -shipping", &["d3", "p1", "p2"]),
            ("putin AND NOT shipping", &["d3", "p1", "p2"]),
            ("putin !shipping", &["d3", "p1", "p2"]),
            ("acme OR zanzibar", &["c1", "c3", "d1"]),
            ("acme || zanzibar", &["c1", "c3", "d1"]),
            ("+acme +bribe", &["d1"]),
            ("acme bribe OR zanzibar", &["c3", "d1"]),
            ("(acme OR zanzibar) holdings", &["c1", "d1"]),
            (
                "-putin",
                &["c1", "c3", "d1", "o1", "p3", "p4", "p5", "pay1", "pay2"],
            ),
            (
                "NOT (putin OR acme OR zanzibar OR bank)",
                &["o1", "p3", "p4", "p5", "pay1", "pay2"],
            ),
            ("bribe^2 OR zurich", &["d1", "d3"]),
        ],
    )
    .await;
}

async fn phrases_and_proximity(b: Backend) {
    check(
        b,
        &[
            ("\"vladimir putin\"", &["d3", "p1", "p2"]),
            ("\"putin vladimir\"", &[]),
            ("\"acme bribe\"", &[]),
            ("\"acme bribe\"~2", &[]),
            ("\"acme bribe\"~3", &["d1"]),
            ("\"acme\"", &["c1", "d1"]),
        ],
    )
    .await;
}

async fn fuzzy_wildcard_and_regex(b: Backend) {
    check(
        b,
        &[
            ("putn~1", PUTIN),
            ("putn~0", &[]),
            ("zanzibr~", &["c3"]),
            ("zanz*", &["c3"]),
            ("p?tin", PUTIN),
            ("*ibar", &["c3"]),
            ("/zan.*bar/", &["c3"]),
            ("properties.email:*@acme.example", &["c1"]),
            ("properties.email:info@acme.exampl~1", &["c1"]),
            ("countries:r?", &["p1", "p2"]),
            ("properties.name:/Acme.*/", &["c1"]),
        ],
    )
    .await;
}

async fn field_queries(b: Backend) {
    check(
        b,
        &[
            ("schema:Company", &["c1", "c2", "c3"]),
            ("schema:company", &[]),
            ("schemata:Document", &["d1", "d3"]),
            (
                "schemata:Legal*",
                &["c1", "c2", "c3", "p1", "p2", "p3", "p4", "p5"],
            ),
            ("schemata:Intervl~1", &["o1", "pay1", "pay2"]),
            ("putin -schemata:Document", &["c2", "p1", "p2"]),
            (
                "schemata:LegalEntity",
                &["c1", "c2", "c3", "p1", "p2", "p3", "p4", "p5"],
            ),
            ("countries:RU", &["p1", "p2"]),
            ("countries:(de OR fr)", &["p3", "p4", "p5"]),
            ("collection_id:2", &["c2", "o1", "p2"]),
            ("collection_id:abc", &[]),
            ("properties.email:info@acme.example", &["c1"]),
            ("properties.email:*", &["c1"]),
            ("_exists_:properties.birthDate", &["p1", "p3"]),
            ("names:\"Vladimir Putin\"", &["p1", "p2"]),
            ("names:putin", &["c2", "p1", "p2"]),
            ("text:minister", &["d1"]),
            ("text:putin", PUTIN),
            ("properties.bodyText:minister", &["d1"]),
            ("putin schema:Person", &["p1", "p2"]),
            ("mutable:false schema:Ownership", &["o1"]),
            ("caption:\"Bank of Zanzibar\"", &["c3"]),
            ("id:p1", &["p1"]),
        ],
    )
    .await;
}

async fn ranges(b: Backend) {
    check(
        b,
        &[
            ("properties.incorporationDate:>=2010-07-01", &["c1", "c3"]),
            ("properties.incorporationDate:[2005 TO 2010]", &["c1", "c2"]),
            ("properties.incorporationDate:{2005 TO 2010}", &[]),
            ("properties.incorporationDate:<2010", &["c2"]),
            ("dates:[* TO 2000]", &["p1", "p3"]),
            ("numeric.dates:>2014", &["c3"]),
            ("numeric.amount:>1000", &["pay1"]),
            ("numeric.amount:<=200", &["pay2"]),
            ("numeric.amount:[200 TO 1500]", &["pay1", "pay2"]),
            ("numeric.amount:>lots", &[]),
            ("created_at:2024-01-01", ALL),
            ("created_at:>2024-01-01", &[]),
            ("collection_id:[2 TO 3]", &["c2", "d3", "o1", "p2", "p5"]),
        ],
    )
    .await;
}

async fn prefix_searches_names(b: Backend) {
    let index = fixture(&b).await;
    let r = run(&index, &[("prefix", "vlad")]).await;
    assert_eq!(sorted(ids(&r)), ["p1", "p2"]);
    let r = run(&index, &[("prefix", "vladimir pu")]).await;
    assert_eq!(sorted(ids(&r)), ["p1", "p2"]);
    let r = run(&index, &[("prefix", "bank of z"), ("q", "zanzibar")]).await;
    assert_eq!(ids(&r), ["c3"]);
}

async fn relevance_puts_names_first(b: Backend) {
    let index = fixture(&b).await;
    let r = run(&index, &[("q", "putin")]).await;
    // The body-text mention ranks below every name match.
    assert_eq!(r.hits.last().map(|h| h.id.as_str()), Some("d3"));
    assert!(r.hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn syntax_errors_are_errors_not_empty_results() {
    for q in [
        "(putin",
        "putin)",
        "\"putin",
        "putin AND",
        "OR putin",
        "schema:",
        "a^x",
        "dates:[2010 TO",
    ] {
        assert!(SearchQuery::parse(q).is_err(), "{q} should not parse");
    }
}

/// A phrase that repeats a word (`1-1` is the phrase "1 1"), negated or not: Tantivy's
/// phrase scorer asserted in debug builds on a repeated term once a document held it.
async fn phrases_that_repeat_a_word(b: Backend) {
    let index = empty_index(&b).await;
    let text = |id: &str, body: &str| doc(1, entity("PlainText", id, &[("bodyText", body)]));
    index
        .index(vec![
            text("t1", "item 1-1 of the list"),
            text("t2", "item 1 and 2"),
            text("t3", "nothing numbered"),
            text("t4", "the same same same word"),
        ])
        .await
        .unwrap();
    index.commit().await.unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("1-1", &["t1"]),
        ("-1-1", &["t2", "t3", "t4"]),
        ("-1-1-1", &["t1", "t2", "t3", "t4"]),
        ("\"1 1\"", &["t1"]),
        ("NOT \"1 1\"", &["t2", "t3", "t4"]),
        ("item -1-1", &["t2"]),
        ("\"same same\"", &["t4"]),
        ("\"same same same\"", &["t4"]),
        ("-\"same same same same\"", &["t1", "t2", "t3", "t4"]),
    ];
    for (q, expected) in cases {
        assert_eq!(matching(&index, q).await, *expected, "q={q}");
    }
}

backend_tests!(
    phrases_that_repeat_a_word,
    terms_and_the_default_and,
    transliteration_and_umlauts,
    boolean_operators,
    phrases_and_proximity,
    fuzzy_wildcard_and_regex,
    field_queries,
    ranges,
    prefix_searches_names,
    relevance_puts_names_first,
);
