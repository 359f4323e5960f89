//! Running one ingest in a child process: the wire format between the worker and
//! `aleph ingest-file`, and the child's side of it.
//!
//! A parser that hangs, loops or eats memory must fail its file, not the worker. So the
//! worker starts a child process per file, writes a [`Request`] to its standard input, and
//! reads [`Message`]s, one JSON object per line, from its standard output. The child caps its
//! own address space before touching the file; the worker kills it when its time is up. A
//! child that dies without a final message failed its file.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use ftm::Entity;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    Child, Context, ErrorClass, FileInfo, IngestError, Limits, OcrConfig, Sink, SinkError,
};

/// What the worker asks the child to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// The file's `Document` entity in FtM JSON.
    pub entity: Value,
    pub path: PathBuf,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub work_dir: PathBuf,
    pub depth: u32,
    pub limits: Limits,
    pub ocr: Option<OcrConfig>,
    pub libreoffice: Option<PathBuf>,
    /// Address-space cap for the child, in bytes.
    pub memory_limit: Option<u64>,
}

/// One line of the child's output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Message {
    /// A derived entity.
    Entity(Value),
    /// A file found inside, written under the work directory.
    Child { path: PathBuf, entity: Value },
    /// A derived file to keep, with its SHA-1.
    Blob { path: PathBuf, hash: String },
    /// Success: the file's entity as the extractor left it, and the detected format.
    Done { entity: Value, format: String },
    /// Failure of this file.
    Error { class: String, message: String },
}

/// A sink that writes each result as a line of JSON.
struct LineSink<W: Write> {
    out: W,
}

impl<W: Write> LineSink<W> {
    fn send(&mut self, message: &Message) -> Result<(), SinkError> {
        serde_json::to_writer(&mut self.out, message).map_err(|e| SinkError(e.to_string()))?;
        self.out
            .write_all(b"\n")
            .map_err(|e| SinkError(e.to_string()))
    }
}

impl<W: Write> Sink for LineSink<W> {
    fn entity(&mut self, entity: Entity) -> Result<(), SinkError> {
        self.send(&Message::Entity(entity.to_json()))
    }

    fn child(&mut self, child: Child) -> Result<(), SinkError> {
        self.send(&Message::Child {
            path: child.path,
            entity: child.entity.to_json(),
        })
    }

    fn blob(&mut self, path: &Path) -> Result<String, SinkError> {
        let hash = crate::detect::sha1_file(path).map_err(|e| SinkError(e.to_string()))?;
        self.send(&Message::Blob {
            path: path.to_path_buf(),
            hash: hash.clone(),
        })?;
        Ok(hash)
    }
}

/// The child's whole job: read one request, ingest, write the results. Returns the error
/// that was reported, if any (the process exits non-zero then).
pub fn serve_one(input: impl BufRead, output: impl Write) -> Result<(), IngestError> {
    let request: Request = serde_json::from_reader(input)
        .map_err(|e| IngestError::new(ErrorClass::Internal, format!("bad ingest request: {e}")))?;
    answer(&request, &mut LineSink { out: output })?
}

/// A long-lived child: requests one per line, each answered like [`serve_one`] does, until
/// the input ends. Starting a process costs more than extracting a small file, so the
/// worker keeps a few of these and replaces one only when it dies, hangs or has served
/// its share. Returns the last file's error, if the last file failed.
pub fn serve(mut input: impl BufRead, output: impl Write) -> Result<(), IngestError> {
    let mut sink = LineSink { out: output };
    let mut line = String::new();
    let mut last = Ok(());
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return last;
        }
        if line.trim().is_empty() {
            continue;
        }
        let request: Request = serde_json::from_str(&line).map_err(|e| {
            IngestError::new(ErrorClass::Internal, format!("bad ingest request: {e}"))
        })?;
        // An answer that cannot be written means the worker is gone: stop.
        last = answer(&request, &mut sink)?;
    }
}

/// Ingest one file and write its results; the outer error is a failure to write them.
fn answer<W: Write>(
    request: &Request,
    sink: &mut LineSink<W>,
) -> Result<Result<(), IngestError>, SinkError> {
    let result = run(request, sink);
    let last = match &result {
        Ok((entity, format)) => Message::Done {
            entity: entity.to_json(),
            format: format!("{format:?}").to_lowercase(),
        },
        Err(err) => Message::Error {
            class: err.class.as_str().to_string(),
            message: err.message.clone(),
        },
    };
    sink.send(&last)?;
    sink.out.flush().map_err(|e| SinkError(e.to_string()))?;
    Ok(result.map(|_| ()))
}

