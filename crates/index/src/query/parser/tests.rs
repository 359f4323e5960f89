use std::ops::Bound;

use proptest::prelude::*;

use super::*;

fn term(t: &str) -> Node {
    leaf(None, Value::Term(t.into()))
}

fn fterm(f: &str, t: &str) -> Node {
    leaf(Field::parse(f), Value::Term(t.into()))
}

fn not(n: Node) -> Node {
    Node::Not(Box::new(n))
}

fn err(q: &str) -> SyntaxError {
    match parse(q) {
        Err(e) => e,
        Ok(n) => panic!("{q:?} parsed as {n:?}"),
    }
}

#[test]
fn empty_is_match_all() {
    assert_eq!(parse(""), Ok(Node::All));
    assert_eq!(parse("   \t"), Ok(Node::All));
    assert_eq!(parse("*"), Ok(Node::All));
    assert_eq!(parse("*:*"), Ok(Node::All));
}

#[test]
fn juxtaposition_is_and() {
    assert_eq!(parse("a b"), Ok(Node::And(vec![term("a"), term("b")])));
    assert_eq!(parse("a AND b"), Ok(Node::And(vec![term("a"), term("b")])));
    assert_eq!(parse("a && b"), Ok(Node::And(vec![term("a"), term("b")])));
}

#[test]
fn or_binds_looser_than_and() {
    assert_eq!(
        parse("a b OR c"),
        Ok(Node::Or(vec![
            Node::And(vec![term("a"), term("b")]),
            term("c")
        ]))
    );
    assert_eq!(parse("a || c"), Ok(Node::Or(vec![term("a"), term("c")])));
    // Lower-case words are terms, not operators.
    assert_eq!(
        parse("a or c"),
        Ok(Node::And(vec![term("a"), term("or"), term("c")]))
    );
}

#[test]
fn negation_and_required() {
    assert_eq!(
        parse("a -b"),
        Ok(Node::And(vec![term("a"), not(term("b"))]))
    );
    assert_eq!(parse("+a +b"), Ok(Node::And(vec![term("a"), term("b")])));
    assert_eq!(parse("NOT a"), Ok(not(term("a"))));
    assert_eq!(parse("!a"), Ok(not(term("a"))));
    assert_eq!(
        parse("a AND NOT b"),
        Ok(Node::And(vec![term("a"), not(term("b"))]))
    );
    // A hyphen inside a word is part of it.
    assert_eq!(parse("jean-luc"), Ok(term("jean-luc")));
    // A lone sign is ignored.
    assert_eq!(
        parse("smith - jones"),
        Ok(Node::And(vec![term("smith"), term("jones")]))
    );
}

#[test]
fn groups() {
    assert_eq!(
        parse("(a OR b) c"),
        Ok(Node::And(vec![
            Node::Or(vec![term("a"), term("b")]),
            term("c")
        ]))
    );
    assert_eq!(
        parse("-(a b)"),
        Ok(not(Node::And(vec![term("a"), term("b")])))
    );
    assert_eq!(
        parse("countries:(ru OR ua)"),
        Ok(Node::Or(vec![
            fterm("countries", "ru"),
            fterm("countries", "ua")
        ]))
    );
    assert_eq!(parse("(a)^2"), Ok(Node::Boost(Box::new(term("a")), 2.0)));
}

