//! The embedded backend: a Tantivy index in a directory (or in memory, for tests).
//!
//! Writes go through one `IndexWriter` with a large heap; documents are added and deleted
//! under a shared lock and committed under an exclusive one, so indexing batches from
//! several workers interleave freely and a commit waits for the batches in flight. Searches
//! read the last committed state and fan out over segments on a small thread pool. All
//! Tantivy work runs on tokio's blocking pool.

pub(crate) mod collect;
mod column_match;
pub(crate) mod compile;
pub(crate) mod document;
mod keyword_match;
mod plain_seek;
mod schema;
pub(crate) mod search;
mod tokenizer;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::{LogMergePolicy, NoMergePolicy, UserOperation};
use tantivy::schema::Term;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy};

pub use self::schema::Fields;
use self::search::Mode;
use self::tokenizer::AlephTokenizer;
use crate::backend::{IdStream, SearchIndex};
use crate::doc::IndexDoc;
use crate::error::IndexError;
use crate::query::SearchQuery;
use crate::result::{FacetResult, SearchResult};
use crate::scope::ReadScope;

/// Tuning of the Tantivy backend.
#[derive(Debug, Clone)]
pub struct TantivyOptions {
    /// Memory for the writer's in-memory segments, shared by its threads; larger heaps mean
    /// fewer, larger segments and faster bulk indexing.
    pub writer_heap_bytes: usize,
    /// Indexing threads.
    pub writer_threads: usize,
    /// Threads a single search may use (one per segment at most).
    pub search_threads: usize,
    /// Ids per batch of [`SearchIndex::stream_ids`].
    pub stream_batch: usize,
    /// When segments are merged.
    pub merges: MergeMode,
}

/// When the writer merges segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MergeMode {
    /// In the background as commits add segments, in layers of similar size, so that a
    /// live index fed by many small commits rewrites each document a few times only.
    #[default]
    Layered,
    /// Never while this writer lives: a bulk load writes large segments and would only
    /// rewrite them (about a tenth of its CPU); the next ordinary writer merges them.
    Deferred,
}

impl Default for TantivyOptions {
    fn default() -> TantivyOptions {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        TantivyOptions {
            writer_heap_bytes: 512 << 20,
            writer_threads: cores.clamp(1, 8),
            search_threads: cores.clamp(1, 8),
            stream_batch: 1000,
            merges: MergeMode::default(),
        }
    }
}

struct Inner {
    index: Index,
    reader: IndexReader,
    /// `None` only while [`TantivyIndex::wait_for_merges`] replaces the writer.
    writer: RwLock<Option<IndexWriter>>,
    fields: Fields,
    options: TantivyOptions,
}

/// A [`SearchIndex`] backed by Tantivy.
#[derive(Clone)]
pub struct TantivyIndex {
    inner: Arc<Inner>,
}

impl TantivyIndex {
    /// Opens the index in `path`, creating it (and the directory) when there is none.
    /// An index built with another field layout is refused: rebuild it from the store.
    pub fn open(path: &Path, options: TantivyOptions) -> Result<TantivyIndex, IndexError> {
        let fields = Fields::build();
        let index = open_or_create(path, &fields)?;
        TantivyIndex::from_index(index, fields, options)
    }

    /// Opens the index for searching only, without taking the writer lock, so a second
    /// process (a worker, a command-line search) can read while the server owns the
    /// writer. It sees what the writer commits within about half a second; writes fail.
    /// A missing index is created empty, still without the writer lock.
    pub fn open_read_only(
        path: &Path,
        options: TantivyOptions,
    ) -> Result<TantivyIndex, IndexError> {
        let fields = Fields::build();
        let mut index = open_or_create(path, &fields)?;
        index.tokenizers().register(
            schema::TOKENIZER,
            TextAnalyzer::from(AlephTokenizer::default()),
        );
        if options.search_threads > 1 {
            index.set_multithread_executor(options.search_threads)?;
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(TantivyIndex {
            inner: Arc::new(Inner {
                index,
                reader,
                writer: RwLock::new(None),
                fields,
                options,
            }),
        })
    }

    /// A new index held in memory (for tests and tools).
    pub fn in_memory(options: TantivyOptions) -> Result<TantivyIndex, IndexError> {
        let fields = Fields::build();
        let index = Index::create_in_ram(fields.schema.clone());
        TantivyIndex::from_index(index, fields, options)
    }

    fn from_index(
        mut index: Index,
        fields: Fields,
        options: TantivyOptions,
    ) -> Result<TantivyIndex, IndexError> {
        index.tokenizers().register(
            schema::TOKENIZER,
            TextAnalyzer::from(AlephTokenizer::default()),
        );
        if options.search_threads > 1 {
            index.set_multithread_executor(options.search_threads)?;
        }
        let writer = new_writer(&index, &options)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(TantivyIndex {
            inner: Arc::new(Inner {
                index,
                reader,
                writer: RwLock::new(Some(writer)),
                fields,
                options,
            }),
        })
    }

    /// Bytes used by the committed index, and the number of segments.
    pub fn disk_usage(&self) -> Result<(u64, usize), IndexError> {
        let searcher = self.inner.reader.searcher();
        let usage = searcher.space_usage()?;
        Ok((usage.total().get_bytes(), searcher.segment_readers().len()))
    }

    /// Number of committed, live documents.
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// The field layout (for tools that inspect the index).
    pub fn fields(&self) -> &Fields {
        &self.inner.fields
    }

    /// Waits until background merges have finished, then reloads the reader (tools and
    /// benchmarks; searches do not need it). Uncommitted writes are discarded.
    pub async fn wait_for_merges(&self) -> Result<(), IndexError> {
        self.blocking(|inner| {
            let mut slot = inner.writer.write().map_err(|_| poisoned())?;
            if let Some(writer) = slot.take() {
                writer.wait_merging_threads()?;
            }
            *slot = Some(new_writer(&inner.index, &inner.options)?);
            drop(slot);
            inner.reader.reload()?;
            Ok(())
        })
        .await
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T, IndexError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, IndexError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner)).await?
    }
}

