//! The search index: what Aleph keeps in Elasticsearch, behind a trait.
//!
//! The store is the source of truth; this index is derived from it and can be rebuilt at
//! any time. It answers Aleph's searches: full text with Aleph's query language, exact and
//! range filters, facets with drill-down, highlighting, sorting and paging, and streams of
//! ids for exports — always inside a [`ReadScope`], so no read can reveal an entity of a
//! collection the caller may not see.
//!
//! - [`SearchIndex`]: the async, object-safe interface (`Arc<dyn SearchIndex>`) that callers
//!   use, so that an OpenSearch backend can be added without touching them;
//! - [`TantivyIndex`]: the embedded backend (a directory, or memory for tests);
//! - [`OpenSearchIndex`]: the scale-out backend, an OpenSearch cluster over HTTP, with the
//!   same query-language semantics (text is analyzed in Rust for both);
//! - [`query`]: Aleph's query language as pure functions: the `q` parser, field names and
//!   [`SearchQuery`], read from HTTP parameters;
//! - [`analysis`]: how text becomes tokens (lower-case ASCII, transliterated) and names
//!   become comparison keys;
//! - [`highlight`]: `<em>` fragments from stored text of any length.
//!
//! ```no_run
//! # async fn demo() -> Result<(), index::IndexError> {
//! use index::{IndexDoc, ReadScope, SearchIndex, SearchQuery, TantivyIndex, TantivyOptions};
//!
//! let index = TantivyIndex::open("./aleph-data/index".as_ref(), TantivyOptions::default())?;
//! let mut entity = ftm::Entity::with_id("Person", "p1").expect("Person is a schema");
//! entity.add("name", "Vladimir Putin").expect("name is a property of Person");
//! index.index(vec![IndexDoc::new(entity, 1)]).await?;
//! index.commit().await?;
//!
//! let query = SearchQuery::from_params(&[
//!     ("q".to_string(), "Путин".to_string()),
//!     ("facet".to_string(), "countries".to_string()),
//! ])?;
//! let result = index.search(&ReadScope::collections([1]), &query).await?;
//! assert_eq!(result.hits[0].id, "p1");
//! # Ok(())
//! # }
//! ```

pub mod analysis;
mod backend;
mod doc;
mod error;
pub mod highlight;
pub mod opensearch;
pub mod query;
mod result;
mod scope;
mod tantivy;

pub use backend::{IdStream, SearchIndex};
pub use doc::IndexDoc;
pub use error::IndexError;
pub use opensearch::{OpenSearchIndex, OpenSearchOptions};
pub use query::{QueryError, SearchQuery};
pub use result::{FacetResult, FacetValue, Hit, SearchResult};
pub use scope::ReadScope;
pub use tantivy::{MergeMode, TantivyIndex, TantivyOptions};
