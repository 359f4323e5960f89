//! Uploaded documents: Aleph's `document` table, which gives every uploaded file or
//! folder an integer id and makes re-uploads land on the same row.

use crate::{Result, StoreError, Timestamp};

/// The longest foreign id or content hash accepted, in bytes.
pub const MAX_DOCUMENT_KEY_LEN: usize = 4096;

/// A document row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    pub id: i64,
    pub collection_id: i64,
    pub parent_id: Option<i64>,
    pub foreign_id: Option<String>,
    pub content_hash: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The key a document is upserted by: its foreign id under its parent when it has one,
/// else its content hash under its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DocumentKey {
    ForeignId(String),
    ContentHash(String),
}

/// Check an upload's identifiers and pick its key.
pub(crate) fn document_key(
    foreign_id: Option<&str>,
    content_hash: Option<&str>,
) -> Result<(DocumentKey, Option<String>)> {
    let check = |what: &str, v: &str| -> Result<String> {
        if v.is_empty() || v.len() > MAX_DOCUMENT_KEY_LEN || v.contains('\0') {
            return Err(StoreError::invalid(format!(
                "document {what} must be 1 to {MAX_DOCUMENT_KEY_LEN} bytes without NUL characters"
            )));
        }
        Ok(v.to_string())
    };
    let hash = content_hash.map(|h| check("content hash", h)).transpose()?;
    match (foreign_id, hash) {
        (Some(fid), hash) => Ok((DocumentKey::ForeignId(check("foreign id", fid)?), hash)),
        (None, Some(hash)) => Ok((DocumentKey::ContentHash(hash.clone()), Some(hash))),
        (None, None) => Err(StoreError::invalid(
            "a document needs a foreign id or a content hash to be stored",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_foreign_id_is_the_key_when_given() {
        let (key, hash) = document_key(Some("a/b.pdf"), Some("abc")).unwrap();
        assert_eq!(key, DocumentKey::ForeignId("a/b.pdf".into()));
        assert_eq!(hash.as_deref(), Some("abc"));
        let (key, _) = document_key(None, Some("abc")).unwrap();
        assert_eq!(key, DocumentKey::ContentHash("abc".into()));
        assert!(document_key(None, None).is_err());
        assert!(document_key(Some(""), None).is_err());
    }
}
