//! `aleph client crawldir`, `aleph client verify` and `aleph crawldir` against a real
//! `aleph serve`: the tree arrives with the right parents, reruns add only what changed or
//! failed, failures show in the summary and the exit code, and verify finds what is missing.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Server, aleph, count, describe, make_tree, sha1_hex, stdout};

/// The tree the server should hold for a local tree: every folder and every file by path,
/// files with their SHA-1.
fn expected_tree(root: &Path, rels: &[String]) -> BTreeMap<String, Option<String>> {
    let mut expected = BTreeMap::new();
    for rel in rels {
        expected.insert(rel.clone(), Some(sha1_hex(&root.join(rel))));
        let mut dir = rel.as_str();
        while let Some(i) = dir.rfind('/') {
            dir = &dir[..i];
            expected.insert(dir.to_string(), None);
        }
    }
    for empty in ["empty", "empty/inside"] {
        expected.insert(empty.to_string(), None);
    }
    expected
}

/// The server's tree in the same shape, checking that folders are Folders, files are
/// processed successfully and not Folders.
fn server_shape(
    tree: &BTreeMap<String, (String, String, String)>,
) -> BTreeMap<String, Option<String>> {
    tree.iter()
        .map(|(path, (schema, hash, status))| {
            assert_eq!(
                status, "success",
                "{path} is {schema} with status {status:?}"
            );
            if schema == "Folder" {
                assert!(hash.is_empty(), "folder {path} has content");
                (path.clone(), None)
            } else {
                (path.clone(), Some(hash.clone()))
            }
        })
        .collect()
}

