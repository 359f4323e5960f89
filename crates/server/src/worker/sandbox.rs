//! Running an extractor on one file, in a child process by default.
//!
//! The child (`aleph ingest-file`, see `ingest::remote`) caps its own memory; we cap its
//! time and kill it when that runs out. Whatever happens to the child — a panic, an abort on
//! an allocation failure, a hang — becomes a failure of this file with a reason, and the
//! worker goes on with the next job.
//!
//! Children are kept between files: starting the executable (loading and relocating it,
//! faulting its pages in) cost more CPU than extracting a small file. A child that
//! answered goes back to an idle list and takes the next request; one that died, hung,
//! or wrote something we could not read is killed and never reused, and one that has
//! served [`FILES_PER_CHILD`] files is retired, so that memory a parser leaked or
//! fragmented does not pile up.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ftm::Entity;
use ingest::remote::{Message, Request};
use ingest::{CollectingSink, ErrorClass, IngestError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::task::JoinHandle;

/// Files one child process handles before it is replaced.
pub const FILES_PER_CHILD: u32 = 500;
/// Idle children kept at most (the rest end when they are handed back).
const IDLE_CHILDREN: usize = 16;
/// How long an idle child may take to exit once its input is closed.
const FINISH_GRACE: Duration = Duration::from_secs(5);
/// How much of a child's standard error is kept to explain its death.
const STDERR_TAIL: usize = 16 * 1024;

/// How extractors are run.
#[derive(Debug, Clone)]
pub enum Isolation {
    /// A child process per file (the `aleph` executable with `ingest-file`).
    Subprocess {
        exe: PathBuf,
        memory_limit: Option<u64>,
        timeout: Duration,
        /// Children waiting for their next file.
        pool: Arc<Pool>,
    },
    /// In this process, on a blocking thread: faster, but a hang or a memory blow-up takes
    /// the worker with it. For tests and trusted input.
    InProcess,
}

impl Isolation {
    /// End the idle extractor children and wait for them. Called when the worker stops,
    /// after its jobs: no child outlives the worker, and the CPU the children used is
    /// counted in the worker's own accounting (a child that is only killed on drop is
    /// never waited for).
    pub async fn shut_down(&self) {
        if let Isolation::Subprocess { pool, .. } = self {
            pool.close().await;
        }
    }

    /// A child process of the running executable, with the given limits.
    pub fn subprocess(memory_limit: Option<u64>, timeout: Duration) -> std::io::Result<Isolation> {
        Ok(Isolation::Subprocess {
            exe: std::env::current_exe()?,
            memory_limit,
            timeout,
            pool: Arc::default(),
        })
    }
}

/// Idle extractor processes, shared by the worker's slots.
#[derive(Default)]
pub struct Pool {
    idle: Mutex<Vec<Extractor>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle = self.idle.lock().map(|i| i.len()).unwrap_or(0);
        f.debug_struct("Pool").field("idle", &idle).finish()
    }
}

impl Pool {
    fn take(&self) -> Option<Extractor> {
        self.idle.lock().ok()?.pop()
    }

    fn give_back(&self, child: Extractor) {
        let child = if child.served >= FILES_PER_CHILD {
            Some(child)
        } else {
            match self.idle.lock() {
                Ok(mut idle) if idle.len() < IDLE_CHILDREN => {
                    idle.push(child);
                    None
                }
                _ => Some(child),
            }
        };
        // A retired child ends at the end of its input; waited for in the background.
        if let Some(retired) = child {
            tokio::spawn(retired.finish());
        }
    }

    /// End every idle child; returns how each one ended.
    async fn close(&self) -> Vec<Option<std::process::ExitStatus>> {
        let idle = match self.idle.lock() {
            Ok(mut idle) => std::mem::take(&mut *idle),
            Err(_) => return Vec::new(),
        };
        let mut ended = Vec::with_capacity(idle.len());
        for child in idle {
            ended.push(child.finish().await);
        }
        ended
    }
}

/// A running `aleph ingest-file` process. Dropping it closes its input and kills it.
struct Extractor {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// The end of its standard error, once it has closed it (that is, died).
    stderr: JoinHandle<String>,
    served: u32,
}