fn run(request: &Request, sink: &mut dyn Sink) -> Result<(Entity, crate::Format), IngestError> {
    if let Some(bytes) = request.memory_limit {
        limit_memory(bytes)?;
    }
    let mut entity = Entity::from_json(request.entity.clone(), true)?;
    let info = FileInfo {
        file_name: request.file_name.clone(),
        mime_type: request.mime_type.clone(),
    };
    let ctx = Context {
        limits: request.limits.clone(),
        ocr: request.ocr.clone(),
        work_dir: request.work_dir.clone(),
        depth: request.depth,
        libreoffice: request.libreoffice.clone(),
    };
    let format = crate::ingest(&mut entity, &request.path, &info, &ctx, sink)?;
    Ok((entity, format))
}

/// Cap this process's address space, so a runaway parser gets an allocation failure (and
/// the process dies) instead of taking the machine's memory.
fn limit_memory(bytes: u64) -> Result<(), IngestError> {
    rlimit::setrlimit(rlimit::Resource::AS, bytes, bytes)
        .map_err(|e| IngestError::new(ErrorClass::Internal, format!("cannot limit memory: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_round_trips_through_the_wire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("note.txt");
        std::fs::write(&path, "Hello from the child process").unwrap();
        let mut entity = Entity::with_id("Document", "doc1").unwrap();
        entity.add("fileName", "note.txt").unwrap();
        let request = Request {
            entity: entity.to_json(),
            path: path.clone(),
            file_name: Some("note.txt".into()),
            mime_type: None,
            work_dir: dir.path().to_path_buf(),
            depth: 0,
            limits: Limits::default(),
            ocr: None,
            libreoffice: None,
            memory_limit: None,
        };
        let input = serde_json::to_vec(&request).unwrap();
        let mut output = Vec::new();
        serve_one(&input[..], &mut output).unwrap();
        let lines: Vec<Message> = output
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        let Some(Message::Done { entity, format }) = lines.last() else {
            panic!("no final message: {lines:?}");
        };
        assert_eq!(format, "plaintext");
        assert_eq!(entity["schema"], "PlainText");
    }

    #[test]
    fn a_long_lived_child_answers_each_request_in_turn() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("note.txt");
        std::fs::write(&text, "Hello again").unwrap();
        let junk = dir.path().join("blob.bin");
        std::fs::write(&junk, [0u8, 1, 2, 3, 250, 251, 0, 7]).unwrap();
        let request = |id: &str, path: &Path| Request {
            entity: Entity::with_id("Document", id).unwrap().to_json(),
            path: path.to_path_buf(),
            file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            mime_type: None,
            work_dir: dir.path().to_path_buf(),
            depth: 0,
            limits: Limits::default(),
            ocr: None,
            libreoffice: None,
            memory_limit: None,
        };
        let mut input = Vec::new();
        for r in [
            request("a", &text),
            request("b", &junk),
            request("c", &text),
        ] {
            serde_json::to_writer(&mut input, &r).unwrap();
            input.push(b'\n');
        }
        let mut output = Vec::new();
        serve(&input[..], &mut output).unwrap();
        let finals: Vec<String> = output
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .filter_map(|l| match serde_json::from_slice(l).unwrap() {
                Message::Done { entity, .. } => Some(format!("done {}", entity["id"])),
                Message::Error { class, .. } => Some(format!("error {class}")),
                _ => None,
            })
            .collect();
        assert_eq!(finals, ["done \"a\"", "error unsupported", "done \"c\""]);
    }

    #[test]
    fn failures_are_reported_as_a_final_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob.bin");
        std::fs::write(&path, [0u8, 1, 2, 3, 250, 251, 0, 7]).unwrap();
        let request = Request {
            entity: Entity::with_id("Document", "d").unwrap().to_json(),
            path,
            file_name: Some("blob.bin".into()),
            mime_type: None,
            work_dir: dir.path().to_path_buf(),
            depth: 0,
            limits: Limits::default(),
            ocr: None,
            libreoffice: None,
            memory_limit: None,
        };
        let input = serde_json::to_vec(&request).unwrap();
        let mut output = Vec::new();
        let err = serve_one(&input[..], &mut output).unwrap_err();
        assert_eq!(err.class, ErrorClass::Unsupported);
        let last: Message = serde_json::from_slice(output.trim_ascii_end()).unwrap();
        assert!(matches!(last, Message::Error { ref class, .. } if class == "unsupported"));
    }
}