fn client_crawl(
    server: &Server,
    root: &Path,
    fid: &str,
    state: &Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "client",
        "crawldir",
        root.to_str().unwrap(),
        "--foreign-id",
        fid,
        "--host",
        &server.url,
        "--api-key",
        &server.api_key,
    ];
    args.extend_from_slice(extra);
    aleph(&args, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_crawl_builds_the_tree_resumes_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    let state = dir.path().join("state");
    let rels = make_tree(&root, 200);
    let server = Server::start(&dir.path().join("data"), None, &[]).await;

    let first = client_crawl(&server, &root, "letters", &state, &["--parallel", "4"]);
    assert!(first.status.success(), "{}", describe(&first));
    let out = stdout(&first);
    assert_eq!(count(&out, "files added"), 200, "{out}");
    assert_eq!(count(&out, "failed"), 0, "{out}");
    // dept-0..2, their years and quarters, empty and empty/inside.
    let expected = expected_tree(&root, &rels);
    let folders = expected.values().filter(|v| v.is_none()).count() as u64;
    assert_eq!(count(&out, "folders added"), folders, "{out}");
    // The default manifest lives in the state directory, not in the tree.
    let manifests: Vec<_> = std::fs::read_dir(state.join("aleph/manifests"))
        .unwrap()
        .collect();
    assert_eq!(manifests.len(), 1);

    let cid = server.collection_id("letters").await;
    server.wait_idle(&cid).await;
    let tree = server.tree(&cid).await;
    assert_eq!(server_shape(&tree), expected);

    let verify_args = [
        "client",
        "verify",
        root.to_str().unwrap(),
        "-f",
        "letters",
        "--host",
        &server.url,
        "--api-key",
        &server.api_key,
    ];
    let verified = aleph(&verify_args, &state);
    assert!(verified.status.success(), "{}", describe(&verified));
    assert!(
        stdout(&verified).contains("200 ok"),
        "{}",
        describe(&verified)
    );

    // Unchanged: nothing is uploaded.
    let second = client_crawl(&server, &root, "letters", &state, &[]);
    assert!(second.status.success(), "{}", describe(&second));
    let out = stdout(&second);
    assert_eq!(count(&out, "files added"), 0, "{out}");
    assert_eq!(count(&out, "unchanged"), 200, "{out}");
    assert_eq!(count(&out, "folders added"), 0, "{out}");

    // One file changed, another only touched: only the changed one goes up again.
    let changed = root.join(&rels[7]);
    std::fs::write(&changed, "A new version of this file.\n").unwrap();
    let touched = std::fs::File::options()
        .write(true)
        .open(root.join(&rels[8]))
        .unwrap();
    touched
        .set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60))
        .unwrap();
    drop(touched);
    let third = client_crawl(&server, &root, "letters", &state, &[]);
    assert!(third.status.success(), "{}", describe(&third));
    let out = stdout(&third);
    assert_eq!(count(&out, "files added"), 1, "{out}");
    assert_eq!(count(&out, "unchanged"), 199, "{out}");
    server.wait_idle(&cid).await;
    let tree = server.tree(&cid).await;
    assert_eq!(tree[&rels[7]].1, sha1_hex(&changed));
    assert_eq!(
        tree.len(),
        expected.len(),
        "the changed file replaced its document"
    );

    // A new local file that was never uploaded: verify reports it and fails.
    std::fs::write(root.join("dept-1/late.txt"), "came late\n").unwrap();
    let verified = aleph(&verify_args, &state);
    assert!(!verified.status.success(), "{}", describe(&verified));
    let out = stdout(&verified);
    assert!(out.contains("missing: dept-1/late.txt"), "{out}");
    assert!(out.contains("200 ok, 1 missing"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_file_fails_the_run_and_is_retried_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    let state = dir.path().join("state");
    let manifest = dir.path().join("crawl.json");
    let rels = make_tree(&root, 12);
    let big = root.join("dept-2/big.txt");
    std::fs::write(&big, "x".repeat(64 * 1024)).unwrap();
    let data = dir.path().join("data");
    // The server refuses anything larger than 8 KiB.
    let server = Server::start(&data, None, &[("ALEPH_MAX_UPLOAD_BYTES", "8192")]).await;
    let extra = ["--manifest", manifest.to_str().unwrap(), "--retries", "1"];

    let first = client_crawl(&server, &root, "limits", &state, &extra);
    assert_eq!(first.status.code(), Some(1), "{}", describe(&first));
    let out = stdout(&first);
    assert_eq!(count(&out, "files added"), rels.len() as u64, "{out}");
    assert_eq!(count(&out, "failed"), 1, "{out}");
    assert!(out.contains("not added"), "{out}");
    assert!(
        out.contains("  dept-2/big.txt: HTTP 413: The upload is too large."),
        "{out}"
    );
    let recorded: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    assert_eq!(recorded["files"]["dept-2/big.txt"]["state"], "failed");
    assert_eq!(recorded["files"][&rels[0]]["state"], "uploaded");

    // The same server without the limit: only the failed file is sent again. (Stopped
    // when idle: a job running at the kill would wait for its lease to expire.)
    let cid = server.collection_id("limits").await;
    server.wait_idle(&cid).await;
    let key = server.api_key.clone();
    server.stop();
    let server = Server::start(&data, Some(&key), &[]).await;
    let second = client_crawl(&server, &root, "limits", &state, &extra);
    assert!(second.status.success(), "{}", describe(&second));
    let out = stdout(&second);
    assert_eq!(count(&out, "files added"), 1, "{out}");
    assert_eq!(count(&out, "unchanged"), rels.len() as u64, "{out}");
    server.wait_idle(&cid).await;
    let tree = server.tree(&cid).await;
    assert_eq!(tree["dept-2/big.txt"].1, sha1_hex(&big));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_crawldir_gives_the_same_tree_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    let state = dir.path().join("state");
    let rels = make_tree(&root, 40);
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let root_arg = root.to_str().unwrap();

    let args = ["crawldir", root_arg, "-f", "local", "--data-dir", data_arg];
    let first = aleph(&args, &state);
    assert!(first.status.success(), "{}", describe(&first));
    assert_eq!(
        count(&stdout(&first), "files added"),
        40,
        "{}",
        describe(&first)
    );
    let again = aleph(&args, &state);
    assert!(again.status.success(), "{}", describe(&again));
    assert_eq!(
        count(&stdout(&again), "files added"),
        0,
        "{}",
        describe(&again)
    );
    assert_eq!(
        count(&stdout(&again), "unchanged"),
        40,
        "{}",
        describe(&again)
    );

    // The server processes what the crawl queued; the first start on this data directory
    // creates the admin account.
    let server = Server::start(&data, None, &[]).await;
    let cid = server.collection_id("local").await;
    server.wait_idle(&cid).await;
    let local_tree = server.tree(&cid).await;
    assert_eq!(server_shape(&local_tree), expected_tree(&root, &rels));

    // The same tree through the API gives the same documents at the same paths.
    let over_api = client_crawl(&server, &root, "remote", &state, &[]);
    assert!(over_api.status.success(), "{}", describe(&over_api));
    let remote = server.collection_id("remote").await;
    server.wait_idle(&remote).await;
    let remote_tree = server.tree(&remote).await;
    assert_eq!(remote_tree, local_tree);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manifest_follows_the_crawled_folder_not_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    let state = dir.path().join("state");
    let rels = make_tree(&root, 12);
    let root_arg = root.to_str().unwrap();
    let crawl = |data: &Path| {
        let out = aleph(
            &[
                "crawldir",
                root_arg,
                "-f",
                "moved",
                "--data-dir",
                data.to_str().unwrap(),
            ],
            &state,
        );
        assert!(out.status.success(), "{}", describe(&out));
        stdout(&out)
    };

    let first = dir.path().join("data");
    assert_eq!(count(&crawl(&first), "files added"), rels.len() as u64);
    // The data directory moves: the crawl still knows what it added.
    let moved = dir.path().join("elsewhere");
    std::fs::rename(&first, &moved).unwrap();
    let again = crawl(&moved);
    assert_eq!(count(&again, "files added"), 0, "{again}");
    assert_eq!(count(&again, "unchanged"), rels.len() as u64, "{again}");
    // One manifest for the folder and collection, not one per data directory.
    let manifests = std::fs::read_dir(state.join("aleph/manifests"))
        .unwrap()
        .count();
    assert_eq!(manifests, 1);

    // A new, empty data directory with a collection of the same id: nothing the manifest
    // lists is in it, so everything is added again instead of being skipped.
    let fresh = dir.path().join("fresh");
    let third = crawl(&fresh);
    assert_eq!(count(&third, "files added"), rels.len() as u64, "{third}");
    let server = Server::start(&fresh, None, &[]).await;
    let cid = server.collection_id("moved").await;
    server.wait_idle(&cid).await;
    assert_eq!(
        server_shape(&server.tree(&cid).await),
        expected_tree(&root, &rels)
    );
}
