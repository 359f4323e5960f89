//! Shared pieces of the benchmark harnesses: a deterministic generator of FtM entities.
//!
//! The generator writes the kind of data the issues ask to measure: people, companies,
//! ownerships between them and documents with text, with raw values that need cleaning
//! (country names, dates in several forms, national phone numbers with a country hint).

use serde_json::{Value, json};

/// A small, fast, deterministic pseudo-random generator (xorshift64*), so that every run of
/// a benchmark sees the same data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const GIVEN: &[&str] = &[
    "Anna",
    "Boris",
    "Carlos",
    "Dmitri",
    "Elena",
    "Fatima",
    "Georg",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Mehmet",
    "Nadia",
    "Oleksandr",
    "Paula",
    "Qasim",
    "Rosa",
    "Sergei",
    "Tanja",
];
const FAMILY: &[&str] = &[
    "Müller", "Ivanov", "Garcia", "Smith", "Kowalski", "Nguyen", "Rossi", "Yilmaz", "Dubois",
    "Petrenko", "Okafor", "Schmidt", "Novak", "Silva", "Haddad", "Larsen",
];
const COUNTRIES: &[&str] = &[
    "Germany",
    "de",
    "RU",
    "Russian Federation",
    "gb",
    "United Kingdom",
    "France",
    "cy",
    "Cyprus",
    "pa",
    "Panama",
    "vg",
    "British Virgin Islands",
    "ua",
];
const FORMS: &[&str] = &[
    "Ltd",
    "LLC",
    "GmbH",
    "S.A.",
    "Holdings Limited",
    "ООО",
    "Inc.",
];
const WORDS: &[&str] = &[
    "trading",
    "capital",
    "shipping",
    "energy",
    "invest",
    "global",
    "offshore",
    "consulting",
    "nordic",
    "atlantic",
    "logistics",
    "mining",
    "construction",
    "media",
    "pharma",
    "estate",
];
const TEXT: &[&str] = &[
    "the",
    "company",
    "transferred",
    "funds",
    "to",
    "an",
    "account",
    "held",
    "in",
    "a",
    "bank",
    "registered",
    "director",
    "shareholder",
    "contract",
    "payment",
    "invoice",
    "signed",
    "by",
    "beneficial",
    "owner",
    "meeting",
    "minutes",
    "of",
    "board",
    "loan",
    "agreement",
    "property",
];

/// The `i`-th generated entity as FtM JSON (raw, uncleaned values).
pub fn entity(rng: &mut Rng, i: usize) -> Value {
    match i % 10 {
        0..=3 => person(rng, i),
        4..=6 => company(rng, i),
        7 | 8 => ownership(rng, i),
        _ => document(rng, i),
    }
}

fn person(rng: &mut Rng, i: usize) -> Value {
    let name = format!("{} {}", rng.pick(GIVEN), rng.pick(FAMILY));
    let birth = match rng.below(3) {
        0 => format!(
            "19{:02}-{:02}-{:02}",
            40 + rng.below(60),
            1 + rng.below(12),
            1 + rng.below(28)
        ),
        1 => format!("19{:02}", 40 + rng.below(60)),
        _ => format!("19{:02}-{:02}", 40 + rng.below(60), 1 + rng.below(12)),
    };
    json!({
        "id": format!("p{i}"),
        "schema": "Person",
        "properties": {
            "name": [name],
            "birthDate": [birth],
            "nationality": [rng.pick(COUNTRIES)],
            "email": [format!("person{i}@example.com")],
            "phone": [format!("+49 30 {:07}", rng.below(10_000_000))],
        }
    })
}

fn company(rng: &mut Rng, i: usize) -> Value {
    let name = format!(
        "{} {} {}",
        capitalise(rng.pick(WORDS)),
        capitalise(rng.pick(WORDS)),
        rng.pick(FORMS)
    );
    json!({
        "id": format!("c{i}"),
        "schema": "Company",
        "properties": {
            "name": [name],
            "jurisdiction": [rng.pick(COUNTRIES)],
            "registrationNumber": [format!("HRB {}", 10_000 + rng.below(90_000))],
            "incorporationDate": [format!("20{:02}-{:02}-{:02}", rng.below(24), 1 + rng.below(12), 1 + rng.below(28))],
            "address": [format!("{} Street {}, City", capitalise(rng.pick(WORDS)), rng.below(200))],
        }
    })
}

fn ownership(rng: &mut Rng, i: usize) -> Value {
    let owner = i - 1 - rng.below(i.clamp(1, 50).saturating_sub(1)).min(i - 1);
    json!({
        "id": format!("o{i}"),
        "schema": "Ownership",
        "properties": {
            "owner": [format!("p{}", owner / 10 * 10)],
            "asset": [format!("c{}", (i / 10) * 10 + 4)],
            "percentage": [format!("{}", 1 + rng.below(100))],
            "startDate": [format!("20{:02}", rng.below(24))],
        }
    })
}

fn document(rng: &mut Rng, i: usize) -> Value {
    let words: Vec<&str> = (0..200).map(|_| rng.pick(TEXT)).collect();
    json!({
        "id": format!("d{i}"),
        "schema": "PlainText",
        "properties": {
            "fileName": [format!("memo-{i}.txt")],
            "title": [format!("Memo {i}")],
            "bodyText": [words.join(" ")],
            "mimeType": ["text/plain"],
        }
    })
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
