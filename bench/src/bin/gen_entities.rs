//! Print N generated FtM entities as JSON lines: `gen_entities N [SEED] > file.ftm.json`.

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let mut rng = bench::Rng::new(seed);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    for i in 0..n {
        serde_json::to_writer(&mut out, &bench::entity(&mut rng, i))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
