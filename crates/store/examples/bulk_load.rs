//! Load N generated entities into a store in batches and print the rate.
//!
//! ```sh
//! cargo run --release -p store --example bulk_load -- [N] [BATCH] [URI]
//! ```
//! N defaults to 200000, BATCH to 10000, URI to a SQLite file in a temporary directory.
//! Also times streaming everything back, merged, in key order. The ids are spread like
//! hashes, as in a real load.

use std::time::Instant;

use futures_util::TryStreamExt;
use serde_json::json;
use store::{EntityFilter, NewCollection};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200_000);
    let batch: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let tmp = tempfile::tempdir()?;
    let uri = match args.next() {
        Some(uri) => uri,
        None => tmp.path().join("aleph.db").display().to_string(),
    };
    let store = store::open(&uri).await?;
    let foreign_id = format!("bulk_load_{}", std::process::id());
    let collection = store
        .create_collection(NewCollection::new(&foreign_id, "Bulk load"))
        .await?
        .id;

    // Generating and cleaning entities is not what we measure.
    let entities: Vec<ftm::Entity> = (0..n)
        .map(|i| {
            ftm::Entity::from_json(
                json!({
                    "id": hashed_id(i as u64),
                    "schema": if i % 3 == 0 { "Company" } else { "Person" },
                    "properties": {
                        "name": [format!("Entity number {i}")],
                        "country": ["de"],
                        "sourceUrl": [format!("https://example.org/{i}")],
                        // About the size of a cleaned, signed entity of the 1M load file.
                        "notes": [format!("Note {i}: {}", "filler words ".repeat(20))],
                    }
                }),
                true,
            )
        })
        .collect::<Result<_, _>>()?;

    let start = Instant::now();
    for chunk in entities.chunks(batch) {
        store.put_fragments(collection, "bulk", chunk).await?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{:?}: wrote {n} entities in batches of {batch} in {secs:.2}s: {:.0} entities/s",
        store.backend(),
        n as f64 / secs
    );

    let start = Instant::now();
    let streamed =
        store::stream_entities(store.clone(), EntityFilter::collection(collection), 5000)
            .try_fold(0usize, |count, _| async move { Ok(count + 1) })
            .await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "streamed {streamed} entities in {secs:.2}s: {:.0} entities/s",
        streamed as f64 / secs
    );
    store
        .delete_collection(collection, store::DeleteMode::Hard)
        .await?;
    Ok(())
}

/// Ids spread like those of signed or hashed entities (40 hex digits in no order), so that
/// writes land all over the key's B-tree as they do in a real load.
fn hashed_id(i: u64) -> String {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    format!("{:016x}{:016x}{:08x}", mix(i), mix(!i), i & 0xffff_ffff)
}
