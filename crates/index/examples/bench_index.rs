//! Indexing throughput and query latency of the Tantivy backend on generated data, and
//! with `--opensearch URL` of the OpenSearch backend too, side by side in the same run.
//!
//! ```text
//! cargo run --release -p index --example bench_index -- [--entities N] [--dir PATH] [--reps R]
//!     [--opensearch http://127.0.0.1:59200]
//! ```
//!
//! Builds an index of `N` (default 1,000,000) generated entities — Persons, Companies and
//! Ownerships (small), then Documents with a few kilobytes of text — in batches with one
//! commit per batch, and prints entities per second for each phase. Then it runs a fixed mix
//! of 23 queries (terms, phrases, fuzzy, wildcards, regexes, filters, facets, highlights, sorts, deep
//! pages), `R` times each after a warm-up, and prints p50/p95 latency over all runs, the
//! slowest queries, and the index size per entity.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use index::{
    IndexDoc, OpenSearchIndex, OpenSearchOptions, ReadScope, SearchIndex, SearchQuery,
    TantivyIndex, TantivyOptions,
};

/// A small deterministic generator (SplitMix64), so every run indexes the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// Skewed choice: low indexes are much more frequent (names are not uniform).
    fn pick_skewed<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let a = self.below(items.len());
        let b = self.below(items.len());
        items[a.min(b)]
    }
}

const FIRST: &[&str] = &[
    "John",
    "Anna",
    "Maria",
    "David",
    "Olga",
    "Vladimir",
    "Jürgen",
    "Sophie",
    "Ahmed",
    "Li",
    "Elena",
    "Peter",
    "Fatima",
    "Carlos",
    "Ivan",
    "Chen",
    "Sarah",
    "Michael",
    "Aisha",
    "Pedro",
    "Natalia",
    "Hans",
    "Yuki",
    "Omar",
    "Grace",
    "Igor",
    "Lucia",
    "Tomas",
    "Nadia",
    "Marco",
    "Владимир",
    "Ольга",
    "Сергей",
    "Zoltan",
    "Agnieszka",
    "Björn",
    "Chloé",
    "Dmitri",
    "Emeka",
    "Farid",
    "Giulia",
    "Hiroshi",
    "Ingrid",
    "Jamal",
    "Katarzyna",
    "Lars",
    "Mehmet",
    "Nikolai",
];
const LAST: &[&str] = &[
    "Smith",
    "Müller",
    "Ivanov",
    "Garcia",
    "Wang",
    "Kowalski",
    "Rossi",
    "Novak",
    "Schmidt",
    "Petrov",
    "Johnson",
    "Fernandez",
    "Kim",
    "Nguyen",
    "Dubois",
    "Jansen",
    "Horvat",
    "Popescu",
    "Yilmaz",
    "Andersson",
    "Putin",
    "Papadopoulos",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Schulz",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Путин",
    "Иванов",
    "Смирнов",
    "Kuznetsov",
    "Sokolov",
    "Lebedev",
    "Morozov",
    "Novikov",
    "Okafor",
    "Mensah",
    "Haddad",
    "Cohen",
    "Levi",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Silva",
    "Santos",
    "Oliveira",
    "Costa",
    "Pereira",
    "Lopez",
    "Martinez",
    "Gonzalez",
    "Perez",
];
const COMPANY_A: &[&str] = &[
    "Global", "Northern", "Atlantic", "Baltic", "Eastern", "Pacific", "Alpine", "Golden", "Silver",
    "Royal", "United", "First", "Central", "Delta", "Omega", "Sigma", "Apex", "Vertex", "Nova",
    "Stellar", "Acme", "Zenith", "Summit", "Harbor", "Crown", "Liberty",
];
const COMPANY_B: &[&str] = &[
    "Trading",
    "Holdings",
    "Shipping",
    "Energy",
    "Mining",
    "Capital",
    "Investments",
    "Logistics",
    "Consulting",
    "Construction",
    "Pharma",
    "Media",
    "Minerals",
    "Petroleum",
    "Finance",
    "Ventures",
    "Partners",
    "Industries",
    "Resources",
    "Properties",
    "Estates",
    "Marine",
];
const COMPANY_C: &[&str] = &[
    "Ltd", "LLC", "GmbH", "SA", "Limited", "Inc", "AG", "BV", "OOO", "AS",
];
const COUNTRIES: &[&str] = &[
    "gb", "cy", "ru", "de", "us", "vg", "pa", "ch", "lu", "nl", "fr", "it", "es", "ua", "kz", "ae",
    "hk", "sg", "ky", "mt", "lv", "ee", "lt", "pl", "cz", "at", "be", "ie", "je", "gg",
];
const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "for",
    "was",
    "on",
    "that",
    "with",
    "by",
    "is",
    "as",
    "contract",
    "payment",
    "minister",
    "company",
    "account",
    "transfer",
    "bank",
    "agreement",
    "shares",
    "director",
    "offshore",
    "invoice",
    "loan",
    "fund",
    "tender",
    "procurement",
    "bribery",
    "corruption",
    "investigation",
    "report",
    "meeting",
    "million",
    "board",
    "subsidiary",
    "beneficial",
    "owner",
    "trust",
    "nominee",
    "registered",
    "address",
    "office",
    "project",
    "construction",
    "license",
    "permit",
    "ministry",
    "official",
    "election",
    "campaign",
    "donation",
    "property",
    "villa",
    "yacht",
    "aircraft",
    "consultancy",
    "fee",
    "commission",
    "services",
    "supply",
    "equipment",
    "oil",
    "gas",
    "pipeline",
    "mine",
    "port",
    "customs",
    "tax",
    "audit",
    "court",
    "judge",
    "lawyer",
    "notary",
    "signed",
    "approved",
    "transferred",
    "received",
    "paid",
    "declared",
    "hidden",
    "secret",
    "confidential",
    "email",
    "letter",
    "memo",
    "minutes",
    "annual",
    "quarterly",
    "statement",
    "balance",
    "loss",
    "profit",
];