impl Extractor {
    fn start(exe: &PathBuf) -> Result<Extractor, IngestError> {
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
        let stdin = child.stdin.take().ok_or_else(|| internal("no stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| internal("no stdout"))?;
        let mut stderr = child.stderr.take().ok_or_else(|| internal("no stderr"))?;
        // Drained all the time, or a chatty child would block on a full pipe.
        let stderr = tokio::spawn(async move {
            let mut tail: Vec<u8> = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
            String::from_utf8_lossy(&tail).into_owned()
        });
        Ok(Extractor {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            stderr,
            served: 0,
        })
    }

    /// Send one request and read the answer up to its final message: the file's
    /// extraction or its failure.
    async fn exchange(&mut self, input: &[u8]) -> Result<Result<Extraction, IngestError>, Broken> {
        self.stdin.write_all(input).await.map_err(|_| Broken::Io)?;
        self.stdin.flush().await.map_err(|_| Broken::Io)?;
        let mut out = Extraction::default();
        while let Some(line) = self.stdout.next_line().await.map_err(|_| Broken::Io)? {
            let message: Message = serde_json::from_str(&line)
                .map_err(|e| Broken::Garbled(format!("garbled extractor output: {e}")))?;
            match message {
                Message::Entity(value) => out.entities.push(entity_from(value)?),
                Message::Child { path, entity } => out.children.push((path, entity_from(entity)?)),
                Message::Blob { path, hash } => out.blobs.push((path, hash)),
                Message::Done { entity, format } => {
                    out.entity = Some(entity_from(entity)?);
                    out.format = format;
                    return Ok(Ok(out));
                }
                Message::Error { class, message } => {
                    let class = ErrorClass::parse(&class).unwrap_or(ErrorClass::Internal);
                    return Ok(Err(IngestError::new(class, message)));
                }
            }
        }
        Err(Broken::Ended)
    }

    /// Close its input, on which an idle child exits, and wait for it; a child that does
    /// not end within [`FINISH_GRACE`] is killed. `None` if it could not be waited for.
    async fn finish(self) -> Option<std::process::ExitStatus> {
        let Extractor {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        match tokio::time::timeout(FINISH_GRACE, child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => {
                let _ = child.kill().await;
                child.wait().await.ok()
            }
        }
    }

    /// Why a child that stopped answering is gone: its exit status and last words.
    async fn autopsy(mut self) -> IngestError {
        let status = match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(Ok(status)) => status,
            _ => {
                let _ = self.child.kill().await;
                return internal("the extractor process stopped answering");
            }
        };
        let diagnostics = tokio::time::timeout(Duration::from_secs(1), &mut self.stderr)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        died(status, &diagnostics)
    }
}

/// How a request to a child ended when it did not end in a final message.
enum Broken {
    /// Its pipes failed (it closed them, most likely by dying).
    Io,
    Garbled(String),
    /// Its output ended: the process died.
    Ended,
}

impl From<IngestError> for Broken {
    fn from(e: IngestError) -> Broken {
        Broken::Garbled(e.message)
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
            pool,
        } => {
            let mut request = request;
            request.memory_limit = *memory_limit;
            subprocess(exe, pool, request, *timeout).await
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
    pool: &Pool,
    request: Request,
    timeout: Duration,
) -> Result<Extraction, IngestError> {
    let mut input = serde_json::to_vec(&request).map_err(|e| internal(e.to_string()))?;
    input.push(b'\n');
    let mut child = match pool.take() {
        Some(child) => child,
        None => Extractor::start(exe)?,
    };
    match tokio::time::timeout(timeout, child.exchange(&input)).await {
        Err(_) => {
            let _ = child.child.kill().await;
            Err(IngestError::limit(format!(
                "processing took longer than {} seconds and was stopped",
                timeout.as_secs()
            )))
        }
        Ok(Ok(answer)) => {
            child.served += 1;
            pool.give_back(child);
            answer
        }
        Ok(Err(Broken::Garbled(message))) => {
            let _ = child.child.kill().await;
            Err(internal(message))
        }
        // A broken pipe on writing means it died too: ask why.
        Ok(Err(Broken::Io | Broken::Ended)) => Err(child.autopsy().await),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for `aleph ingest-file`: reads its input to the end, then exits.
    fn extractor_script(dir: &std::path::Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let exe = dir.join("extractor");
        std::fs::write(&exe, "#!/bin/sh\ncat >/dev/null\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        exe
    }

    #[tokio::test]
    async fn closing_the_pool_ends_and_waits_for_every_idle_child() {
        let dir = tempfile::tempdir().unwrap();
        let exe = extractor_script(dir.path());
        let pool = Pool::default();
        pool.give_back(Extractor::start(&exe).unwrap());
        pool.give_back(Extractor::start(&exe).unwrap());
        let ended = pool.close().await;
        assert_eq!(ended.len(), 2);
        // Exited on its own at the end of its input (not killed), and was waited for.
        assert!(
            ended.iter().all(|s| s.is_some_and(|s| s.success())),
            "{ended:?}"
        );
        assert!(pool.take().is_none());
    }
}
