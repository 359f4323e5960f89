//! Memory stays flat on big inputs: a 200 MB CSV and a zip bomb unpacked to disk.
//!
//! One test per binary-wide measurement: the peak resident size (VmHWM) is per process, so
//! the two checks run one after the other inside a single test, each after resetting the
//! peak mark.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

#[path = "support/containers_util.rs"]
mod util;

use std::io::{BufWriter, Write};

use ingest::ErrorClass;
use util::{ingest_path, peak_rss, reset_peak_rss};

const MIB: u64 = 1024 * 1024;

#[test]
fn big_inputs_take_flat_memory() {
    let dir = tempfile::tempdir().unwrap();

    // --- a 200 MB CSV --------------------------------------------------------------------
    let csv_path = dir.path().join("big.csv");
    {
        let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&csv_path).unwrap());
        writeln!(out, "id,company,city,note").unwrap();
        let cities = [
            "Valletta",
            "Limassol",
            "Panama City",
            "Road Town",
            "Douglas",
        ];
        let mut written = 0u64;
        let mut i = 0u64;
        while written < 200 * MIB {
            let line = format!(
                "{i},Company number {i} Holdings Ltd,{},\"note {i}, with a comma\nand a line break\"\n",
                cities[(i % 5) as usize]
            );
            out.write_all(line.as_bytes()).unwrap();
            written += line.len() as u64;
            i += 1;
        }
    }
    reset_peak_rss();
    let before = peak_rss();
    let run = ingest_path(&csv_path, "big.csv", |_| {});
    let growth = peak_rss().saturating_sub(before);
    assert_eq!(run.schema(), "Table");
    let rows: u64 = run.entity.first("rowCount").unwrap().parse().unwrap();
    assert!(rows > 2_000_000, "{rows} rows");
    let blob = &run.sink.blobs[0].1;
    assert!(std::fs::metadata(blob).unwrap().len() > 200 * MIB);
    let text: usize = run.entity.get("indexText").iter().map(String::len).sum();
    assert!(
        text <= ingest::Limits::default().max_text_bytes,
        "{text} bytes of text"
    );
    eprintln!(
        "200 MB CSV: {rows} rows, peak RSS grew {} MiB",
        growth / MIB
    );
    assert!(
        growth < 100 * MIB,
        "CSV ingest grew the peak RSS by {} MiB",
        growth / MIB
    );
    drop(run);
    std::fs::remove_file(&csv_path).unwrap();

    // --- a zip bomb, with the ratio check off so it is unpacked until the size limit -----
    let zip_path = dir.path().join("bomb.zip");
    {
        let file = std::fs::File::create(&zip_path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        zip.start_file("zeros.bin", zip::write::SimpleFileOptions::default())
            .unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..512 {
            zip.write_all(&chunk).unwrap();
        }
        zip.finish().unwrap();
    }
    reset_peak_rss();
    let before = peak_rss();
    let run = ingest_path(&zip_path, "bomb.zip", |ctx| {
        ctx.limits.max_ratio = u64::MAX / 2;
        ctx.limits.max_unpacked_bytes = 300 * MIB;
    });
    let growth = peak_rss().saturating_sub(before);
    assert_eq!(
        run.error().class,
        ErrorClass::Limit,
        "{}",
        run.error().message
    );
    assert!(run.sink.children.is_empty());
    eprintln!("zip bomb: peak RSS grew {} MiB", growth / MIB);
    assert!(
        growth < 50 * MIB,
        "zip bomb grew the peak RSS by {} MiB",
        growth / MIB
    );
}
