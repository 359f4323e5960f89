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
//! Archive blobs are shared: the archive is content-addressed, so two collections that
//! hold the same file hold one blob. Which collections refer to a blob is written down
//! in `file_refs` (hash, collection) in the transaction that writes the document or the
//! fragment referring to it ([`file_hashes`] is the rule for fragments); live exports
//! refer to their content from their own row. A blob is in use while either kind of
//! reference exists. Only a purge (or a hard delete, in its transaction) removes
//! references, so deciding that a blob is unused never reads another collection's
//! entities.
//!
//! The decision and the writers are ordered so that no blob is lost and none is kept:
//!
//! * [`Store::release_collection_blobs`] (and [`Store::release_export`] for an expired
//!   export) removes references and, in the same transaction, marks every blob left
//!   without any in `blob_deletions`. These transactions are serialized with each other
//!   (one at a time per store: the SQLite writer; an exclusive advisory lock on
//!   PostgreSQL), so two purges of collections sharing a blob cannot each see the other's
//!   reference and both keep it: the second sees the first's gone.
//! * A writer adding a reference takes the same lock (shared on PostgreSQL), so its row
//!   is either seen by the purge (the blob is kept) or written after the mark.
//! * The purge removes a marked blob from the archive, then drops the mark
//!   ([`Store::forget_blob_deletions`]).
//! * A writer stores the blob (a no-op when it exists), commits its reference, then asks
//!   [`Store::blob_deletion_pending`] until the blob is not marked, and then stores it
//!   again if it is missing. Whatever the interleaving, the blob exists once the writer
//!   is done: a mark made before its commit is visible to it until the blob is gone
//!   (so it stores the blob after the deletion), and none can be made after its commit
//!   (the purge sees its reference).
//! * A purge that died between marking and forgetting leaves marks behind; the next one
//!   first re-decides them ([`Store::confirm_blob_deletions`]): a mark whose blob got a
//!   reference meanwhile is dropped without deleting anything.
//!
//! [`Store::retire_collection`]: crate::Store::retire_collection
//! [`Store::purge_collection_batch`]: crate::Store::purge_collection_batch
//! [`Store::release_collection_blobs`]: crate::Store::release_collection_blobs
//! [`Store::release_export`]: crate::Store::release_export
//! [`Store::forget_blob_deletions`]: crate::Store::forget_blob_deletions
//! [`Store::blob_deletion_pending`]: crate::Store::blob_deletion_pending
//! [`Store::confirm_blob_deletions`]: crate::Store::confirm_blob_deletions

use std::collections::BTreeSet;