/// The file beside Tantivy's that names the on-disk format version, for what the schema
/// comparison cannot see: version 2 stores term dictionaries as sstables (Tantivy's
/// `quickwit` feature), which a bulk load builds at a fraction of the CPU of the finite
/// state transducers of version 1 (indexes without the file); Tantivy refuses to read a
/// dictionary of the other kind. Version 3 indexes each value of a grouped property once,
/// in its group field, keeping only a fast column per property (`grouped_properties`; the
/// schema comparison would also catch it, the number says so plainly). Version 4 writes
/// term-dictionary blocks uncompressed (this build has no zstd in Tantivy, see the crate's
/// `Cargo.toml`), so it cannot read the zstd-compressed blocks of version 3.
pub const LAYOUT_FILE: &str = "aleph-layout";
/// The format version this build writes and reads.
pub const LAYOUT_VERSION: u32 = 4;

/// The index in `path`, created (with the directory) when there is none; refused when it
/// was written with another schema or format. Takes no writer lock.
fn open_or_create(path: &Path, fields: &Fields) -> Result<Index, IndexError> {
    std::fs::create_dir_all(path)?;
    let dir = MmapDirectory::open(path).map_err(|e| IndexError::Engine(e.to_string()))?;
    let marker = path.join(LAYOUT_FILE);
    if !Index::exists(&dir).map_err(|e| IndexError::Engine(e.to_string()))? {
        // The marker first: an index never exists without it.
        std::fs::write(&marker, format!("{LAYOUT_VERSION}\n"))?;
        return match Index::create(
            dir.clone(),
            fields.schema.clone(),
            tantivy::IndexSettings::default(),
        ) {
            Ok(index) => Ok(index),
            // Another process created it meanwhile.
            Err(_) if Index::exists(&dir).unwrap_or(false) => Ok(Index::open(dir)?),
            Err(e) => Err(e.into()),
        };
    }
    let found = match std::fs::read_to_string(&marker) {
        Ok(text) => text.trim().parse::<u32>().ok(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(1),
        Err(e) => return Err(e.into()),
    };
    if found != Some(LAYOUT_VERSION) {
        return Err(IndexError::OutdatedFormat {
            path: path.display().to_string(),
            found: found.map_or_else(|| "unknown".to_string(), |v| v.to_string()),
            current: LAYOUT_VERSION,
        });
    }
    let index = Index::open(dir)?;
    if index.schema() != fields.schema {
        return Err(IndexError::IncompatibleLayout {
            path: path.display().to_string(),
        });
    }
    Ok(index)
}

fn new_writer(index: &Index, options: &TantivyOptions) -> Result<IndexWriter, IndexError> {
    let writer = index.writer_with_num_threads(
        options.writer_threads.max(1),
        options.writer_heap_bytes.max(15 << 20),
    )?;
    match options.merges {
        MergeMode::Layered => {
            // Tantivy's default puts every segment under 10,000 documents in one layer,
            // so a live index committing a few dozen documents at a time merged its
            // growing small segment again every eight commits (30% of a server's CPU
            // during ingestion). Layers from 500 documents up keep merges logarithmic.
            let mut policy = LogMergePolicy::default();
            policy.set_min_layer_size(MIN_LAYER_SIZE);
            writer.set_merge_policy(Box::new(policy));
        }
        MergeMode::Deferred => writer.set_merge_policy(Box::new(NoMergePolicy)),
    }
    Ok(writer)
}

/// The smallest segment size (documents) [`MergeMode::Layered`] tells apart.
const MIN_LAYER_SIZE: u32 = 500;

impl Inner {
    /// Adds `docs`, first deleting any earlier document of each id when `replace`.
    fn add(&self, docs: &[IndexDoc], replace: bool) -> Result<(), IndexError> {
        // Check every document first so that an invalid one fails the batch unwritten;
        // then build and add them one by one, so that building overlaps with the
        // writer's indexing threads.
        for d in docs {
            document::check(d)?;
        }
        self.with_writer(|writer| {
            for d in docs {
                let doc = document::build(&self.fields, d)?;
                if replace {
                    // One group, so that the delete and the add get consecutive stamps:
                    // a delete only removes documents stamped before it, and two callers
                    // replacing one id at once (uploads making one folder) could
                    // otherwise both delete before either adds, leaving it indexed twice.
                    let id = d.entity.id().unwrap_or_default();
                    writer.run([
                        UserOperation::Delete(Term::from_field_text(self.fields.id, id)),
                        UserOperation::Add(doc),
                    ])?;
                } else {
                    writer.add_document(doc)?;
                }
            }
            Ok(())
        })
    }

    /// Runs `f` with the writer under the shared lock (adds and deletes).
    fn with_writer<T>(
        &self,
        f: impl FnOnce(&IndexWriter) -> Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        let guard = self.writer.read().map_err(|_| poisoned())?;
        let writer = guard.as_ref().ok_or_else(no_writer)?;
        f(writer)
    }
}

fn no_writer() -> IndexError {
    IndexError::Task("the index writer is being replaced".to_string())
}

fn poisoned() -> IndexError {
    IndexError::Task("the index writer lock is poisoned".to_string())
}

#[async_trait]
impl SearchIndex for TantivyIndex {
    async fn index(&self, docs: Vec<IndexDoc>) -> Result<(), IndexError> {
        self.blocking(move |inner| inner.add(&docs, true)).await
    }

    async fn index_new(&self, docs: Vec<IndexDoc>) -> Result<(), IndexError> {
        // Each delete is a term lookup in every segment at the next commit (about 5% of
        // a bulk load's CPU in a profile), wasted when nothing is there to delete.
        self.blocking(move |inner| inner.add(&docs, false)).await
    }

    async fn delete_entities(&self, ids: Vec<String>) -> Result<(), IndexError> {
        self.blocking(move |inner| {
            inner.with_writer(|writer| {
                for id in ids {
                    writer.delete_term(Term::from_field_text(inner.fields.id, &id));
                }
                Ok(())
            })
        })
        .await
    }

    async fn delete_collection(&self, collection_id: i64) -> Result<(), IndexError> {
        self.blocking(move |inner| {
            inner.with_writer(|writer| {
                writer.delete_term(Term::from_field_i64(
                    inner.fields.collection_id,
                    collection_id,
                ));
                Ok(())
            })
        })
        .await
    }

    async fn commit(&self) -> Result<(), IndexError> {
        self.blocking(|inner| {
            let mut guard = inner.writer.write().map_err(|_| poisoned())?;
            guard.as_mut().ok_or_else(no_writer)?.commit()?;
            drop(guard);
            inner.reader.reload()?;
            Ok(())
        })
        .await
    }

    async fn search(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<SearchResult, IndexError> {
        let (scope, query) = (scope.clone(), query.clone());
        self.blocking(move |inner| {
            search::search(
                &inner.reader.searcher(),
                &inner.fields,
                &scope,
                &query,
                Mode::Full,
            )
        })
        .await
    }

    async fn count(&self, scope: &ReadScope, query: &SearchQuery) -> Result<u64, IndexError> {
        let (scope, query) = (scope.clone(), query.clone());
        self.blocking(move |inner| {
            search::count(&inner.reader.searcher(), &inner.fields, &scope, &query)
        })
        .await
    }

    async fn facets(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<BTreeMap<String, FacetResult>, IndexError> {
        let (scope, query) = (scope.clone(), query.clone());
        self.blocking(move |inner| {
            search::search(
                &inner.reader.searcher(),
                &inner.fields,
                &scope,
                &query,
                Mode::FacetsOnly,
            )
            .map(|r| r.facets)
        })
        .await
    }

    async fn stream_ids(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<IdStream, IndexError> {
        let (sender, stream) = IdStream::channel(4);
        let (scope, query) = (scope.clone(), query.clone());
        let inner = self.inner.clone();
        // Check the request before answering, so a bad query is an error here rather
        // than in the stream.
        compile::compile(&inner.fields, &scope, &query)?;
        tokio::task::spawn_blocking(move || {
            let searcher = inner.reader.searcher();
            let batch = inner.options.stream_batch.max(1);
            if let Err(e) =
                search::stream_ids(&searcher, &inner.fields, &scope, &query, batch, &sender)
            {
                let _ = sender.blocking_send(Err(e));
            }
        });
        Ok(stream)
    }

    async fn collection_counts(&self, scope: &ReadScope) -> Result<BTreeMap<i64, u64>, IndexError> {
        let scope = scope.clone();
        self.blocking(move |inner| {
            search::collection_counts(&inner.reader.searcher(), &inner.fields, &scope)
        })
        .await
    }
}
