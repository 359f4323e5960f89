//! Running an external converter (pdftotext, pdftoppm, Tesseract, LibreOffice) so that it
//! can never hang the worker: it gets its own process group, its output is read on
//! separate threads (a full pipe must not block it), and when the time is up the whole
//! group is killed — LibreOffice's launcher leaves its real process as a grandchild.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::IngestError;

/// Most bytes of standard error kept for an error message.
const MAX_STDERR: usize = 16 * 1024;

/// What a finished tool left behind.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: String,
}

/// Why a tool did not finish.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ToolError {
    #[error("{0} is not installed")]
    Missing(String),
    #[error("could not start {0}: {1}")]
    Spawn(String, std::io::Error),
    #[error("{0} did not finish within {1} s")]
    TimedOut(String, u64),
}

impl From<ToolError> for IngestError {
    fn from(err: ToolError) -> IngestError {
        match err {
            // A time limit, as the error classes define them.
            ToolError::TimedOut(..) => IngestError::limit(err.to_string()),
            ToolError::Missing(_) | ToolError::Spawn(..) => IngestError::tool(err.to_string()),
        }
    }
}

/// Run `cmd` for at most `timeout`, keeping at most `max_stdout` bytes of its standard
/// output (the rest is read and dropped so the tool is not blocked).
pub(crate) fn run(
    cmd: &mut Command,
    timeout: Duration,
    max_stdout: usize,
) -> Result<Output, ToolError> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ToolError::Missing(name.clone()),
        _ => ToolError::Spawn(name.clone(), e),
    })?;
    let group = rustix::process::Pid::from_child(&child);
    let kill_group = || {
        // The group may already be gone; nothing to do then.
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    };

    let (out_tx, out_rx) = mpsc::channel();
    let (err_tx, err_rx) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            let _ = out_tx.send(read_capped(stdout, max_stdout));
        });
    }
    if let Some(stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            let _ = err_tx.send(read_capped(stderr, MAX_STDERR));
        });
    }

    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                kill_group();
                let _ = child.wait();
                return Err(ToolError::Spawn(name, e));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            kill_group();
            let _ = child.wait();
            return Err(ToolError::TimedOut(name, timeout.as_secs()));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(25));
    };

    // The tool has exited, but a process it left behind may still hold the pipes open.
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(100));
    let stdout = match out_rx.recv_timeout(left) {
        Ok(bytes) => bytes,
        Err(_) => {
            kill_group();
            out_rx
                .recv_timeout(Duration::from_secs(1))
                .unwrap_or_default()
        }
    };
    let stderr = err_rx
        .recv_timeout(Duration::from_secs(1))
        .unwrap_or_default();
    Ok(Output {
        status,
        stdout,
        stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
    })
}

/// Read a stream to its end, keeping the first `max` bytes.
fn read_capped(mut stream: impl Read, max: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = max.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    kept
}

/// The last line of a tool's error output, for a short message.
pub(crate) fn last_line(stderr: &str) -> &str {
    stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_output_and_status() {
        let out = run(
            Command::new("sh").args(["-c", "printf hello; printf oops >&2; exit 3"]),
            Duration::from_secs(10),
            1024,
        )
        .unwrap();
        assert_eq!(out.stdout, b"hello");
        assert_eq!(out.stderr, "oops");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn caps_stdout_without_blocking_the_tool() {
        let out = run(
            Command::new("sh").args(["-c", "head -c 1000000 /dev/zero"]),
            Duration::from_secs(10),
            100,
        )
        .unwrap();
        assert_eq!(out.stdout.len(), 100);
        assert!(out.status.success());
    }

    #[test]
    fn kills_the_whole_group_on_timeout() {
        // The grandchild (sleep) outlives its shell unless the whole group is killed.
        let dir = std::env::temp_dir().join(format!("tool-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pid_file = dir.join("pid");
        let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let err = run(
            Command::new("sh").args(["-c", &script]),
            Duration::from_secs(2),
            1024,
        )
        .unwrap_err();
        assert!(matches!(err, ToolError::TimedOut(..)), "{err}");
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let proc_dir = std::path::PathBuf::from(format!("/proc/{}", pid.trim()));
        // Killed at once; init reaps the orphan shortly after.
        let mut gone = false;
        for _ in 0..100 {
            let state = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
            if state.is_empty() || state.contains(") Z ") {
                gone = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(gone, "the grandchild survived the timeout");
    }

    #[test]
    fn a_missing_tool_is_named() {
        let err = run(
            &mut Command::new("/nonexistent/tool"),
            Duration::from_secs(1),
            10,
        )
        .unwrap_err();
        assert!(matches!(err, ToolError::Missing(_)));
        let err: IngestError = err.into();
        assert_eq!(err.class, crate::ErrorClass::Tool);
    }
}