use crate::{Result, StoreError};

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
    pub(crate) fn delete_sql(self) -> String {
        let by_id = |table: &str| {
            format!(
                "DELETE FROM {table} WHERE id IN
                 (SELECT id FROM {table} WHERE collection_id = ?1 LIMIT ?2)"
            )
        };
        // Both xref tables share their key; a collection's rows are the ones it found
        // (`collection_id`) and the ones other collections found in it.
        let xref = |table: &str, column: &str| {
            format!(
                "DELETE FROM {table}
                 WHERE (collection_id, entity_id, match_collection_id, match_id) IN
                 (SELECT collection_id, entity_id, match_collection_id, match_id
                  FROM {table} WHERE {column} = ?1 LIMIT ?2)"
            )
        };
        match self {
            PurgeTable::Jobs => "DELETE FROM jobs WHERE id IN
                 (SELECT id FROM jobs WHERE collection_id = ?1 AND id <> ?3 LIMIT ?2)"
                .into(),
            PurgeTable::Notifications
            | PurgeTable::Mappings
            | PurgeTable::EntitySets
            | PurgeTable::Exports => by_id(self.as_str()),
            PurgeTable::EntitySetItems => {
                "DELETE FROM entityset_items WHERE (entityset_id, entity_id) IN
                 (SELECT entityset_id, entity_id FROM entityset_items
                  WHERE collection_id = ?1 LIMIT ?2)"
                    .into()
            }
            PurgeTable::OwnEntitySetItems => {
                "DELETE FROM entityset_items WHERE (entityset_id, entity_id) IN
                 (SELECT entityset_id, entity_id FROM entityset_items WHERE entityset_id IN
                  (SELECT id FROM entitysets WHERE collection_id = ?1) LIMIT ?2)"
                    .into()
            }
            PurgeTable::XrefMatches | PurgeTable::XrefDecisions => {
                xref(self.as_str(), "collection_id")
            }
            PurgeTable::XrefMatchesFrom | PurgeTable::XrefDecisionsFrom => {
                xref(self.as_str(), "match_collection_id")
            }
            PurgeTable::XrefRuns => "DELETE FROM xref_runs WHERE collection_id IN
                 (SELECT collection_id FROM xref_runs WHERE collection_id = ?1 LIMIT ?2)"
                .into(),
            PurgeTable::Fragments => {
                "DELETE FROM fragments WHERE (collection_id, entity_id, origin) IN
                 (SELECT collection_id, entity_id, origin FROM fragments
                  WHERE collection_id = ?1 LIMIT ?2)"
                    .into()
            }
            // Newest first: a document's children were made after it, so a batch never
            // leaves a child whose parent it removed.
            PurgeTable::Documents => "DELETE FROM documents WHERE id IN
                 (SELECT id FROM documents WHERE collection_id = ?1 ORDER BY id DESC LIMIT ?2)"
                .into(),
            PurgeTable::Permissions => "DELETE FROM permissions WHERE (collection_id, role_id) IN
                 (SELECT collection_id, role_id FROM permissions WHERE collection_id = ?1
                  LIMIT ?2)"
                .into(),
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

/// The statements both backends run to release blobs, in SQLite's parameter style
/// (PostgreSQL's are made by replacing `?` with `$`).
pub(crate) mod sql {
    /// Mark up to `?2` live exports of collection `?1` deleted at `?3`; their content
    /// hashes.
    pub const RELEASE_EXPORTS: &str = "UPDATE exports SET deleted = TRUE, lease_owner = NULL,
             lease_expires_at = NULL, updated_at = ?3
         WHERE id IN (SELECT id FROM exports WHERE collection_id = ?1 AND deleted = FALSE
                      LIMIT ?2)
         RETURNING content_hash";
    /// Remove up to `?2` references of collection `?1`; their hashes.
    pub const RELEASE_REFS: &str = "DELETE FROM file_refs WHERE (content_hash, collection_id) IN
             (SELECT content_hash, collection_id FROM file_refs WHERE collection_id = ?1
              LIMIT ?2)
         RETURNING content_hash";
    /// Remove every reference of collection `?1` (a hard delete); their hashes.
    pub const RELEASE_ALL_REFS: &str =
        "DELETE FROM file_refs WHERE collection_id = ?1 RETURNING content_hash";
    /// Mark export `?1` deleted at `?2`; its content hash (one row if it was live).
    pub const RELEASE_EXPORT: &str = "UPDATE exports SET deleted = TRUE, lease_owner = NULL,
             lease_expires_at = NULL, updated_at = ?2
         WHERE id = ?1 AND deleted = FALSE
         RETURNING content_hash";
    /// Whether anything refers to blob `?1`: a collection or a live export.
    pub const REFERENCED: &str = "SELECT EXISTS (SELECT 1 FROM file_refs WHERE content_hash = ?1)
             OR EXISTS (SELECT 1 FROM exports WHERE content_hash = ?1 AND deleted = FALSE)";
    /// Mark blob `?1` for deletion at `?2`, by the purge of collection `?3` (none for an
    /// export).
    pub const MARK: &str = "INSERT INTO blob_deletions (content_hash, created_at, collection_id)
         VALUES (?1, ?2, ?3)
         ON CONFLICT (content_hash) DO NOTHING";
    /// Drop the mark of blob `?1`.
    pub const UNMARK: &str = "DELETE FROM blob_deletions WHERE content_hash = ?1";
    /// Whether blob `?1` is marked.
    pub const MARKED: &str = "SELECT EXISTS (SELECT 1 FROM blob_deletions WHERE content_hash = ?1)";
    /// Up to `?2` blobs marked before `?1`, oldest first.
    pub const MARKS_BEFORE: &str = "SELECT content_hash FROM blob_deletions WHERE created_at < ?1
         ORDER BY created_at, content_hash LIMIT ?2";
    /// Up to `?2` blobs marked by the purge of collection `?1`.
    pub const MARKS_OF: &str = "SELECT content_hash FROM blob_deletions WHERE collection_id = ?1
         ORDER BY created_at, content_hash LIMIT ?2";
    /// Whether collection `?1` still refers to any blob.
    pub const HAS_REFS: &str = "SELECT EXISTS (SELECT 1 FROM file_refs WHERE collection_id = ?1)";
    /// Record that collection `?2` refers to blob `?1`.
    pub const ADD_REF: &str = "INSERT INTO file_refs (content_hash, collection_id) VALUES (?1, ?2)
         ON CONFLICT (content_hash, collection_id) DO NOTHING";
}

/// Which marked blobs [`crate::Store::blob_deletions`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkScope {
    /// The marks of a collection's purge: the attempt that holds the purge job finishes
    /// the ones an earlier attempt left.
    Collection(i64),
    /// Marks made before this moment: old enough that whoever made them stopped.
    Before(crate::Timestamp),
}

/// What one [`crate::Store::release_collection_blobs`] call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobRelease {
    /// References of the collection removed (exports marked deleted count too); none
    /// means the collection refers to no blob any more.
    pub released: u64,
    /// The blobs whose last reference went: marked for deletion, in the same transaction.
    /// Remove them from the archive, then [`crate::Store::forget_blob_deletions`].
    pub unreferenced: Vec<String>,
}

