//! Walking a directory tree the way a crawl uploads it: breadth-first, each folder before
//! its children, names in a stable order, junk skipped, symbolic links never followed.

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// One thing found by the walk. `rel` is the path relative to the crawl root with `/`
/// separators: the foreign id the crawl gives it (for a single-file crawl, its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Folder {
        rel: String,
        parent: Option<String>,
    },
    File {
        rel: String,
        parent: Option<String>,
        path: PathBuf,
        stat: FileStat,
    },
    /// Something that could not be read (a folder listing, a file's metadata).
    Unreadable {
        rel: String,
        message: String,
    },
}

/// What the walk saw of a file: enough to tell whether it changed since the last crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub size: u64,
    /// Modification time in nanoseconds since the epoch (0 when unknown).
    pub mtime_ns: i64,
}

impl FileStat {
    fn of(meta: &fs::Metadata) -> FileStat {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or(0);
        FileStat {
            size: meta.len(),
            mtime_ns,
        }
    }
}

/// The last segment of a relative path.
pub fn base_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// Names a crawl leaves out unless asked to keep them: hidden files and folders (`.git`,
/// `.DS_Store`…), Windows' `Thumbs.db` and `desktop.ini`, the recycle bin and volume
/// information folders.
pub fn is_junk(name: &str, is_dir: bool) -> bool {
    if name.starts_with('.') {
        return true;
    }
    let lower = name.to_lowercase();
    if is_dir {
        matches!(lower.as_str(), "$recycle.bin" | "system volume information")
    } else {
        matches!(lower.as_str(), "thumbs.db" | "desktop.ini")
    }
}

/// What a walk leaves out.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Keep junk (see [`is_junk`]).
    pub keep_junk: bool,
    /// Paths never to crawl (the manifest, when someone keeps it inside the tree).
    pub exclude: Vec<PathBuf>,
}

/// Counts of what a walk passed over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    pub junk: u64,
    pub symlinks: u64,
    /// Sockets, devices, pipes.
    pub special: u64,
}

/// An iterator over the entries of a tree, in crawl order.
pub struct Walk {
    options: WalkOptions,
    /// Folders still to list: (path on disk, relative path).
    pending: VecDeque<(PathBuf, String)>,
    /// Entries of the folder being listed, not yet handed out.
    ready: VecDeque<Entry>,
    pub skipped: Skipped,
}

impl Walk {
    /// Walk `root`: a directory (not itself an entry; its children have no parent) or a
    /// single file (one entry named by its file name).
    pub fn new(root: &Path, options: WalkOptions) -> std::io::Result<Walk> {
        let meta = fs::metadata(root)?;
        let mut walk = Walk {
            options,
            pending: VecDeque::new(),
            ready: VecDeque::new(),
            skipped: Skipped::default(),
        };
        if meta.is_dir() {
            walk.list(root.to_path_buf(), None);
        } else {
            let name = root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| root.display().to_string());
            walk.ready.push_back(Entry::File {
                rel: name,
                parent: None,
                path: root.to_path_buf(),
                stat: FileStat::of(&meta),
            });
        }
        Ok(walk)
    }

    /// List one folder: files become entries now, sub-folders wait in `pending` so that
    /// the tree is walked level by level.
    fn list(&mut self, dir: PathBuf, rel: Option<&str>) {
        let child_rel = |name: &str| match rel {
            Some(r) => format!("{r}/{name}"),
            None => name.to_string(),
        };
        let reader = match fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) => {
                self.ready.push_back(Entry::Unreadable {
                    rel: rel.unwrap_or(".").to_string(),
                    message: format!("cannot list the folder: {e}"),
                });
                return;
            }
        };
        let mut children: Vec<(String, PathBuf)> = Vec::new();
        for item in reader {
            match item {
                Ok(item) => {
                    children.push((item.file_name().to_string_lossy().into_owned(), item.path()))
                }
                Err(e) => self.ready.push_back(Entry::Unreadable {
                    rel: rel.unwrap_or(".").to_string(),
                    message: format!("cannot list the folder: {e}"),
                }),
            }
        }
        children.sort();
        for (name, path) in children {
            if self.options.exclude.iter().any(|x| x == &path) {
                continue;
            }
            let meta = match fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    self.ready.push_back(Entry::Unreadable {
                        rel: child_rel(&name),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let kind = meta.file_type();
            if kind.is_symlink() {
                self.skipped.symlinks += 1;
                continue;
            }
            if !kind.is_dir() && !kind.is_file() {
                self.skipped.special += 1;
                continue;
            }
            if !self.options.keep_junk && is_junk(&name, kind.is_dir()) {
                self.skipped.junk += 1;
                continue;
            }
            if kind.is_dir() {
                self.pending.push_back((path, child_rel(&name)));
            } else {
                self.ready.push_back(Entry::File {
                    rel: child_rel(&name),
                    parent: rel.map(str::to_string),
                    path,
                    stat: FileStat::of(&meta),
                });
            }
        }
    }
}

