//! Collections: the datasets and casefiles entities live in.

use serde::{Deserialize, Serialize};

use crate::{Result, StoreError, Timestamp};

/// What kind of collection this is. Only `Casefile` makes a collection a casefile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    News,
    Leak,
    Land,
    Gazette,
    Court,
    Company,
    Sanctions,
    Procurement,
    Finance,
    Grey,
    Library,
    License,
    Regulatory,
    Poi,
    Customs,
    Census,
    Transport,
    Casefile,
    Other,
}

impl Category {
    /// Every category, in Aleph's order.
    pub const ALL: [Category; 19] = [
        Category::News,
        Category::Leak,
        Category::Land,
        Category::Gazette,
        Category::Court,
        Category::Company,
        Category::Sanctions,
        Category::Procurement,
        Category::Finance,
        Category::Grey,
        Category::Library,
        Category::License,
        Category::Regulatory,
        Category::Poi,
        Category::Customs,
        Category::Census,
        Category::Transport,
        Category::Casefile,
        Category::Other,
    ];

    /// The name Aleph uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::News => "news",
            Category::Leak => "leak",
            Category::Land => "land",
            Category::Gazette => "gazette",
            Category::Court => "court",
            Category::Company => "company",
            Category::Sanctions => "sanctions",
            Category::Procurement => "procurement",
            Category::Finance => "finance",
            Category::Grey => "grey",
            Category::Library => "library",
            Category::License => "license",
            Category::Regulatory => "regulatory",
            Category::Poi => "poi",
            Category::Customs => "customs",
            Category::Census => "census",
            Category::Transport => "transport",
            Category::Casefile => "casefile",
            Category::Other => "other",
        }
    }

    /// Read a category name; as in Aleph, anything unknown is a casefile.
    pub fn parse(name: &str) -> Category {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .unwrap_or(Category::Casefile)
    }
}

/// How often a collection's source is updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    #[default]
    Unknown,
    Never,
    Daily,
    Weekly,
    Monthly,
    Annual,
}

impl Frequency {
    pub const ALL: [Frequency; 6] = [
        Frequency::Unknown,
        Frequency::Never,
        Frequency::Daily,
        Frequency::Weekly,
        Frequency::Monthly,
        Frequency::Annual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Unknown => "unknown",
            Frequency::Never => "never",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Annual => "annual",
        }
    }

    /// Read a frequency name; anything unknown is `Unknown`.
    pub fn parse(name: &str) -> Frequency {
        Frequency::ALL
            .into_iter()
            .find(|f| f.as_str() == name)
            .unwrap_or(Frequency::Unknown)
    }
}

/// A collection as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub id: i64,
    pub foreign_id: String,
    pub label: String,
    pub summary: Option<String>,
    pub category: Category,
    pub countries: Vec<String>,
    pub languages: Vec<String>,
    pub frequency: Frequency,
    pub publisher: Option<String>,
    pub publisher_url: Option<String>,
    pub info_url: Option<String>,
    pub data_url: Option<String>,
    pub creator_id: Option<i64>,
    pub restricted: bool,
    pub xref: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub data_updated_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
}

impl Collection {
    /// Aleph's `casefile` flag, derived from the category.
    pub fn casefile(&self) -> bool {
        self.category == Category::Casefile
    }

    /// Whether the collection has been soft-deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// What a new collection is made of; `NewCollection::new` gives the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCollection {
    pub foreign_id: String,
    pub label: String,
    pub summary: Option<String>,
    pub category: Category,
    pub countries: Vec<String>,
    pub languages: Vec<String>,
    pub frequency: Frequency,
    pub publisher: Option<String>,
    pub publisher_url: Option<String>,
    pub info_url: Option<String>,
    pub data_url: Option<String>,
    pub creator_id: Option<i64>,
    pub restricted: bool,
    pub xref: bool,
}

impl NewCollection {
    /// A casefile with this foreign id and label and nothing else set.
    pub fn new(foreign_id: impl Into<String>, label: impl Into<String>) -> NewCollection {
        NewCollection {
            foreign_id: foreign_id.into(),
            label: label.into(),
            summary: None,
            category: Category::Casefile,
            countries: Vec::new(),
            languages: Vec::new(),
            frequency: Frequency::Unknown,
            publisher: None,
            publisher_url: None,
            info_url: None,
            data_url: None,
            creator_id: None,
            restricted: false,
            xref: false,
        }
    }

    /// Trim and check the fields; empty optional texts become absent, as Aleph drops them.
    pub(crate) fn validated(mut self) -> Result<NewCollection> {
        self.foreign_id = self.foreign_id.trim().to_string();
        if self.foreign_id.is_empty() {
            return Err(StoreError::invalid("collection foreign_id is empty"));
        }
        self.label = required_text("collection label", &self.label)?;
        for field in [
            &mut self.summary,
            &mut self.publisher,
            &mut self.publisher_url,
            &mut self.info_url,
            &mut self.data_url,
        ] {
            *field = optional_text(field.take());
        }
        self.countries = clean_list(std::mem::take(&mut self.countries));
        self.languages = clean_list(std::mem::take(&mut self.languages));
        Ok(self)
    }
}

/// A change to a collection: `None` keeps a field; for optional texts `Some("")` clears it.
/// The foreign id never changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectionUpdate {
    pub label: Option<String>,
    pub summary: Option<String>,
    pub category: Option<Category>,
    pub countries: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    pub frequency: Option<Frequency>,
    pub publisher: Option<String>,
    pub publisher_url: Option<String>,
    pub info_url: Option<String>,
    pub data_url: Option<String>,
    /// `Some(None)` removes the creator.
    pub creator_id: Option<Option<i64>>,
    pub restricted: Option<bool>,
    pub xref: Option<bool>,
}

