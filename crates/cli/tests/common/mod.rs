//! What the command tests share: an `aleph serve` on a free port with its own data
//! directory, generated trees, and reading a collection back through the API.
//!
//! With `ALEPH_TEST_CONFIG=distributed` the same tests run against the distributed
//! configuration: the server is `aleph serve --workers 0` over a fresh PostgreSQL database,
//! OpenSearch index and S3 bucket, and two `aleph worker` processes do the file work.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../../../../tests/support/distributed.rs"]
pub mod distributed;

pub const BIN: &str = env!("CARGO_BIN_EXE_aleph");

/// The environment that points `aleph` at the deployment of `data_dir`: empty when
/// embedded; distributed, a deployment made on first use and remembered in the data
/// directory (so that a restart on the same directory finds the same data).
pub fn deployment_env(data_dir: &Path) -> Vec<(String, String)> {
    if distributed::Config::from_env() == distributed::Config::Embedded {
        return Vec::new();
    }
    std::fs::create_dir_all(data_dir).unwrap();
    let remembered = data_dir.join("test-deployment.env");
    if let Ok(text) = std::fs::read_to_string(&remembered) {
        return text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    }
    let env: Vec<(String, String)> = distributed::Deployment::create()
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(&remembered, text).unwrap();
    env
}

/// A running `aleph serve`, stopped when dropped.
pub struct Server {
    child: Child,
    /// The `aleph worker` processes of the distributed configuration.
    workers: Vec<Child>,
    pub url: String,
    pub data_dir: PathBuf,
    pub api_key: String,
    /// The server's log (stderr), beside the data directory.
    log: PathBuf,
}

/// A loopback port nobody listens on right now (for a second listener of a test server).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Server {
    /// Start on `data_dir`; `api_key` is the admin key of an earlier start on the same
    /// directory (a new directory prints its own).
    pub async fn start(data_dir: &Path, api_key: Option<&str>, env: &[(&str, &str)]) -> Server {
        Server::start_with_workers(data_dir, api_key, env, 2).await
    }

    /// The same with `workers` file slots in the server (0: only `aleph worker` processes
    /// extract files; the server still indexes).
    pub async fn start_with_workers(
        data_dir: &Path,
        api_key: Option<&str>,
        env: &[(&str, &str)],
        workers: usize,
    ) -> Server {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let log_path = data_dir.with_extension(format!("{port}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let deployment = deployment_env(data_dir);
        let distributed = !deployment.is_empty();
        // Distributed, the server's slots move to two worker processes.
        let server_slots = if distributed { 0 } else { workers };
        let mut command = Command::new(BIN);
        command
            .args([
                "serve",
                "--workers",
                &server_slots.to_string(),
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .env_remove("ALEPH_UI_URL")
            .env_remove("ALEPH_MAX_UPLOAD_BYTES")
            .stdout(Stdio::piped())
            .stderr(log);
        for (k, v) in &deployment {
            command.env(k, v);
        }
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Keep reading so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(key) = line.trim().strip_prefix("API key:") {
                    let _ = tx.send(key.trim().to_string());
                }
            }
        });
        let api_key = match api_key {
            Some(k) => k.to_string(),
            None => rx.recv_timeout(Duration::from_secs(60)).unwrap(),
        };
        let mut server = Server {
            child,
            workers: Vec::new(),
            url,
            data_dir: data_dir.to_path_buf(),
            api_key,
            log: log_path,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{}/healthz", server.url)).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "the server did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // After the server is up: it creates the database schema the workers need.
        if distributed && workers > 0 {
            for n in 0..2 {
                let dir = data_dir.join(format!("worker-{n}"));
                std::fs::create_dir_all(&dir).unwrap();
                let log = std::fs::File::create(
                    data_dir.with_extension(format!("{port}.worker-{n}.log")),
                )
                .unwrap();
                let mut worker = Command::new(BIN);
                worker
                    .args(["worker", "--metrics-bind", "0", "-c"])
                    .arg(workers.div_ceil(2).to_string())
                    .arg("--data-dir")
                    .arg(&dir)
                    .env("RUST_LOG", "warn")
                    .stdout(Stdio::null())
                    .stderr(log);
                for (k, v) in &deployment {
                    worker.env(k, v);
                }
                for (k, v) in env {
                    worker.env(k, v);
                }
                server.workers.push(worker.spawn().unwrap());
            }
        }
        server
    }

    pub fn stop(mut self) {
        self.kill();
    }

    /// The process id, to kill it from outside.
    /// The last lines of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process ids of the `aleph worker` processes (none when embedded).
    pub fn worker_pids(&self) -> Vec<u32> {
        self.workers.iter().map(Child::id).collect()
    }

    fn kill(&mut self) {
        for worker in &mut self.workers {
            let _ = worker.kill();
            let _ = worker.wait();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.url))
            .query(query)
            .header("Authorization", format!("ApiKey {}", self.api_key))
            .send()
            .await
            .unwrap();
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            panic!(
                "{path}: {status} {body}\n--- server log ---\n{}",
                self.log_tail()
            );
        }
        response.json().await.unwrap()
    }

    /// The collection's id, by foreign id.
    pub async fn collection_id(&self, foreign_id: &str) -> String {
        let page = self
            .get("/api/2/collections", &[("filter:foreign_id", foreign_id)])
            .await;
        page["results"][0]["id"].as_str().unwrap().to_string()
    }

    /// Wait until the collection has nothing pending or running.
    pub async fn wait_idle(&self, collection_id: &str) {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let status = self
                .get(&format!("/api/2/collections/{collection_id}/status"), &[])
                .await;
            let busy = status["pending"].as_u64().unwrap() + status["running"].as_u64().unwrap();
            if busy == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "still processing: {status}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Crawl `dir` into the collection `foreign_id` with `aleph client crawldir` (manifest
    /// under `state`), wait until it is processed, and return the collection's id.
    pub async fn crawl(&self, dir: &Path, foreign_id: &str, state: &Path) -> String {
        let out = aleph(
            &[
                "client",
                "crawldir",
                dir.to_str().unwrap(),
                "--foreign-id",
                foreign_id,
                "--host",
                &self.url,
                "--api-key",
                &self.api_key,
            ],
            state,
        );
        assert!(out.status.success(), "{}", describe(&out));
        let id = self.collection_id(foreign_id).await;
        self.wait_idle(&id).await;
        id
    }

    /// Create a collection over the API and return its id.
    pub async fn create_collection(&self, foreign_id: &str, label: &str) -> String {
        let response = reqwest::Client::new()
            .post(format!("{}/api/2/collections", self.url))
            .header("Authorization", format!("ApiKey {}", self.api_key))
            .json(&serde_json::json!({"foreign_id": foreign_id, "label": label}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let created: Value = response.json().await.unwrap();
        assert!(
            status.is_success(),
            "create {foreign_id}: {status} {created}"
        );
        created["id"].as_str().unwrap().to_string()
    }

    /// Write entities into a collection through `_bulk`.
    pub async fn bulk(&self, collection_id: &str, entities: &Value) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/api/2/collections/{collection_id}/_bulk",
                self.url
            ))
            .header("Authorization", format!("ApiKey {}", self.api_key))
            .json(entities)
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status.is_success(),
            "bulk into {collection_id}: {status} {}",
            response.text().await.unwrap()
        );
    }

    /// Every Document of a collection, by its path (parent folder names and file name):
    /// `(schema, content hash, processing status)`.
    pub async fn tree(&self, collection_id: &str) -> BTreeMap<String, (String, String, String)> {
        let mut docs: Vec<Value> = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .get(
                    "/api/2/entities",
                    &[
                        ("filter:collection_id", collection_id),
                        ("filter:schemata", "Document"),
                        ("limit", "100"),
                        ("offset", &offset.to_string()),
                    ],
                )
                .await;
            let results = page["results"].as_array().unwrap().clone();
            offset += results.len();
            let total = page["total"].as_u64().unwrap() as usize;
            let empty = results.is_empty();
            docs.extend(results);
            if empty || offset >= total {
                break;
            }
        }
        let first = |d: &Value, prop: &str| -> String {
            match &d["properties"][prop][0] {
                Value::String(s) => s.clone(),
                Value::Object(o) => o["id"].as_str().unwrap().to_string(),
                _ => String::new(),
            }
        };
        let by_id: BTreeMap<String, &Value> = docs
            .iter()
            .map(|d| (d["id"].as_str().unwrap().to_string(), d))
            .collect();
        let mut tree = BTreeMap::new();
        for d in &docs {
            let mut names = vec![first(d, "fileName")];
            let mut parent = first(d, "parent");
            while !parent.is_empty() {
                let p = by_id
                    .get(&parent)
                    .unwrap_or_else(|| panic!("parent {parent} is not in the collection"));
                names.push(first(p, "fileName"));
                parent = first(p, "parent");
            }
            names.reverse();
            let value = (
                d["schema"].as_str().unwrap().to_string(),
                first(d, "contentHash"),
                first(d, "processingStatus"),
            );
            assert!(
                tree.insert(names.join("/"), value).is_none(),
                "two documents at {}",
                names.join("/")
            );
        }
        tree
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Run `aleph` with these arguments; the manifest directory is `state`.
pub fn aleph(args: &[&str], state: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env("RUST_LOG", "warn")
        .env_remove("ALEPHCLIENT_HOST")
        .env_remove("ALEPHCLIENT_API_KEY")
        .output()
        .unwrap()
}