impl Iterator for Walk {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        loop {
            if let Some(entry) = self.ready.pop_front() {
                return Some(entry);
            }
            let (dir, rel) = self.pending.pop_front()?;
            let parent = rel.rfind('/').map(|i| rel[..i].to_string());
            self.ready.push_back(Entry::Folder {
                rel: rel.clone(),
                parent,
            });
            self.list(dir, Some(&rel));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rels(walk: Walk) -> Vec<String> {
        walk.map(|e| match e {
            Entry::Folder { rel, .. } => format!("{rel}/"),
            Entry::File { rel, .. } => rel,
            Entry::Unreadable { rel, message } => format!("!{rel}: {message}"),
        })
        .collect()
    }

    #[test]
    fn breadth_first_folders_before_children_junk_and_links_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["b/deep", "a", ".git/objects", "$RECYCLE.BIN"] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in [
            "z.txt",
            "a/1.txt",
            "b/2.txt",
            "b/deep/3.txt",
            ".DS_Store",
            "a/Thumbs.db",
            "b/desktop.ini",
            ".git/objects/x",
        ] {
            fs::write(root.join(f), f).unwrap();
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("a"), root.join("link-to-a")).unwrap();
            std::os::unix::fs::symlink(root.join("z.txt"), root.join("b/link.txt")).unwrap();
        }
        let mut walk = Walk::new(root, WalkOptions::default()).unwrap();
        let got: Vec<Entry> = walk.by_ref().collect();
        let names = rels_of(&got);
        assert_eq!(
            names,
            [
                "z.txt",
                "a/",
                "a/1.txt",
                "b/",
                "b/2.txt",
                "b/deep/",
                "b/deep/3.txt"
            ]
        );
        assert_eq!(walk.skipped.junk, 5);
        #[cfg(unix)]
        assert_eq!(walk.skipped.symlinks, 2);
        // Parents are named by their relative path.
        assert!(got.contains(&Entry::Folder {
            rel: "b/deep".into(),
            parent: Some("b".into())
        }));
        let top_file = got.iter().find_map(|e| match e {
            Entry::File {
                rel, parent, stat, ..
            } if rel == "z.txt" => Some((parent.clone(), *stat)),
            _ => None,
        });
        let (parent, stat) = top_file.unwrap();
        assert_eq!(parent, None);
        assert_eq!(stat.size, 5);
        assert!(stat.mtime_ns > 0);

        let keep = WalkOptions {
            keep_junk: true,
            ..WalkOptions::default()
        };
        let all = rels(Walk::new(root, keep).unwrap());
        assert!(all.contains(&".git/objects/x".to_string()), "{all:?}");
        assert!(all.contains(&"a/Thumbs.db".to_string()), "{all:?}");
    }

    fn rels_of(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                Entry::Folder { rel, .. } => format!("{rel}/"),
                Entry::File { rel, .. } => rel.clone(),
                Entry::Unreadable { rel, .. } => format!("!{rel}"),
            })
            .collect()
    }

    #[test]
    fn a_single_file_is_its_own_entry_and_excluded_paths_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.pdf");
        fs::write(&file, b"%PDF").unwrap();
        assert_eq!(
            rels(Walk::new(&file, WalkOptions::default()).unwrap()),
            ["report.pdf"]
        );
        let manifest = dir.path().join("manifest.json");
        fs::write(&manifest, b"{}").unwrap();
        let options = WalkOptions {
            exclude: vec![manifest],
            ..WalkOptions::default()
        };
        assert_eq!(
            rels(Walk::new(dir.path(), options).unwrap()),
            ["report.pdf"]
        );
    }

    #[test]
    fn junk_names() {
        assert!(is_junk(".DS_Store", false));
        assert!(is_junk("THUMBS.DB", false));
        assert!(is_junk("Desktop.ini", false));
        assert!(is_junk(".git", true));
        assert!(is_junk("System Volume Information", true));
        assert!(!is_junk("thumbs.db", true));
        assert!(!is_junk("report.txt", false));
    }
}
