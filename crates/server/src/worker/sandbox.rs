//! Running an extractor on one file, in a child process by default.
//!
//! The child (`aleph ingest-file`, see `ingest::remote`) caps its own memory; we cap its
//! time and kill it when that runs out. Whatever happens to the child — a panic, an abort on
//! an allocation failure, a hang — becomes a failure of this file with a reason, and the
//! worker goes on with the next job.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use ftm::Entity;
use ingest::remote::{Message, Request};
use ingest::{CollectingSink, ErrorClass, IngestError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// How extractors are run.
#[derive(Debug, Clone)]
pub enum Isolation {
    /// A child process per file (the `aleph` executable with `ingest-file`).
    Subprocess {
        exe: PathBuf,
        memory_limit: Option<u64>,
        timeout: Duration,
    },
    /// In this process, on a blocking thread: faster, but a hang or a memory blow-up takes
    /// the worker with it. For tests and trusted input.
    InProcess,
}

impl Isolation {
    /// A child process of the running executable, with the given limits.
    pub fn subprocess(memory_limit: Option<u64>, timeout: Duration) -> std::io::Result<Isolation> {
        Ok(Isolation::Subprocess {
            exe: std::env::current_exe()?,
            memory_limit,
            timeout,
        })
    }
}

/// What an extractor produced for one file.
#[derive(Debug, Default)]
pub struct Extraction {
    /// The file's entity, narrowed and filled in (`None` only on failure).
    pub entity: Option<Entity>,
    pub format: String,
    pub entities: Vec<Entity>,
    pub children: Vec<(PathBuf, Entity)>,
    pub blobs: Vec<(PathBuf, String)>,
}

/// Run the extractor for `request`.
pub async fn extract(isolation: &Isolation, request: Request) -> Result<Extraction, IngestError> {
    match isolation {
        Isolation::InProcess => in_process(request).await,
        Isolation::Subprocess {
            exe,
            memory_limit,
            timeout,
        } => {
            let mut request = request;
            request.memory_limit = *memory_limit;
            subprocess(exe, request, *timeout).await
        }
    }
}

async fn in_process(request: Request) -> Result<Extraction, IngestError> {
    tokio::task::spawn_blocking(move || {
        let mut entity = Entity::from_json(request.entity.clone(), true)?;
        let info = ingest::FileInfo {
            file_name: request.file_name.clone(),
            mime_type: request.mime_type.clone(),
        };
        let ctx = ingest::Context {
            limits: request.limits.clone(),
            ocr: request.ocr.clone(),
            work_dir: request.work_dir.clone(),
            depth: request.depth,
            libreoffice: request.libreoffice.clone(),
        };
        let mut sink = CollectingSink::default();
        let format = ingest::ingest(&mut entity, &request.path, &info, &ctx, &mut sink)?;
        Ok(Extraction {
            entity: Some(entity),
            format: format!("{format:?}").to_lowercase(),
            entities: sink.entities,
            children: sink
                .children
                .into_iter()
                .map(|c| (c.path, c.entity))
                .collect(),
            blobs: sink.blobs.into_iter().map(|(h, p)| (p, h)).collect(),
        })
    })
    .await
    .map_err(|e| IngestError::new(ErrorClass::Internal, format!("extractor task failed: {e}")))?
}

fn internal(message: impl Into<String>) -> IngestError {
    IngestError::new(ErrorClass::Internal, message)
}

fn entity_from(value: serde_json::Value) -> Result<Entity, IngestError> {
    Entity::from_json(value, true)
        .map_err(|e| internal(format!("extractor sent an invalid entity: {e}")))
}

async fn subprocess(
    exe: &PathBuf,
    request: Request,
    timeout: Duration,
) -> Result<Extraction, IngestError> {
    let mut child = tokio::process::Command::new(exe)
        .arg("ingest-file")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // OCR and other tools the child starts use one thread each (see the OCR budget).
        .env("OMP_THREAD_LIMIT", "1")
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| internal(format!("cannot start the extractor process: {e}")))?;
    let input = serde_json::to_vec(&request).map_err(|e| internal(e.to_string()))?;
    let mut stdin = child.stdin.take().ok_or_else(|| internal("no stdin"))?;
    let stdout = child.stdout.take().ok_or_else(|| internal("no stdout"))?;
    let mut stderr = child.stderr.take().ok_or_else(|| internal("no stderr"))?;

    let work = async {
        stdin.write_all(&input).await?;
        drop(stdin);
        let mut out = Extraction::default();
        let mut last: Option<Result<(), IngestError>> = None;
        let mut lines = BufReader::new(stdout).lines();
        while let Some(line) = lines.next_line().await? {
            let message: Message = match serde_json::from_str(&line) {
                Ok(m) => m,
                Err(e) => {
                    last = Some(Err(internal(format!("garbled extractor output: {e}"))));
                    break;
                }
            };
            match message {
                Message::Entity(value) => out.entities.push(entity_from(value)?),
                Message::Child { path, entity } => out.children.push((path, entity_from(entity)?)),
                Message::Blob { path, hash } => out.blobs.push((path, hash)),
                Message::Done { entity, format } => {
                    out.entity = Some(entity_from(entity)?);
                    out.format = format;
                    last = Some(Ok(()));
                }
                Message::Error { class, message } => {
                    let class = ErrorClass::parse(&class).unwrap_or(ErrorClass::Internal);
                    last = Some(Err(IngestError::new(class, message)));
                }
            }
        }
        Ok::<_, IngestError>((out, last))
    };

    let outcome = tokio::time::timeout(timeout, work).await;
    let mut diagnostics = String::new();
    match outcome {
        Err(_) => {
            let _ = child.kill().await;
            Err(IngestError::limit(format!(
                "processing took longer than {} seconds and was stopped",
                timeout.as_secs()
            )))
        }
        Ok(Err(e)) => {
            let _ = child.kill().await;
            Err(e)
        }
        Ok(Ok((out, last))) => {
            let status = child
                .wait()
                .await
                .map_err(|e| internal(format!("extractor process lost: {e}")))?;
            let _ = (&mut stderr)
                .take(16 * 1024)
                .read_to_string(&mut diagnostics)
                .await;
            match last {
                Some(Ok(())) => Ok(out),
                Some(Err(e)) => Err(e),
                None => Err(died(status, &diagnostics)),
            }
        }
    }
}

/// A child that ended without a final message: say how, with the last words it wrote.
fn died(status: std::process::ExitStatus, diagnostics: &str) -> IngestError {
    #[cfg(unix)]
    let how = {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(6) => "aborted (most likely out of its memory limit)".to_string(),
            Some(9) => "killed".to_string(),
            Some(11) => "crashed (segmentation fault)".to_string(),
            Some(sig) => format!("stopped by signal {sig}"),
            None => format!("exited with {status}"),
        }
    };
    #[cfg(not(unix))]
    let how = format!("exited with {status}");
    let tail: String = diagnostics
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    let message = if tail.is_empty() {
        format!("the extractor process {how}")
    } else {
        format!("the extractor process {how}: {tail}")
    };
    IngestError::new(ErrorClass::Internal, message)
}
