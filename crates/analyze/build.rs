//! Folds the gazetteer's lists at compile time, so that a process does not fold some
//! 170,000 names (and allocate a `String` for each) the first time it looks for a name.
//!
//! The folding is the crate's own `src/fold.rs`, compiled into this script, so that the
//! lists and the text meet in the same normal form. Written to `OUT_DIR`:
//! - `given_names.txt`, `surnames.txt`: one folded name a line, names of two characters or
//!   more, sorted, without repeats;
//! - `places.tsv`: `folded name \t country \t kind`, sorted by the folded name, the rows
//!   of one name in the order of `data/places.tsv` (the order settles ties).

#[allow(dead_code)]
#[path = "src/fold.rs"]
mod fold;

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for input in [
        "build.rs",
        "src/fold.rs",
        "data/given_names.txt",
        "data/surnames.txt",
        "data/places.tsv",
    ] {
        println!("cargo::rerun-if-changed={input}");
    }
    let out = std::env::var("OUT_DIR")?;
    let out = Path::new(&out);
    for list in ["given_names.txt", "surnames.txt"] {
        let text = std::fs::read_to_string(Path::new("data").join(list))?;
        let mut words: Vec<String> = text
            .lines()
            .map(fold::fold)
            .filter(|w| w.chars().count() >= 2)
            .collect();
        words.sort_unstable();
        words.dedup();
        std::fs::write(out.join(list), words.join("\n"))?;
    }
    let text = std::fs::read_to_string("data/places.tsv")?;
    let mut rows: Vec<(String, &str)> = Vec::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once('\t') else {
            continue;
        };
        let key = fold::fold(name);
        if !key.is_empty() {
            rows.push((key, rest));
        }
    }
    // Stable: the rows of one name keep their order.
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut places = String::with_capacity(text.len());
    for (key, rest) in rows {
        places.push_str(&key);
        places.push('\t');
        places.push_str(rest);
        places.push('\n');
    }
    std::fs::write(out.join("places.tsv"), places)?;
    Ok(())
}
