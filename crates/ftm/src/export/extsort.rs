//! Sorting more lines than fit in memory: sorted runs on disk, merged in one stream.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Runs merged at once; more runs are merged in rounds (keeps open files bounded).
const MAX_FAN_IN: usize = 128;

/// Collects lines (without newlines), spilling sorted runs of at most `limit` bytes to
/// files in `dir`.
pub struct ExternalSorter {
    dir: PathBuf,
    limit: usize,
    chunk: Vec<Vec<u8>>,
    chunk_bytes: usize,
    runs: Vec<PathBuf>,
    next_run: usize,
}

impl ExternalSorter {
    pub fn new(dir: &Path, limit: usize) -> ExternalSorter {
        ExternalSorter {
            dir: dir.to_path_buf(),
            limit,
            chunk: Vec::new(),
            chunk_bytes: 0,
            runs: Vec::new(),
            next_run: 0,
        }
    }

    /// Add a line; it must not contain `\n`.
    pub fn push(&mut self, line: Vec<u8>) -> io::Result<()> {
        debug_assert!(!line.contains(&b'\n'));
        self.chunk_bytes += line.len() + 32;
        self.chunk.push(line);
        if self.chunk_bytes >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    fn run_path(&mut self) -> PathBuf {
        self.next_run += 1;
        self.dir.join(format!("run-{}.txt", self.next_run))
    }

    fn spill(&mut self) -> io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        self.chunk.sort_unstable();
        let path = self.run_path();
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
        for line in self.chunk.drain(..) {
            out.write_all(&line)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        self.chunk_bytes = 0;
        self.runs.push(path);
        Ok(())
    }

    /// All lines, sorted bytewise.
    pub fn finish(mut self) -> io::Result<Merge> {
        if self.runs.is_empty() {
            self.chunk.sort_unstable();
            return Ok(Merge::memory(std::mem::take(&mut self.chunk)));
        }
        self.spill()?;
        while self.runs.len() > MAX_FAN_IN {
            let group: Vec<PathBuf> = self.runs.drain(..MAX_FAN_IN).collect();
            let path = self.run_path();
            let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
            let mut merge = Merge::files(&group)?;
            while let Some(line) = merge.next_line()? {
                out.write_all(&line)?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
            for p in group {
                std::fs::remove_file(p)?;
            }
            self.runs.push(path);
        }
        Merge::files(&self.runs)
    }
}

/// The merged, sorted lines.
pub struct Merge {
    readers: Vec<BufReader<File>>,
    heap: BinaryHeap<Reverse<(Vec<u8>, usize)>>,
    memory: std::vec::IntoIter<Vec<u8>>,
}

impl Merge {
    fn memory(lines: Vec<Vec<u8>>) -> Merge {
        Merge {
            readers: Vec::new(),
            heap: BinaryHeap::new(),
            memory: lines.into_iter(),
        }
    }

    fn files(paths: &[PathBuf]) -> io::Result<Merge> {
        let mut merge = Merge::memory(Vec::new());
        for (i, path) in paths.iter().enumerate() {
            merge
                .readers
                .push(BufReader::with_capacity(256 * 1024, File::open(path)?));
            merge.refill(i)?;
        }
        Ok(merge)
    }

    fn refill(&mut self, i: usize) -> io::Result<()> {
        let mut line = Vec::new();
        if self.readers[i].read_until(b'\n', &mut line)? > 0 {
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            self.heap.push(Reverse((line, i)));
        }
        Ok(())
    }

    pub fn next_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.readers.is_empty() {
            return Ok(self.memory.next());
        }
        let Some(Reverse((line, i))) = self.heap.pop() else {
            return Ok(None);
        };
        self.refill(i)?;
        Ok(Some(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(limit: usize, lines: &[String]) -> Vec<String> {
        let dir = std::env::temp_dir().join(format!(
            "ftm-extsort-{}-{limit}-{}",
            std::process::id(),
            lines.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut sorter = ExternalSorter::new(&dir, limit);
        for line in lines {
            sorter.push(line.as_bytes().to_vec()).unwrap();
        }
        let mut merge = sorter.finish().unwrap();
        let mut out = Vec::new();
        while let Some(line) = merge.next_line().unwrap() {
            out.push(String::from_utf8(line).unwrap());
        }
        std::fs::remove_dir_all(&dir).unwrap();
        out
    }

    #[test]
    fn sorts_in_memory_and_across_many_runs() {
        let lines: Vec<String> = (0..5000u64)
            .map(|i| format!("{:x}-{i}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40))
            .collect();
        let mut expected = lines.clone();
        expected.sort();
        assert_eq!(sorted(1 << 30, &lines), expected);
        // 100-byte runs: hundreds of runs, merged in rounds.
        assert_eq!(sorted(100, &lines), expected);
        assert!(sorted(100, &[]).is_empty());
    }
}
