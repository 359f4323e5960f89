//! Deleting a collection in the background: the pieces both backends share.
//!
//! Deleting a collection happens in two steps. [`Store::retire_collection`] is one short
//! transaction: the collection is marked deleted (so it leaves every listing, permission
//! check and readable set at once, and its foreign id is free), its permissions go, its
//! unfinished jobs are cancelled and a [`PURGE_STAGE`] job is queued. A worker then
//! removes the rows with [`Store::purge_collection_batch`], a bounded transaction at a
//! time, so a collection of millions of entities never holds one huge transaction; each
//! batch commits on its own, so a worker that dies leaves a consistent, smaller remainder
//! that the next attempt carries on with. The last batch removes the collection row.
//!
//! Archive blobs are referenced from more than one place: uploaded documents
//! (`documents.content_hash`), exports, and entity properties (`contentHash`, `pdfHash`,
//! `csvHash`, and whatever a loaded data set carries), which only the fragments' JSON
//! holds. [`collection_blobs`] gathers every hash a collection refers to and
//! [`blobs_in_use`] says which of them anything else still refers to.
//!
//! [`Store::retire_collection`]: crate::Store::retire_collection
//! [`Store::purge_collection_batch`]: crate::Store::purge_collection_batch

use std::collections::BTreeSet;

use crate::{Result, Store};

/// The stage of the job that removes a deleted collection's data.
pub const PURGE_STAGE: &str = "purge";
/// Attempts a purge job gets: a purge only goes forward, so a worker killed in the middle
/// costs an attempt but no work.
pub const PURGE_MAX_ATTEMPTS: u32 = 10;
/// Length of a hex SHA-1, the archive's key.
const HASH_LEN: usize = 40;

/// The tables a purge empties, in the order it empties them: work first (so nothing new
/// is made from the collection), the collection's own data last. The collection row
/// itself goes after all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PurgeTable {
    Jobs,
    Notifications,
    /// Items of any entity set that point at entities of the collection.
    EntitySetItems,
    /// Items of the collection's own entity sets, wherever their entities live.
    OwnEntitySetItems,
    Mappings,
    EntitySets,
    XrefMatches,
    /// Matches other collections found in this one.
    XrefMatchesFrom,
    XrefDecisions,
    XrefDecisionsFrom,
    XrefRuns,
    Exports,
    Fragments,
    Documents,
    Permissions,
}

impl PurgeTable {
    pub const ALL: [PurgeTable; 15] = [
        PurgeTable::Jobs,
        PurgeTable::Notifications,
        PurgeTable::EntitySetItems,
        PurgeTable::OwnEntitySetItems,
        PurgeTable::Mappings,
        PurgeTable::EntitySets,
        PurgeTable::XrefMatches,
        PurgeTable::XrefMatchesFrom,
        PurgeTable::XrefDecisions,
        PurgeTable::XrefDecisionsFrom,
        PurgeTable::XrefRuns,
        PurgeTable::Exports,
        PurgeTable::Fragments,
        PurgeTable::Documents,
        PurgeTable::Permissions,
    ];

