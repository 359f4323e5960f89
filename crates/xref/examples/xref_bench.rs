//! Benchmark and evaluation of the matcher on a labelled pair file.
//!
//! Data: `bench/xref/make_pairs.py` writes `entities.ftm.json` (records whose id prefix
//! `p-<cluster>-` / `c-<cluster>-` is the truth) and `pairs.tsv`
//! (`left<TAB>right<TAB>label<TAB>kind`). `bench/xref/run.sh` runs this program beside
//! FtM's `compare` and nomenklatura's `logic-v1` on the same pairs. It measures,
//! single-threaded:
//!
//! - reading and cleaning the entities, and preparing them ([`xref::Prepared`]);
//! - scoring every pair of the file from prepared entities (best of `--rounds`), and
//!   scoring from raw entities (preparing both sides for every pair, which is the work
//!   FtM's `compare` does per pair);
//! - precision and recall at 0.5 / 0.7 / 0.9;
//!
//! Times are CPU time of the scoring thread on Linux (see `Clock`), wall time elsewhere.
//! - blocking: candidate pairs from [`xref::Blocker`], the share of all true pairs among
//!   them, and precision/recall of blocking + scoring over the whole set.
//!
//! ```text
//! cargo run --release -p xref --example xref_bench -- \
//!     --entities /var/tmp/xref-bench/dev/entities.ftm.json \
//!     --pairs /var/tmp/xref-bench/dev/pairs.tsv --scores /var/tmp/xref-bench/dev/scores-xref.tsv \
//!     --timing /var/tmp/xref-bench/dev/timing-xref.json [--explain 20] [--no-blocking]
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use ftm::Entity;
use ftm::jsonl::EntityReader;
use xref::{Blocker, BlockerConfig, Matcher, Prepared};

struct Args {
    entities: String,
    pairs: String,
    scores: Option<String>,
    timing: Option<String>,
    rounds: usize,
    explain: usize,
    explain_kind: Option<String>,
    blocking: bool,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut args = Args {
        entities: String::new(),
        pairs: String::new(),
        scores: None,
        timing: None,
        rounds: 5,
        explain: 0,
        explain_kind: None,
        blocking: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--entities" => args.entities = value()?,
            "--pairs" => args.pairs = value()?,
            "--scores" => args.scores = Some(value()?),
            "--timing" => args.timing = Some(value()?),
            "--no-blocking" => args.blocking = false,
            "--rounds" => args.rounds = value()?.parse()?,
            "--explain" => args.explain = value()?.parse()?,
            "--explain-kind" => args.explain_kind = Some(value()?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if args.entities.is_empty() || args.pairs.is_empty() {
        return Err("usage: xref_bench --entities FILE --pairs FILE [--scores OUT] [--timing OUT] [--rounds N] [--explain N [--explain-kind KIND]] [--no-blocking]".into());
    }
    Ok(args)
}

/// The CPU time of this thread where Linux tells it (`/proc/thread-self/schedstat`, in
/// nanoseconds), else wall time. On a shared machine the wall time of a short loop
/// depends on who else runs; the CPU time does not, and the Python harness measures
/// the same (`time.process_time`).
enum Clock {
    Cpu(u64),
    Wall(Instant),
}

impl Clock {
    fn cpu_nanos() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        stat.split_whitespace().next()?.parse().ok()
    }

    fn start() -> Clock {
        match Clock::cpu_nanos() {
            Some(ns) => Clock::Cpu(ns),
            None => Clock::Wall(Instant::now()),
        }
    }

    fn seconds(&self) -> f64 {
        match self {
            Clock::Cpu(start) => {
                Clock::cpu_nanos().map_or(0.0, |now| now.saturating_sub(*start) as f64 / 1e9)
            }
            Clock::Wall(start) => start.elapsed().as_secs_f64(),
        }
    }
}

fn cluster(id: &str) -> &str {
    id.rsplit_once('-').map_or(id, |(c, _)| c)
}

/// Precision and recall of `score >= threshold` against the labels.
fn precision_recall(scored: &[(bool, f64)], threshold: f64, positives: usize) -> (f64, f64) {
    let predicted = scored.iter().filter(|(_, s)| *s >= threshold).count();
    let correct = scored.iter().filter(|(l, s)| *l && *s >= threshold).count();
    let precision = if predicted == 0 {
        1.0
    } else {
        correct as f64 / predicted as f64
    };
    (precision, correct as f64 / positives.max(1) as f64)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;

    let started = Instant::now();
    let mut entities: Vec<Entity> = Vec::new();
    for item in EntityReader::new(BufReader::new(File::open(&args.entities)?), false) {
        entities.push(item??);
    }
    let parse_time = started.elapsed().as_secs_f64();
    let n = entities.len();
    println!(
        "read+clean  {n} entities in {parse_time:.3} s ({:.1} µs/entity)",
        parse_time * 1e6 / n as f64
    );

    let started = Clock::start();
    let prepared: Vec<Prepared> = entities.iter().map(Prepared::new).collect();
    let prepare_time = started.seconds();
    println!(
        "prepare     {n} entities in {prepare_time:.3} s ({:.1} µs/entity)",
        prepare_time * 1e6 / n as f64
    );

    let index: HashMap<&str, usize> = entities
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.id().map(|id| (id, i)))
        .collect();
    let mut pairs: Vec<(usize, usize, bool)> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    for line in BufReader::new(File::open(&args.pairs)?).lines() {
        let line = line?;
        let mut fields = line.split('\t');
        let (Some(a), Some(b), Some(label)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(format!("bad pair line: {line}").into());
        };
        let (Some(&i), Some(&j)) = (index.get(a), index.get(b)) else {
            return Err(format!("unknown id in pair: {line}").into());
        };
        pairs.push((i, j, label == "1"));
        kinds.push(fields.next().unwrap_or("").to_owned());
    }