fn person(rng: &mut Rng, n: usize) -> ftm::Entity {
    let mut e = ftm::Entity::with_id("Person", format!("person-{n}")).unwrap();
    let name = format!("{} {}", rng.pick_skewed(FIRST), rng.pick_skewed(LAST));
    e.add_cleaned("name", name).unwrap();
    e.add_cleaned("nationality", rng.pick_skewed(COUNTRIES))
        .unwrap();
    if rng.below(3) > 0 {
        let date = format!(
            "{}-{:02}-{:02}",
            1940 + rng.below(70),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        e.add_cleaned("birthDate", date).unwrap();
    }
    if rng.below(4) == 0 {
        e.add_cleaned("email", format!("user{n}@example.org"))
            .unwrap();
    }
    e
}

fn company(rng: &mut Rng, n: usize) -> ftm::Entity {
    let mut e = ftm::Entity::with_id("Company", format!("company-{n}")).unwrap();
    let name = format!(
        "{} {} {}",
        rng.pick_skewed(COMPANY_A),
        rng.pick(COMPANY_B),
        rng.pick(COMPANY_C)
    );
    e.add_cleaned("name", name).unwrap();
    e.add_cleaned("jurisdiction", rng.pick_skewed(COUNTRIES))
        .unwrap();
    e.add_cleaned(
        "registrationNumber",
        format!("REG{:08}", rng.below(100_000_000)),
    )
    .unwrap();
    if rng.below(2) == 0 {
        let date = format!(
            "{}-{:02}-{:02}",
            1980 + rng.below(44),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        e.add_cleaned("incorporationDate", date).unwrap();
    }
    e
}

fn ownership(rng: &mut Rng, n: usize, people: usize, companies: usize) -> ftm::Entity {
    let mut e = ftm::Entity::with_id("Ownership", format!("own-{n}")).unwrap();
    e.add_cleaned("owner", format!("person-{}", rng.below(people.max(1))))
        .unwrap();
    e.add_cleaned("asset", format!("company-{}", rng.below(companies.max(1))))
        .unwrap();
    e.add_cleaned("percentage", format!("{}", 1 + rng.below(100)))
        .unwrap();
    e.add_cleaned("startDate", format!("{}", 1990 + rng.below(34)))
        .unwrap();
    e
}

fn document(rng: &mut Rng, n: usize) -> ftm::Entity {
    let mut e = ftm::Entity::with_id("PlainText", format!("doc-{n}")).unwrap();
    e.add_cleaned("title", format!("Report {n} on {}", rng.pick(WORDS)))
        .unwrap();
    e.add_cleaned("fileName", format!("report-{n}.txt"))
        .unwrap();
    let words = 200 + rng.below(600);
    let mut body = String::with_capacity(words * 8);
    for i in 0..words {
        if i % 40 == 7 {
            body.push_str(&format!(
                "{} {} ",
                rng.pick_skewed(FIRST),
                rng.pick_skewed(LAST)
            ));
        } else {
            body.push_str(rng.pick_skewed(WORDS));
            body.push(' ');
        }
    }
    e.add_cleaned("bodyText", body).unwrap();
    e.add_cleaned(
        "date",
        format!("{}-{:02}", 2000 + rng.below(24), 1 + rng.below(12)),
    )
    .unwrap();
    e
}

fn index_doc(entity: ftm::Entity, n: usize) -> IndexDoc {
    let mut doc = IndexDoc::new(entity, 1 + (n % 20) as i64);
    doc.origin = vec!["bench".to_string()];
    doc
}

struct Args {
    entities: usize,
    /// Query an existing index in `dir` instead of building one.
    reuse: bool,
    /// Run only the queries whose name contains this.
    only: Option<String>,
    dir: Option<PathBuf>,
    reps: usize,
    batch: usize,
    /// Also run everything on the OpenSearch cluster at this URL.
    opensearch: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        entities: 1_000_000,
        reuse: false,
        only: None,
        dir: None,
        reps: 20,
        batch: 100_000,
        opensearch: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--reuse" {
            args.reuse = true;
            continue;
        }
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--entities" => args.entities = value.parse().expect("--entities N"),
            "--dir" => args.dir = Some(PathBuf::from(value)),
            "--reps" => args.reps = value.parse().expect("--reps R"),
            "--batch" => args.batch = value.parse().expect("--batch B"),
            "--only" => args.only = Some(value),
            "--opensearch" => args.opensearch = Some(value),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// CPU time used by this process so far (user + system), from `/proc/self/stat`; zero where
/// that is not available.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; the
    // kernel counts them in clock ticks of 1/100 s.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Indexes `total` generated entities made by `make`, in batches, committing each one.
async fn build(
    index: &dyn SearchIndex,
    total: usize,
    batch: usize,
    mut make: impl FnMut(usize) -> IndexDoc,
) -> (Duration, Duration, Duration) {
    let mut generating = Duration::ZERO;
    let mut indexing = Duration::ZERO;
    let mut cpu = Duration::ZERO;
    let mut n = 0;
    while n < total {
        let size = batch.min(total - n);
        let t = Instant::now();
        let docs: Vec<IndexDoc> = (n..n + size).map(&mut make).collect();
        generating += t.elapsed();
        let t = Instant::now();
        let c = cpu_time();
        index.index(docs).await.unwrap();
        index.commit().await.unwrap();
        indexing += t.elapsed();
        cpu += cpu_time().saturating_sub(c);
        n += size;
    }
    (generating, indexing, cpu)
}

/// The mix. Every query hits both on this harness's own corpus and on the 1M file of
/// `bench/` (`gen_entities`, the `aleph load-entities` benchmark): names, text words and
/// countries are taken from what both generators share.
fn queries() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        ("term", vec![("q", "smith")]),
        ("term, transliterated", vec![("q", "Иванов")]),
        ("umlaut", vec![("q", "mueller")]),
        ("phrase", vec![("q", "\"anna smith\"")]),
        ("fuzzy", vec![("q", "smyth~1")]),
        ("wildcard", vec![("q", "schm*")]),
        // These three walk the whole term dictionary (sstable blocks since e7f9847).
        ("fuzzy, 2 edits", vec![("q", "smiht~2")]),
        ("wildcard, leading", vec![("q", "*mith")]),
        ("regex", vec![("q", "/sm.th/")]),
        ("two terms", vec![("q", "atlantic shipping")]),
        ("or + not", vec![("q", "(ivanov OR garcia) -anna")]),
        (
            "filters",
            vec![("filter:schema", "Company"), ("filter:countries", "cy")],
        ),
        (
            "term + 3 facets",
            vec![
                ("q", "smith"),
                ("facet", "countries"),
                ("facet", "schema"),
                ("facet", "collection_id"),
            ],
        ),
        (
            "all + 3 facets",
            vec![
                ("filter:schemata", "Thing"),
                ("facet", "schema"),
                ("facet", "countries"),
                ("facet", "collection_id"),
            ],
        ),
        (
            "drill-down",
            vec![
                ("q", "holdings"),
                ("facet", "countries"),
                ("filter:countries", "gb"),
            ],
        ),
        (
            "highlight names",
            vec![("q", "ivanov"), ("highlight", "true")],
        ),
        (
            "highlight text",
            vec![
                ("q", "beneficial owner"),
                ("filter:schemata", "Document"),
                ("highlight", "true"),
            ],
        ),
        (
            "sort label",
            vec![
                ("filter:schema", "Company"),
                ("filter:countries", "gb"),
                ("sort", "caption"),
            ],
        ),
        (
            "sort date",
            vec![
                ("q", "anna"),
                ("filter:schema", "Person"),
                ("sort", "properties.birthDate:desc"),
            ],
        ),
        (
            "date histogram",
            vec![
                ("filter:gte:dates", "2000"),
                ("filter:lte:dates", "2005"),
                ("facet", "dates"),
                ("facet_interval:dates", "year"),
            ],
        ),
        ("names field", vec![("q", "names:\"elena garcia\"")]),
        ("prefix", vec![("prefix", "elena ga")]),
        (
            "deep page",
            vec![("q", "smith"), ("offset", "2000"), ("limit", "50")],
        ),
    ]
}