    /// The table's name in the schema.
    pub fn as_str(self) -> &'static str {
        match self {
            PurgeTable::Jobs => "jobs",
            PurgeTable::Notifications => "notifications",
            PurgeTable::EntitySetItems | PurgeTable::OwnEntitySetItems => "entityset_items",
            PurgeTable::Mappings => "mappings",
            PurgeTable::EntitySets => "entitysets",
            PurgeTable::XrefMatches | PurgeTable::XrefMatchesFrom => "xref_matches",
            PurgeTable::XrefDecisions | PurgeTable::XrefDecisionsFrom => "xref_decisions",
            PurgeTable::XrefRuns => "xref_runs",
            PurgeTable::Exports => "exports",
            PurgeTable::Fragments => "fragments",
            PurgeTable::Documents => "documents",
            PurgeTable::Permissions => "permissions",
        }
    }

    /// One bounded delete, in SQLite's parameter style: `?1` the collection, `?2` the
    /// most rows, and for jobs `?3` the purge job itself, which must outlive the purge.
    /// Composite keys are deleted by row value so that both backends can limit them.
    pub(crate) fn delete_sql(self) -> &'static str {
        match self {
            PurgeTable::Jobs => {
                "DELETE FROM jobs WHERE id IN
                 (SELECT id FROM jobs WHERE collection_id = ?1 AND id <> ?3 LIMIT ?2)"
            }
            PurgeTable::Notifications => {
                "DELETE FROM notifications WHERE id IN
                 (SELECT id FROM notifications WHERE collection_id = ?1 LIMIT ?2)"
            }
            PurgeTable::EntitySetItems => {
                "DELETE FROM entityset_items WHERE (entityset_id, entity_id) IN
                 (SELECT entityset_id, entity_id FROM entityset_items
                  WHERE collection_id = ?1 LIMIT ?2)"
            }
            PurgeTable::OwnEntitySetItems => {
                "DELETE FROM entityset_items WHERE (entityset_id, entity_id) IN
                 (SELECT entityset_id, entity_id FROM entityset_items WHERE entityset_id IN
                  (SELECT id FROM entitysets WHERE collection_id = ?1) LIMIT ?2)"
            }
            PurgeTable::Mappings => {
                "DELETE FROM mappings WHERE id IN
                 (SELECT id FROM mappings WHERE collection_id = ?1 LIMIT ?2)"
            }
            PurgeTable::EntitySets => {
                "DELETE FROM entitysets WHERE id IN
                 (SELECT id FROM entitysets WHERE collection_id = ?1 LIMIT ?2)"
            }
            PurgeTable::XrefMatches => {
                "DELETE FROM xref_matches
                 WHERE (collection_id, entity_id, match_collection_id, match_id) IN
                 (SELECT collection_id, entity_id, match_collection_id, match_id
                  FROM xref_matches WHERE collection_id = ?1 LIMIT ?2)"
            }
            PurgeTable::XrefMatchesFrom => {
                "DELETE FROM xref_matches
                 WHERE (collection_id, entity_id, match_collection_id, match_id) IN
                 (SELECT collection_id, entity_id, match_collection_id, match_id
                  FROM xref_matches WHERE match_collection_id = ?1 LIMIT ?2)"
            }
            PurgeTable::XrefDecisions => {
                "DELETE FROM xref_decisions
                 WHERE (collection_id, entity_id, match_collection_id, match_id) IN
                 (SELECT collection_id, entity_id, match_collection_id, match_id
                  FROM xref_decisions WHERE collection_id = ?1 LIMIT ?2)"
            }
            PurgeTable::XrefDecisionsFrom => {
                "DELETE FROM xref_decisions
                 WHERE (collection_id, entity_id, match_collection_id, match_id) IN
                 (SELECT collection_id, entity_id, match_collection_id, match_id
                  FROM xref_decisions WHERE match_collection_id = ?1 LIMIT ?2)"
            }
            PurgeTable::XrefRuns => {
                "DELETE FROM xref_runs WHERE collection_id IN
                 (SELECT collection_id FROM xref_runs WHERE collection_id = ?1 LIMIT ?2)"
            }
            PurgeTable::Exports => {
                "DELETE FROM exports WHERE id IN
                 (SELECT id FROM exports WHERE collection_id = ?1 LIMIT ?2)"
            }
            PurgeTable::Fragments => {
                "DELETE FROM fragments WHERE (collection_id, entity_id, origin) IN
                 (SELECT collection_id, entity_id, origin FROM fragments
                  WHERE collection_id = ?1 LIMIT ?2)"
            }
            // Newest first: a document's children were made after it, so a batch never
            // leaves a child whose parent it removed.
            PurgeTable::Documents => {
                "DELETE FROM documents WHERE id IN
                 (SELECT id FROM documents WHERE collection_id = ?1 ORDER BY id DESC LIMIT ?2)"
            }
            PurgeTable::Permissions => {
                "DELETE FROM permissions WHERE (collection_id, role_id) IN
                 (SELECT collection_id, role_id FROM permissions WHERE collection_id = ?1
                  LIMIT ?2)"
            }
        }
    }
}

/// What one [`crate::Store::purge_collection_batch`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeStep {
    /// Rows of one table were removed; call again.
    Removed { table: PurgeTable, rows: u64 },
    /// Nothing of the collection is left, its row included (also when it was gone before).
    Finished,
}

/// Which fragments [`crate::Store::fragment_hashes`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragmentScope {
    /// The fragments of one collection.
    Only(i64),
    /// The fragments of every other collection.
    AllBut(i64),
}