/// Run `aleph` on a local data directory (the embedded configuration, whatever
/// `ALEPH_TEST_CONFIG` says).
pub fn aleph_local(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// The standard output of a command that must succeed.
#[track_caller]
pub fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", describe(&output));
    stdout(&output)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A tree of `files` small text files in nested folders (three levels, some empty
/// folders), plus junk that a crawl leaves out. Returns the relative paths of the files.
pub fn make_tree(root: &Path, files: usize) -> Vec<String> {
    let mut rels = Vec::new();
    for i in 0..files {
        let rel = match i % 4 {
            0 => format!("top-{i:03}.txt"),
            1 => format!("dept-{}/memo-{i:03}.txt", i % 3),
            2 => format!("dept-{}/year-{}/report-{i:03}.txt", i % 3, 2020 + i % 2),
            _ => format!(
                "dept-{}/year-{}/q{}/note {i:03}.txt",
                i % 3,
                2020 + i % 2,
                i % 4
            ),
        };
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            format!("Document number {i}.\nIt mentions file {rel}.\n"),
        )
        .unwrap();
        rels.push(rel);
    }
    std::fs::create_dir_all(root.join("empty/inside")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(root.join(".DS_Store"), [0u8; 16]).unwrap();
    std::fs::write(root.join("dept-0/Thumbs.db"), [0u8; 16]).unwrap();
    rels.sort();
    rels
}

/// Hex SHA-1 of a file.
pub fn sha1_hex(path: &Path) -> String {
    use sha1::{Digest, Sha1};
    hex::encode(Sha1::digest(std::fs::read(path).unwrap()))
}

/// The number in the part of the summary line that mentions `marker`
/// (`count(out, "files added")` reads "12 files added (3 KiB), …").
pub fn count(summary: &str, marker: &str) -> u64 {
    summary
        .lines()
        .flat_map(|line| line.split([',', ';']))
        .filter(|part| part.contains(marker))
        .find_map(|part| part.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{summary}"))
}