/// Exact matches on one property of a type group (`--only property`): the group field's
/// postings checked against the property's column.
fn property_queries() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        (
            "property filter",
            vec![
                ("filter:schema", "Person"),
                ("filter:properties.nationality", "de"),
            ],
        ),
        ("property term", vec![("q", "properties.jurisdiction:cy")]),
        (
            "property facet",
            vec![("q", "smith"), ("facet", "properties.nationality")],
        ),
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Builds the index of generated entities, prints indexing figures and returns the
/// overall rate in entities per second.
async fn build_all(index: &dyn SearchIndex, args: &Args, target: &str) -> f64 {
    let documents = args.entities / 20;
    let small = args.entities - documents;
    let people = small * 45 / 100;
    let companies = small * 35 / 100;
    let mut rng = Rng(42);
    println!(
        "indexing {small} small entities ({people} Person, {companies} Company, {} Ownership) \
         and {documents} documents into {target}",
        small - people - companies,
    );
    let (gen_small, idx_small, cpu_small) = build(index, small, args.batch, |n| {
        let e = if n < people {
            person(&mut rng, n)
        } else if n < people + companies {
            company(&mut rng, n - people)
        } else {
            ownership(&mut rng, n, people, companies)
        };
        index_doc(e, n)
    })
    .await;
    let (gen_docs, idx_docs, cpu_docs) = build(index, documents, args.batch / 10, |n| {
        index_doc(document(&mut rng, n), n)
    })
    .await;
    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "small entities: {:.0} entities/s indexing, {:.0} entities per CPU-second of this \
         process (+ {:.1}s generating)",
        rate(small, idx_small),
        rate(small, cpu_small),
        gen_small.as_secs_f64()
    );
    println!(
        "documents:      {:.0} entities/s indexing, {:.0} entities per CPU-second of this \
         process (+ {:.1}s generating)",
        rate(documents, idx_docs),
        rate(documents, cpu_docs),
        gen_docs.as_secs_f64()
    );
    let overall = args.entities as f64 / (idx_small + idx_docs).as_secs_f64();
    println!("overall:        {overall:.0} entities/s");
    overall
}