    let matcher = Matcher::new();
    // Warm-up, as the Python harness does.
    for &(i, j, _) in pairs.iter().take(200) {
        std::hint::black_box(matcher.score_prepared(&prepared[i], &prepared[j]));
    }
    // The median of several rounds: the run is short (tens of milliseconds), so one
    // round is at the mercy of whatever else the machine does.
    let mut times = Vec::new();
    let mut scores = vec![0.0; pairs.len()];
    let mut explained_times = Vec::new();
    for _ in 0..args.rounds.max(1) {
        let started = Clock::start();
        for (k, &(i, j, _)) in pairs.iter().enumerate() {
            scores[k] = matcher
                .score_value(&prepared[i], &prepared[j])
                .unwrap_or(0.0);
        }
        times.push(started.seconds());
        let started = Clock::start();
        for (k, &(i, j, _)) in pairs.iter().enumerate() {
            let m = matcher.score_prepared(&prepared[i], &prepared[j]);
            let score = m.map_or(0.0, |m| m.score);
            if score != scores[k] {
                return Err(format!("pair {k}: explained score {score} != {}", scores[k]).into());
            }
        }
        explained_times.push(started.seconds());
    }
    times.sort_by(f64::total_cmp);
    explained_times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let explained_median = explained_times[explained_times.len() / 2];
    let per_second = pairs.len() as f64 / median;
    let explained_per_second = pairs.len() as f64 / explained_median;
    println!(
        "score       {} pairs (prepared, score only) in {median:.4} s: {per_second:.0} pairs/s, {:.2} µs/pair (median of {})",
        pairs.len(),
        median * 1e6 / pairs.len() as f64,
        times.len()
    );
    println!(
        "score       {} pairs (prepared, with explanations) in {explained_median:.4} s: {explained_per_second:.0} pairs/s, {:.2} µs/pair",
        pairs.len(),
        explained_median * 1e6 / pairs.len() as f64,
    );
    let with_prepare = pairs.len() as f64 / (median + prepare_time);
    println!(
        "score       {} pairs + preparing all {n} entities once: {with_prepare:.0} pairs/s",
        pairs.len()
    );

    let started = Clock::start();
    for &(i, j, _) in &pairs {
        let (a, b) = (Prepared::new(&entities[i]), Prepared::new(&entities[j]));
        std::hint::black_box(matcher.score_value(&a, &b));
    }
    let raw_time = started.seconds();
    let raw_per_second = pairs.len() as f64 / raw_time;
    println!(
        "score       {} pairs (preparing both sides per pair) in {raw_time:.3} s: {raw_per_second:.0} pairs/s, {:.2} µs/pair",
        pairs.len(),
        raw_time * 1e6 / pairs.len() as f64
    );
    if let Some(path) = &args.timing {
        let timing = serde_json::json!({
            "matcher": xref::METHOD,
            "entities": n,
            "prepare_seconds": prepare_time,
            "pairs": pairs.len(),
            "score_seconds": median,
            "pairs_per_second": per_second,
            "pairs_per_second_explained": explained_per_second,
            "pairs_per_second_with_prepare": with_prepare,
            "pairs_per_second_preparing_per_pair": raw_per_second,
        });
        std::fs::write(path, format!("{timing}\n"))?;
    }