/// How the properties whose values are archive keys (FollowTheMoney's checksum type:
/// contentHash, csvHash, pdfHash) open their values in a fragment's JSON, spelled out once
/// because [`file_hashes`] runs on every fragment write.
const CHECKSUM_OPENINGS: [&str; 3] = ["\"contentHash\":[", "\"csvHash\":[", "\"pdfHash\":["];

/// The archive keys a fragment's JSON refers to: the values of its checksum properties
/// that are exactly 40 lowercase hex digits (checksums are cleaned to lowercase; a
/// SHA-256 is longer). Entity ids made by hashing are 40 hex digits too, so any other
/// property's values are not keys. Read on the JSON text (`"contentHash":[…]` can only
/// be a key followed by its values in valid JSON), so that writing a fragment costs one
/// pass over its bytes and no parse; the migration that filled `file_refs` used the same
/// rule. A value that only looks like a key can at worst keep a blob alive, never remove
/// one that is used.
pub fn file_hashes(json: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for opening in CHECKSUM_OPENINGS {
        let mut rest = json;
        while let Some(at) = rest.find(opening) {
            rest = &rest[at + opening.len()..];
            let values = rest.find(']').map_or(rest, |end| &rest[..end]);
            for value in values.split(',') {
                let value = value.trim();
                if let Some(hash) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"'))
                    && hash.len() == HASH_LEN
                    && hash
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    out.insert(hash.to_string());
                }
            }
        }
    }
    out
}

/// The hashes of a batch of fragments, each once.
pub(crate) fn batch_file_hashes<'a>(data: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut all = BTreeSet::new();
    for json in data {
        all.append(&mut file_hashes(json));
    }
    all.into_iter().collect()
}

/// Whether `purge_collection_batch` may go on with a collection: `Ok(false)` when it is
/// gone already (the purge is over), an error when it is live.
pub(crate) fn purgeable(found: Result<crate::Collection>, id: i64) -> Result<bool> {
    match found {
        Ok(c) if !c.is_deleted() => Err(StoreError::invalid(format!(
            "collection {id} is not deleted: refusing to purge it"
        ))),
        Ok(_) => Ok(true),
        Err(StoreError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The refusal when rows would go before the blobs were released: the references are
/// all that says which blobs the collection used.
pub(crate) fn unreleased(id: i64) -> StoreError {
    StoreError::invalid(format!(
        "collection {id} still refers to blobs: release them before removing its rows"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_checksum_property_values() {
        let sha1 = "0123456789abcdef0123456789abcdef01234567";
        let other = "89abcdef0123456789abcdef0123456789abcdef";
        let third = "fedcba9876543210fedcba9876543210fedcba98";
        let sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let text = format!(
            r#"{{"id":"{third}","schema":"Pages","properties":{{"contentHash":["{sha1}", "{other}"],"pdfHash":["{sha256}"],"csvHash":["{}"],"parent":["{third}"],"bodyText":["see {other}"]}}}}"#,
            &sha1[..39]
        );
        let found: Vec<String> = file_hashes(&text).into_iter().collect();
        assert_eq!(found, vec![sha1.to_string(), other.to_string()]);
        // Entity ids and references made by hashing are not keys.
        assert!(file_hashes(&format!(r#"{{"id":"{sha1}","parent":["{other}"]}}"#)).is_empty());
        assert!(
            file_hashes(&format!(r#"{{"contentHash":["{}"]}}"#, sha1.to_uppercase())).is_empty()
        );
        assert_eq!(
            file_hashes(&format!(
                r#"{{"csvHash":["{third}"],"pdfHash":["{sha1}"]}}"#
            ))
            .len(),
            2
        );
        // Text that quotes a property name is escaped, so it is not read as one.
        let quoted = format!(r#"{{"bodyText":["\"contentHash\":[\"{sha1}\"]"]}}"#);
        assert!(file_hashes(&quoted).is_empty(), "{quoted}");
        assert_eq!(
            batch_file_hashes([format!(r#"{{"pdfHash":["{sha1}"]}}"#).as_str(), &text]),
            vec![sha1.to_string(), other.to_string()]
        );
    }

    #[test]
    fn every_table_has_a_bounded_delete() {
        for t in PurgeTable::ALL {
            let sql = t.delete_sql();
            assert!(sql.contains(t.as_str()), "{t:?}");
            assert!(sql.contains("LIMIT ?2"), "{t:?}");
            assert_eq!(sql.contains("?3"), t == PurgeTable::Jobs, "{t:?}");
        }
        assert!(
            PurgeTable::XrefDecisionsFrom
                .delete_sql()
                .contains("match_collection_id = ?1")
        );
        assert!(
            PurgeTable::XrefMatches
                .delete_sql()
                .contains("WHERE collection_id = ?1")
        );
    }
}
