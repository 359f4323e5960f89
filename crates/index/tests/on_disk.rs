//! The embedded index on disk: the format marker written beside Tantivy's files, refusing
//! an index of an older format with a clear error, and a read-only open that creates a
//! missing index without taking the writer lock.

#![allow(clippy::unwrap_used)]

use index::{
    IndexDoc, IndexError, ReadScope, SearchIndex, SearchQuery, TantivyIndex, TantivyOptions,
};

fn person(id: &str, name: &str) -> IndexDoc {
    let mut e = ftm::Entity::with_id("Person", id).unwrap();
    e.add("name", name).unwrap();
    IndexDoc::new(e, 1)
}

async fn ids(index: &TantivyIndex, q: &str) -> Vec<String> {
    let query = SearchQuery::from_params(&[("q".to_string(), q.to_string())]).unwrap();
    let r = index.search(&ReadScope::All, &query).await.unwrap();
    r.hits.into_iter().map(|h| h.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_of_an_older_format_is_refused_with_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let index = TantivyIndex::open(&path, TantivyOptions::default()).unwrap();
    index
        .index(vec![person("p1", "Anna Okafor")])
        .await
        .unwrap();
    index.commit().await.unwrap();
    drop(index);
    let marker = path.join("aleph-layout");
    assert_eq!(std::fs::read_to_string(&marker).unwrap().trim(), "4");
    // Reopened as it was written: the entity is there.
    let index = TantivyIndex::open(&path, TantivyOptions::default()).unwrap();
    assert_eq!(ids(&index, "okafor").await, ["p1"]);
    drop(index);

    // Indexes of format 1 have no marker; format 2 indexed grouped properties twice;
    // format 3 compressed its term dictionaries with zstd; an unreadable marker is no better.
    for (content, found) in [
        (None, "1"),
        (Some("1\n"), "1"),
        (Some("2\n"), "2"),
        (Some("3\n"), "3"),
        (Some("x"), "unknown"),
    ] {
        match content {
            None => std::fs::remove_file(&marker).unwrap(),
            Some(text) => std::fs::write(&marker, text).unwrap(),
        }
        for read_only in [false, true] {
            let opened = if read_only {
                TantivyIndex::open_read_only(&path, TantivyOptions::default())
            } else {
                TantivyIndex::open(&path, TantivyOptions::default())
            };
            let Err(err) = opened else {
                panic!("an index of format {found} was opened (read-only: {read_only})");
            };
            assert!(
                matches!(&err, IndexError::OutdatedFormat { found: f, current: 4, .. } if f == found),
                "{err:?}"
            );
            let message = err.to_string();
            assert!(message.contains("aleph upgrade"), "{message}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_open_creates_a_missing_index_without_the_writer_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let reader = TantivyIndex::open_read_only(&path, TantivyOptions::default()).unwrap();
    assert_eq!(reader.num_docs(), 0);
    assert!(path.join("meta.json").exists());
    assert!(path.join("aleph-layout").exists());
    // Writes through a read-only index fail: it holds no writer.
    assert!(reader.index(vec![person("p0", "Nobody")]).await.is_err());

    // The writer can be opened while the reader is open: the reader holds no lock.
    let writer = TantivyIndex::open(&path, TantivyOptions::default()).unwrap();
    writer
        .index(vec![person("p1", "Anna Okafor")])
        .await
        .unwrap();
    writer.commit().await.unwrap();
    assert_eq!(ids(&writer, "okafor").await, ["p1"]);
    // A second writer is refused while the first holds the lock.
    assert!(TantivyIndex::open(&path, TantivyOptions::default()).is_err());

    // The reader follows the writer's commits.
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = ids(&reader, "okafor").await;
        if !seen.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seen, ["p1"]);
}