    let scored: Vec<(bool, f64)> = pairs.iter().zip(&scores).map(|(p, s)| (p.2, *s)).collect();
    let positives = scored.iter().filter(|(l, _)| *l).count();
    println!("pairs       {} ({positives} true)", scored.len());
    for threshold in [0.5, 0.7, 0.9] {
        let (p, r) = precision_recall(&scored, threshold, positives);
        let f1 = 2.0 * p * r / (p + r).max(1e-9);
        println!("P/R @{threshold:.1}    precision {p:.3}  recall {r:.3}  F1 {f1:.3}");
    }

    if let Some(path) = &args.scores {
        let mut out = BufWriter::new(File::create(path)?);
        for (&(i, j, label), score) in pairs.iter().zip(&scores) {
            let (a, b) = (
                entities[i].id().unwrap_or(""),
                entities[j].id().unwrap_or(""),
            );
            writeln!(out, "{a}\t{b}\t{}\t{score:.6}", u8::from(label))?;
        }
    }

    if args.explain > 0 {
        // The worst mistakes at 0.5, to read their explanations.
        let mut mistakes: Vec<(f64, usize)> = scored
            .iter()
            .enumerate()
            .filter(|(_, (l, s))| *l != (*s >= 0.5))
            .filter(|(k, _)| {
                args.explain_kind
                    .as_ref()
                    .is_none_or(|kind| kinds[*k] == *kind)
            })
            .map(|(k, (l, s))| ((if *l { 1.0 - s } else { *s }), k))
            .collect();
        mistakes.sort_by(|a, b| b.0.total_cmp(&a.0));
        for &(_, k) in mistakes.iter().take(args.explain) {
            let (i, j, label) = pairs[k];
            if let Some(m) = matcher.score_prepared(&prepared[i], &prepared[j]) {
                println!(
                    "\n{} vs {} (truth: {})\n{}",
                    entities[i].id().unwrap_or(""),
                    entities[j].id().unwrap_or(""),
                    if label { "same" } else { "different" },
                    m.explain()
                );
            }
        }
    }

    if !args.blocking {
        return Ok(());
    }
    // Blocking over the whole set, then scoring the candidates: the xref run itself.
    let started = Instant::now();
    let mut blocker = Blocker::new(BlockerConfig::default());
    for p in &prepared {
        blocker.add(p);
    }
    let candidates = blocker.pairs();
    let block_time = started.elapsed().as_secs_f64();
    let mut by_cluster: HashMap<&str, usize> = HashMap::new();
    for e in &entities {
        *by_cluster.entry(cluster(e.id().unwrap_or(""))).or_default() += 1;
    }
    let all_true: usize = by_cluster.values().map(|c| c * (c - 1) / 2).sum();
    let same = |c: &xref::Candidate| {
        cluster(entities[c.left].id().unwrap_or(""))
            == cluster(entities[c.right].id().unwrap_or(""))
    };
    let found = candidates.iter().filter(|c| same(c)).count();
    println!(
        "blocking    {} candidate pairs in {block_time:.3} s; {found} of {all_true} true pairs ({:.1}% recall)",
        candidates.len(),
        100.0 * found as f64 / all_true.max(1) as f64
    );
    let stops: Vec<String> = blocker
        .stop_keys()
        .iter()
        .take(8)
        .map(|(k, df)| format!("{k} ({df})"))
        .collect();
    println!("stop keys   {}", stops.join(", "));
    let started = Instant::now();
    let xref: Vec<(bool, f64)> = candidates
        .iter()
        .map(|c| {
            let score = matcher
                .score_prepared(&prepared[c.left], &prepared[c.right])
                .map_or(0.0, |m| m.score);
            (same(c), score)
        })
        .collect();
    let xref_time = started.elapsed().as_secs_f64();
    println!(
        "xref        scored {} candidates in {xref_time:.3} s",
        xref.len()
    );
    for threshold in [0.5, 0.7, 0.9] {
        let (p, r) = precision_recall(&xref, threshold, all_true);
        println!("xref @{threshold:.1}   precision {p:.3}  recall {r:.3} (of all true pairs)");
    }
    Ok(())
}
