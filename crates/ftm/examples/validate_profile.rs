//! What `aleph ftm validate` does per line, single-threaded, for profiling:
//! `cargo run --release -p ftm --example validate_profile < entities.json > /dev/null`.

use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut bad = 0u64;
    for (n, line) in stdin.lines().enumerate() {
        let line = line?;
        match ftm::jsonl::parse_line(n as u64 + 1, line.as_bytes(), false) {
            Ok(mut entity) => {
                if entity.clean_again().is_err() {
                    bad += 1;
                    continue;
                }
                ftm::jsonl::write_entity(&mut out, &entity)?;
            }
            Err(_) => bad += 1,
        }
    }
    out.flush()?;
    eprintln!("{bad} bad lines");
    Ok(())
}