/// Where a [`crate::Store::fragment_hashes`] page ended: the last fragment's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentCursor {
    pub collection_id: i64,
    pub entity_id: String,
    pub origin: String,
}

/// The archive keys mentioned in a page of fragments, and where the next page starts
/// (`None` after the last page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FragmentHashes {
    pub hashes: BTreeSet<String>,
    pub next: Option<FragmentCursor>,
}

/// A row outside the fragments that refers to a blob: an uploaded document, or an export
/// that is not deleted (`collection_id` is `None` for a search export).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobReference {
    pub content_hash: String,
    pub collection_id: Option<i64>,
}

/// Add every run of exactly 40 lowercase hex digits in `text` to `out`. Archive keys are
/// written that way wherever they appear (entity properties of type checksum are cleaned
/// to lowercase), and a longer run (a SHA-256) is not one. A value that only looks like a
/// key can at worst keep a blob alive, never remove one that is used.
pub fn content_hashes(text: &str, out: &mut BTreeSet<String>) {
    let bytes = text.as_bytes();
    let mut start = None;
    for (i, b) in bytes.iter().enumerate() {
        let hex = b.is_ascii_digit() || (b'a'..=b'f').contains(b);
        match (hex, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s == HASH_LEN {
                    out.insert(text[s..i].to_string());
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start
        && bytes.len() - s == HASH_LEN
    {
        out.insert(text[s..].to_string());
    }
}

/// Every archive key a collection refers to: its documents, its exports, and the
/// properties of its entities. Read a page of `page` fragments at a time.
pub async fn collection_blobs(
    store: &dyn Store,
    collection_id: i64,
    page: u32,
) -> Result<BTreeSet<String>> {
    let mut out: BTreeSet<String> = store
        .collection_file_hashes(collection_id)
        .await?
        .into_iter()
        .collect();
    let mut after = None;
    loop {
        let found = store
            .fragment_hashes(FragmentScope::Only(collection_id), after.as_ref(), page)
            .await?;
        out.extend(found.hashes);
        match found.next {
            Some(next) => after = Some(next),
            None => return Ok(out),
        }
    }
}

/// Which of `candidates` something outside collection `except` still refers to: a
/// document or a live export of another collection, a search export, or an entity of
/// another collection. The fragments of every other collection are read once, `page` at
/// a time; that is the cost of keys that live inside entity JSON.
pub async fn blobs_in_use(
    store: &dyn Store,
    candidates: &BTreeSet<String>,
    except: i64,
    page: u32,
) -> Result<BTreeSet<String>> {
    let mut used = BTreeSet::new();
    if candidates.is_empty() {
        return Ok(used);
    }
    let list: Vec<String> = candidates.iter().cloned().collect();
    for chunk in list.chunks(500) {
        for r in store.blob_references(chunk).await? {
            if r.collection_id != Some(except) {
                used.insert(r.content_hash);
            }
        }
    }
    let mut after = None;
    loop {
        let found = store
            .fragment_hashes(FragmentScope::AllBut(except), after.as_ref(), page)
            .await?;
        used.extend(found.hashes.into_iter().filter(|h| candidates.contains(h)));
        match found.next {
            Some(next) => after = Some(next),
            None => return Ok(used),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_exact_hex_runs() {
        let sha1 = "0123456789abcdef0123456789abcdef01234567";
        let sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let text = format!(
            r#"{{"contentHash":["{sha1}"],"other":["{sha256}"],"x":["{}"],"tail":"{sha1}"#,
            &sha1[..39]
        );
        let mut out = BTreeSet::new();
        content_hashes(&text, &mut out);
        assert_eq!(out.into_iter().collect::<Vec<_>>(), vec![sha1.to_string()]);
        let mut upper = BTreeSet::new();
        content_hashes(&sha1.to_uppercase(), &mut upper);
        assert!(upper.is_empty());
        let mut whole = BTreeSet::new();
        content_hashes(sha1, &mut whole);
        assert_eq!(whole.len(), 1);
    }

    #[test]
    fn every_table_has_a_bounded_delete() {
        for t in PurgeTable::ALL {
            let sql = t.delete_sql();
            assert!(sql.contains(t.as_str()), "{t:?}");
            assert!(sql.contains("LIMIT ?2"), "{t:?}");
            assert_eq!(sql.contains("?3"), t == PurgeTable::Jobs, "{t:?}");
        }
    }
}