#[test]
fn phrases_and_proximity() {
    assert_eq!(
        parse("\"vladimir putin\""),
        Ok(leaf(
            None,
            Value::Phrase {
                text: "vladimir putin".into(),
                slop: 0
            }
        ))
    );
    assert_eq!(
        parse("\"a b\"~10"),
        Ok(leaf(
            None,
            Value::Phrase {
                text: "a b".into(),
                slop: 10
            }
        ))
    );
    assert_eq!(
        parse(r#""say \"hi\"""#),
        Ok(leaf(
            None,
            Value::Phrase {
                text: "say \"hi\"".into(),
                slop: 0
            }
        ))
    );
}

#[test]
fn fuzzy_terms() {
    assert_eq!(
        parse("putin~"),
        Ok(leaf(
            None,
            Value::Fuzzy {
                text: "putin".into(),
                fuzziness: Fuzziness::Auto
            }
        ))
    );
    assert_eq!(
        parse("putin~1"),
        Ok(leaf(
            None,
            Value::Fuzzy {
                text: "putin".into(),
                fuzziness: Fuzziness::Edits(1)
            }
        ))
    );
    assert_eq!(
        parse("putin~7"),
        Ok(leaf(
            None,
            Value::Fuzzy {
                text: "putin".into(),
                fuzziness: Fuzziness::Edits(2)
            }
        ))
    );
    assert_eq!(
        parse("putin~0.8"),
        Ok(leaf(
            None,
            Value::Fuzzy {
                text: "putin".into(),
                fuzziness: Fuzziness::Auto
            }
        ))
    );
    assert_eq!(Fuzziness::Auto.edits(2), 0);
    assert_eq!(Fuzziness::Auto.edits(5), 1);
    assert_eq!(Fuzziness::Auto.edits(6), 2);
}

#[test]
fn wildcards_and_regex() {
    assert_eq!(
        parse("vlad*"),
        Ok(leaf(
            None,
            Value::Wildcard(vec![
                WildcardPart::Literal("vlad".into()),
                WildcardPart::AnyChars
            ])
        ))
    );
    assert_eq!(
        parse("p?tin"),
        Ok(leaf(
            None,
            Value::Wildcard(vec![
                WildcardPart::Literal("p".into()),
                WildcardPart::AnyChar,
                WildcardPart::Literal("tin".into())
            ])
        ))
    );
    // An escaped star is a literal.
    assert_eq!(parse(r"a\*b"), Ok(term("a*b")));
    assert_eq!(
        parse("/pu.in/"),
        Ok(leaf(None, Value::Regex("pu.in".into())))
    );
    assert_eq!(parse("and/or"), Ok(term("and/or")));
}

#[test]
fn field_queries() {
    assert_eq!(
        parse("properties.email:x@y.org"),
        Ok(fterm("properties.email", "x@y.org"))
    );
    assert_eq!(parse("schema:Company"), Ok(fterm("schema", "Company")));
    assert_eq!(parse("collection_id:12"), Ok(fterm("collection_id", "12")));
    assert_eq!(parse("countries:ru"), Ok(fterm("countries", "ru")));
    assert_eq!(
        parse("names:\"vladimir putin\""),
        Ok(leaf(
            Field::parse("names"),
            Value::Phrase {
                text: "vladimir putin".into(),
                slop: 0
            }
        ))
    );
    assert_eq!(
        parse("properties.email:*"),
        Ok(leaf(Field::parse("properties.email"), Value::Exists))
    );
    assert_eq!(
        parse("_exists_:properties.email"),
        Ok(leaf(Field::parse("properties.email"), Value::Exists))
    );
    // A value may contain colons.
    assert_eq!(
        parse("properties.website:http://example.org"),
        Ok(fterm("properties.website", "http://example.org"))
    );
}

#[test]
fn unknown_field_names_are_text() {
    assert_eq!(parse("http://example.org"), Ok(term("http://example.org")));
    assert_eq!(parse("foo:bar"), Ok(term("foo:bar")));
}

#[test]
fn ranges() {
    let range = |f: &str, lower, upper| leaf(Field::parse(f), Value::Range { lower, upper });
    assert_eq!(
        parse("dates:[2010-01-01 TO 2015-12-31]"),
        Ok(range(
            "dates",
            Bound::Included("2010-01-01".into()),
            Bound::Included("2015-12-31".into())
        ))
    );
    assert_eq!(
        parse("numeric.amount:{10 TO *]"),
        Ok(range(
            "numeric.amount",
            Bound::Excluded("10".into()),
            Bound::Unbounded
        ))
    );
    assert_eq!(
        parse("properties.incorporationDate:>=2010-07-01"),
        Ok(range(
            "properties.incorporationDate",
            Bound::Included("2010-07-01".into()),
            Bound::Unbounded
        ))
    );
    assert_eq!(
        parse("numeric.rowCount:>99"),
        Ok(range(
            "numeric.rowCount",
            Bound::Excluded("99".into()),
            Bound::Unbounded
        ))
    );
    assert_eq!(
        parse("numeric.rowCount:<=5"),
        Ok(range(
            "numeric.rowCount",
            Bound::Unbounded,
            Bound::Included("5".into())
        ))
    );
    assert_eq!(
        parse("numeric.rowCount:<5"),
        Ok(range(
            "numeric.rowCount",
            Bound::Unbounded,
            Bound::Excluded("5".into())
        ))
    );
}

#[test]
fn boosts() {
    assert_eq!(parse("a^3"), Ok(Node::Boost(Box::new(term("a")), 3.0)));
    assert_eq!(
        parse("\"a b\"^0.5"),
        Ok(Node::Boost(
            Box::new(leaf(
                None,
                Value::Phrase {
                    text: "a b".into(),
                    slop: 0
                }
            )),
            0.5
        ))
    );
}

#[test]
fn nfc_normalises_the_query() {
    assert_eq!(parse("Mu\u{308}ller"), Ok(term("Müller")));
}

#[test]
fn syntax_errors_have_positions() {
    let e = err("\"unclosed");
    assert_eq!(e.position, 0);
    assert!(e.message.contains("quotation"), "{e}");

    let e = err("a AND");
    assert_eq!(e.position, 2);
    assert!(e.message.contains("AND"), "{e}");

    let e = err("(a b");
    assert_eq!(e.position, 0);
    assert!(e.message.contains("parenthesis"), "{e}");

    assert_eq!(err("a b)").position, 3);
    assert_eq!(err("OR a").position, 0);
    assert_eq!(err("a OR").position, 2);
    assert_eq!(err("NOT").position, 0);
    assert_eq!(err("()").position, 0);
    assert_eq!(err("schema:").position, 0);
    assert_eq!(err("schema: Company").position, 0);
    assert_eq!(err("dates:[2010 TO").position, 14);
    assert_eq!(err("dates:[2010 2011]").position, 12);
    assert_eq!(err("a^x").position, 2);
    assert_eq!(err("a~x").position, 2);
    assert_eq!(err("\"a b\"~x").position, 6);
    assert_eq!(err("[a TO b]").position, 0);
    assert_eq!(err("/unclosed").position, 0);
    assert_eq!(err("/a(/").position, 0);
    assert_eq!(err("a ^").position, 2);
    assert_eq!(err("_exists_:nonsense").position, 0);
    // A range cut short by a trailing escape: the error is at the end, not past it.
    assert_eq!(err("schema:{TO\\").position, 11);
}

#[test]
fn deep_nesting_is_refused() {
    let q = format!("{}a{}", "(".repeat(100), ")".repeat(100));
    assert!(err(&q).message.contains("nested"));
    let q = "NOT ".repeat(100) + "a";
    assert!(err(&q).message.contains("nested"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_input_never_panics(q in "\\PC{0,60}") {
        let _ = parse(&q);
    }

    #[test]
    fn random_syntax_never_panics(
        q in proptest::collection::vec(
            prop_oneof![
                Just("a"), Just("b"), Just(" "), Just("("), Just(")"), Just("\""), Just("~"),
                Just("^"), Just("2"), Just(":"), Just("["), Just("]"), Just("{"), Just("}"),
                Just("TO"), Just("AND"), Just("OR"), Just("NOT"), Just("+"), Just("-"),
                Just("!"), Just("*"), Just("?"), Just("/"), Just("\\"), Just("schema"),
                Just("dates"), Just(">="), Just("<"), Just("&&"), Just("||"), Just("_exists_"),
            ],
            0..24,
        )
    ) {
        let q: String = q.concat();
        if let Err(e) = parse(&q) {
            prop_assert!(e.position <= q.chars().count());
            prop_assert!(!e.message.is_empty());
        }
    }
}