impl CollectionUpdate {
    /// The collection after this update, validated; `updated_at` is left to the caller.
    pub(crate) fn apply(self, mut c: Collection) -> Result<Collection> {
        if let Some(label) = self.label {
            c.label = required_text("collection label", &label)?;
        }
        let texts = [
            (self.summary, &mut c.summary),
            (self.publisher, &mut c.publisher),
            (self.publisher_url, &mut c.publisher_url),
            (self.info_url, &mut c.info_url),
            (self.data_url, &mut c.data_url),
        ];
        for (new, field) in texts {
            if let Some(v) = new {
                *field = optional_text(Some(v));
            }
        }
        if let Some(v) = self.category {
            c.category = v;
        }
        if let Some(v) = self.countries {
            c.countries = clean_list(v);
        }
        if let Some(v) = self.languages {
            c.languages = clean_list(v);
        }
        if let Some(v) = self.frequency {
            c.frequency = v;
        }
        if let Some(v) = self.creator_id {
            c.creator_id = v;
        }
        if let Some(v) = self.restricted {
            c.restricted = v;
        }
        if let Some(v) = self.xref {
            c.xref = v;
        }
        Ok(c)
    }
}

/// Which collections a listing may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectionScope {
    /// Every collection (admins).
    All,
    /// Only these ids (the caller's readable or writable set).
    Only(Vec<i64>),
}

/// Orderings of a collection listing; ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CollectionSort {
    #[default]
    LabelAsc,
    LabelDesc,
    CreatedAsc,
    CreatedDesc,
    UpdatedDesc,
}

/// A listing request. Label filters are case-insensitive.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionQuery {
    pub scope: CollectionScope,
    pub label_prefix: Option<String>,
    pub label_contains: Option<String>,
    pub foreign_id: Option<String>,
    pub creator_id: Option<i64>,
    pub category: Option<Category>,
    /// Also list soft-deleted collections (to find one to re-create or purge).
    pub include_deleted: bool,
    pub sort: CollectionSort,
    pub limit: u32,
    pub offset: u64,
}

impl CollectionQuery {
    /// Live collections within `scope`, by label, the first 20.
    pub fn new(scope: CollectionScope) -> CollectionQuery {
        CollectionQuery {
            scope,
            label_prefix: None,
            label_contains: None,
            foreign_id: None,
            creator_id: None,
            category: None,
            include_deleted: false,
            sort: CollectionSort::default(),
            limit: 20,
            offset: 0,
        }
    }
}

/// How much of a collection to delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteMode {
    /// Only its contents (Aleph's `keep_metadata=true`): entities, documents and jobs go;
    /// metadata and permissions stay.
    Contents,
    /// Contents and permissions go and the collection is marked deleted; its foreign id
    /// is free again.
    Soft,
    /// The row and everything hanging on it go, even if it was soft-deleted before. Its
    /// blob references go in the same transaction, as a purge's do: the blobs left without
    /// any are marked for deletion ([`CollectionRemoval::unreferenced`]).
    Hard,
}

/// What deleting a collection removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectionRemoval {
    pub fragments: u64,
    pub permissions: u64,
    /// Uploaded document rows.
    pub documents: u64,
    /// Job rows, finished or not: the queue and the ledger of the collection.
    pub jobs: u64,
    /// Whether the collection row itself is gone.
    pub row_removed: bool,
    /// A hard delete's blobs that nothing refers to any more: marked for deletion in the
    /// same transaction, with no collection (no purge will come for them). Remove them
    /// from the archive and [`crate::Store::forget_blob_deletions`], or leave them to
    /// whoever settles stale marks.
    pub unreferenced: Vec<String>,
}

/// The lowercase form labels are filtered and sorted by, so both backends agree.
pub(crate) fn label_key(label: &str) -> String {
    label.to_lowercase()
}

/// A LIKE pattern matching `text` literally (escape character `\`).
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

pub(crate) fn required_text(what: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(StoreError::invalid(format!("{what} is empty")));
    }
    Ok(v.to_string())
}

pub(crate) fn optional_text(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn clean_list(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        let v = v.trim().to_lowercase();
        if !v.is_empty() && !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_category_is_a_casefile() {
        assert_eq!(Category::parse("leak"), Category::Leak);
        assert_eq!(Category::parse("nonsense"), Category::Casefile);
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), c);
        }
        assert_eq!(Frequency::parse("weekly"), Frequency::Weekly);
        assert_eq!(Frequency::parse(""), Frequency::Unknown);
    }

    #[test]
    fn new_collection_is_cleaned() {
        let mut n = NewCollection::new(" fid ", " Label ");
        n.summary = Some("  ".into());
        n.countries = vec!["DE".into(), "de".into(), " ".into(), "fr".into()];
        let n = n.validated().unwrap();
        assert_eq!(n.foreign_id, "fid");
        assert_eq!(n.label, "Label");
        assert_eq!(n.summary, None);
        assert_eq!(n.countries, vec!["de", "fr"]);
        assert!(NewCollection::new("x", "  ").validated().is_err());
        assert!(NewCollection::new("", "Label").validated().is_err());
    }

    #[test]
    fn like_patterns_are_literal_and_lowercase() {
        assert_eq!(like_escape("50%_A\\b"), "50\\%\\_a\\\\b");
    }
}
