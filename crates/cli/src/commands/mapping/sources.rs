//! Opening a query's records: CSV files and downloads, and database queries.
//!
//! Database rows are read on a thread of their own and handed over in batches through a
//! bounded channel, so that the drivers' borrowing row iterators need not live in the
//! mapping loop, reading overlaps mapping, and memory stays bounded.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use anyhow::Context;
use ftm::mapping::config::SourceSpec;
use ftm::mapping::csv::CsvRecords;
use ftm::mapping::sql::Dialect;
use ftm::mapping::{QueryMapping, Record, SourceError};

use super::sql;

/// Records handed over per message.
const BATCH: usize = 512;
/// Batches in flight between the reading thread and the mapping loop.
const IN_FLIGHT: usize = 8;

/// The records of a query's source, in source order.
pub type Records = Box<dyn Iterator<Item = Result<Record, SourceError>> + Send>;

/// Open the source of `query`. CSV files are read one after the other; a database query
/// runs on its own thread.
pub fn open(query: &QueryMapping) -> anyhow::Result<Records> {
    match query.source() {
        SourceSpec::Csv { urls } => {
            let mut parts: Vec<Records> = Vec::new();
            for url in urls {
                parts.push(open_csv(url)?);
            }
            Ok(Box::new(parts.into_iter().flatten()))
        }
        SourceSpec::Sql(spec) => {
            let dialect = Dialect::from_url(&spec.database).with_context(|| {
                format!(
                    "unsupported database URL {:?} (use sqlite:///, postgresql:// or mysql://)",
                    redact(&spec.database)
                )
            })?;
            sql::open(dialect, spec, query)
        }
    }
}

/// A CSV file by path or `file://` URL, or a download over HTTP(S).
fn open_csv(url: &str) -> anyhow::Result<Records> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let client = reqwest::blocking::Client::builder()
            .user_agent(concat!("aleph/", env!("CARGO_PKG_VERSION"), " (aleph map)"))
            .timeout(None)
            .build()?;
        let response = client
            .get(url)
            .send()
            .with_context(|| format!("cannot download {url}"))?;
        if !response.status().is_success() {
            anyhow::bail!("Failed to open CSV: {url} (HTTP {})", response.status());
        }
        return Ok(Box::new(CsvRecords::new(response, url)?));
    }
    Ok(Box::new(CsvRecords::open(url)?))
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Hands records from a producer thread to the consumer, in batches.
pub struct RecordSender {
    tx: SyncSender<Result<Vec<Record>, SourceError>>,
    batch: Vec<Record>,
}

impl RecordSender {
    /// Queue a record; `false` when the reader is gone and the producer should stop.
    pub fn send(&mut self, record: Record) -> bool {
        self.batch.push(record);
        if self.batch.len() >= BATCH {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            return self.tx.send(Ok(batch)).is_ok();
        }
        true
    }

    fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let batch = std::mem::take(&mut self.batch);
        self.tx.send(Ok(batch)).is_ok()
    }
}

/// Records produced by a function running on its own thread.
pub struct ThreadRecords {
    rx: Receiver<Result<Vec<Record>, SourceError>>,
    current: std::vec::IntoIter<Record>,
    handle: Option<JoinHandle<()>>,
}

impl ThreadRecords {
    pub fn spawn<F>(name: &str, produce: F) -> ThreadRecords
    where
        F: FnOnce(&mut RecordSender) -> Result<(), SourceError> + Send + 'static,
    {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let mut sender = RecordSender {
                    tx: tx.clone(),
                    batch: Vec::with_capacity(BATCH),
                };
                match produce(&mut sender) {
                    Ok(()) => {
                        sender.flush();
                    }
                    Err(e) => {
                        sender.flush();
                        let _ = tx.send(Err(e));
                    }
                }
            });
        match handle {
            Ok(handle) => ThreadRecords {
                rx,
                current: Vec::new().into_iter(),
                handle: Some(handle),
            },
            Err(e) => {
                // No thread: the receiver reports the failure as the only item.
                let (tx, rx) = sync_channel(1);
                let _ = tx.send(Err(SourceError::Io(e)));
                ThreadRecords {
                    rx,
                    current: Vec::new().into_iter(),
                    handle: None,
                }
            }
        }
    }
}

impl Iterator for ThreadRecords {
    type Item = Result<Record, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(record) = self.current.next() {
                return Some(Ok(record));
            }
            match self.rx.recv() {
                Ok(Ok(batch)) => self.current = batch.into_iter(),
                Ok(Err(e)) => return Some(Err(e)),
                Err(_) => {
                    if let Some(handle) = self.handle.take()
                        && handle.join().is_err()
                    {
                        return Some(Err(SourceError::Read {
                            source_name: "database".into(),
                            message: "the reading thread panicked".into(),
                        }));
                    }
                    return None;
                }
            }
        }
    }
}