/// Tantivy's figures after the build: merges, size.
async fn tantivy_size(index: &TantivyIndex) -> f64 {
    let t = Instant::now();
    index.wait_for_merges().await.unwrap();
    let merging = t.elapsed();
    let (bytes, segments) = index.disk_usage().unwrap();
    let total = index.num_docs();
    println!(
        "index: {total} docs, {segments} segments, {:.1} MB, {:.0} bytes/entity \
         (final merge wait {:.1}s)",
        bytes as f64 / 1e6,
        bytes as f64 / total.max(1) as f64,
        merging.as_secs_f64()
    );
    bytes as f64 / total.max(1) as f64
}

/// Latencies of one query: p50, p95 and the total of hits.
struct QueryFigures {
    name: &'static str,
    p50: Duration,
    p95: Duration,
    hits: u64,
}

/// Runs the 23-query mix `reps` times after a warm-up, alternating two scopes.
async fn run_mix(index: &dyn SearchIndex, args: &Args) -> (Vec<QueryFigures>, Vec<Duration>) {
    let scopes = [
        ReadScope::All,
        ReadScope::collections([1, 2, 3, 5, 8, 13, 17, 19]),
    ];
    let mut all = Vec::new();
    let mut per_query = Vec::new();
    // The property queries run only when named with `--only`, so that the default mix stays
    // comparable with the figures of earlier sessions.
    let extra = property_queries().into_iter().filter(|_| {
        args.only
            .as_deref()
            .is_some_and(|o| o.starts_with("property"))
    });
    for (name, params) in queries().into_iter().chain(extra) {
        if args
            .only
            .as_ref()
            .is_some_and(|o| !name.contains(o.as_str()))
        {
            continue;
        }
        let pairs: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let query = SearchQuery::from_params(&pairs).unwrap();
        let mut times = Vec::new();
        let mut hits = 0;
        for rep in 0..=args.reps {
            let scope = &scopes[rep % 2];
            let t = Instant::now();
            let result = index.search(scope, &query).await.unwrap();
            let elapsed = t.elapsed();
            if rep > 0 {
                times.push(elapsed);
            } else {
                hits = result.total;
            }
        }
        times.sort();
        per_query.push(QueryFigures {
            name,
            p50: percentile(&times, 0.5),
            p95: percentile(&times, 0.95),
            hits,
        });
        all.extend(times);
    }
    all.sort();
    (per_query, all)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_mix(per_query: &[QueryFigures], all: &[Duration]) {
    println!(
        "\n{:<24} {:>9} {:>9} {:>10}",
        "query", "p50 ms", "p95 ms", "total"
    );
    for q in per_query {
        println!(
            "{:<24} {:>9.2} {:>9.2} {:>10}",
            q.name,
            ms(q.p50),
            ms(q.p95),
            q.hits
        );
    }
    println!(
        "\nall {} runs: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        all.len(),
        ms(percentile(all, 0.5)),
        ms(percentile(all, 0.95)),
        all.last().map_or(0.0, |d| ms(*d))
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = args();
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("aleph-bench-index-{}", std::process::id()))
    });
    if !args.reuse {
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!("== Tantivy");
    let index = TantivyIndex::open(&dir, TantivyOptions::default()).unwrap();
    let mut tantivy_rate = None;
    let mut tantivy_bytes = None;
    if !args.reuse {
        tantivy_rate = Some(build_all(&index, &args, &dir.display().to_string()).await);
        tantivy_bytes = Some(tantivy_size(&index).await);
    }
    let (tantivy_mix, tantivy_all) = run_mix(&index, &args).await;
    print_mix(&tantivy_mix, &tantivy_all);
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let Some(url) = &args.opensearch else {
        return;
    };
    println!("\n== OpenSearch at {url}");
    let options = OpenSearchOptions {
        index: "aleph-bench".to_string(),
        ..OpenSearchOptions::default()
    };
    let os = OpenSearchIndex::connect(url, options.clone())
        .await
        .unwrap();
    let mut os_rate = None;
    let mut os_bytes = None;
    if !args.reuse {
        os.drop_all().await.unwrap();
        let os = OpenSearchIndex::connect(url, options).await.unwrap();
        os_rate = Some(build_all(&os, &args, url).await);
        let total = os
            .count(&ReadScope::All, &SearchQuery::match_all())
            .await
            .unwrap();
        let bytes = os.store_bytes().await.unwrap();
        println!(
            "index: {total} docs, {:.1} MB, {:.0} bytes/entity (before any force-merge)",
            bytes as f64 / 1e6,
            bytes as f64 / total.max(1) as f64
        );
        os_bytes = Some(bytes as f64 / total.max(1) as f64);
    }
    let (os_mix, os_all) = run_mix(&os, &args).await;
    print_mix(&os_mix, &os_all);

    println!("\n== Side by side (ratio = OpenSearch / Tantivy)");
    if let (Some(t), Some(o)) = (tantivy_rate, os_rate) {
        println!(
            "bulk load: Tantivy {t:.0}/s, OpenSearch {o:.0}/s, ratio {:.2}",
            o / t
        );
    }
    if let (Some(t), Some(o)) = (tantivy_bytes, os_bytes) {
        println!(
            "bytes/entity: Tantivy {t:.0}, OpenSearch {o:.0}, ratio {:.2}",
            o / t
        );
    }
    println!(
        "{:<24} {:>8} {:>8} {:>8} {:>8} {:>7} {:>6}",
        "query", "T p50", "T p95", "OS p50", "OS p95", "p50 x", "hits="
    );
    for (t, o) in tantivy_mix.iter().zip(&os_mix) {
        println!(
            "{:<24} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7.2} {:>6}",
            t.name,
            ms(t.p50),
            ms(t.p95),
            ms(o.p50),
            ms(o.p95),
            ms(o.p50) / ms(t.p50).max(1e-6),
            if t.hits == o.hits { "yes" } else { "NO" }
        );
    }
    println!(
        "all runs: Tantivy p50 {:.2} ms p95 {:.2} ms; OpenSearch p50 {:.2} ms p95 {:.2} ms",
        ms(percentile(&tantivy_all, 0.5)),
        ms(percentile(&tantivy_all, 0.95)),
        ms(percentile(&os_all, 0.5)),
        ms(percentile(&os_all, 0.95)),
    );
}
