//! Copying the embedded archive's blobs into another archive. Blobs are addressed by their
//! SHA-1, so a blob the target already has is the same blob: a rerun skips it.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Blobs found in the source archive, and how many the target holds afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobCounts {
    pub source: u64,
    pub copied: u64,
    pub present: u64,
}

/// Every blob file under an archive directory (`ab/cd/abcd…`), leaving out the spool of
/// unfinished uploads.
fn blob_files(root: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_dir() {
                if name != "tmp" {
                    dirs.push(path);
                }
            } else if is_sha1(&name) {
                found.push((name, path));
            }
        }
    }
    found.sort();
    Ok(found)
}

fn is_sha1(name: &str) -> bool {
    name.len() == 40
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Copy each blob the target lacks; then count what the target has.
pub async fn copy_blobs(
    source_root: &Path,
    target: &dyn archive::Archive,
) -> anyhow::Result<BlobCounts> {
    let root = source_root.to_path_buf();
    let files = tokio::task::spawn_blocking(move || blob_files(&root)).await??;
    let mut counts = BlobCounts {
        source: files.len() as u64,
        copied: 0,
        present: 0,
    };
    for (hash, path) in &files {
        if target.exists(hash).await? {
            continue;
        }
        let stored = target
            .put_file(path)
            .await
            .with_context(|| format!("cannot copy blob {hash}"))?;
        anyhow::ensure!(
            &stored == hash,
            "blob {} has content {stored}, not {hash}: the embedded archive is damaged",
            path.display()
        );
        counts.copied += 1;
    }
    for (hash, _) in &files {
        if target.exists(hash).await? {
            counts.present += 1;
        }
    }
    println!(
        "  {} blobs, {} copied now, {} were there",
        counts.source,
        counts.copied,
        counts.source - counts.copied
    );
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn copies_each_blob_once_and_skips_the_spool() {
        let dir = tempfile::tempdir().unwrap();
        let source = archive::FileArchive::open(dir.path().join("a")).unwrap();
        let mut hashes = Vec::new();
        for i in 0..5 {
            let file = dir.path().join(format!("f{i}"));
            std::fs::write(&file, format!("blob {i}")).unwrap();
            hashes.push(archive::Archive::put_file(&source, &file).await.unwrap());
        }
        std::fs::create_dir_all(dir.path().join("a/tmp")).unwrap();
        std::fs::write(
            dir.path()
                .join("a/tmp/0123456789012345678901234567890123456789"),
            "half",
        )
        .unwrap();
        let target = archive::FileArchive::open(dir.path().join("b")).unwrap();
        // One blob is there already, as after an interrupted run.
        archive::Archive::put_file(&target, &dir.path().join("f0"))
            .await
            .unwrap();
        let first = copy_blobs(&dir.path().join("a"), &target).await.unwrap();
        assert_eq!(
            first,
            BlobCounts {
                source: 5,
                copied: 4,
                present: 5
            }
        );
        let again = copy_blobs(&dir.path().join("a"), &target).await.unwrap();
        assert_eq!(again.copied, 0);
        assert_eq!(again.present, 5);
        for h in &hashes {
            assert!(archive::Archive::exists(&target, h).await.unwrap());
        }
    }
}
