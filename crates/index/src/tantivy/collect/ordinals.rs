//! Global ordinals: one numbering of a string column's values across all segments of a
//! searcher, so that per-segment counts by ordinal can be added up without turning every
//! counted value into a string (only the top of the merged counts is named).
//!
//! Building the numbering reads every segment's dictionary once; segments never change
//! (deletes do not touch their dictionaries), so a numbering is kept for a set of segments
//! until that set is gone from the recent ones.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;

/// How many numberings (column × segment set) are kept.
const CACHED: usize = 64;

/// The global numbering of one column over a list of segments.
#[derive(Debug)]
pub struct GlobalOrds {
    /// Per segment (in the searcher's order): segment ordinal → global ordinal.
    maps: Vec<Vec<u32>>,
    /// Per global ordinal: a segment (index into `maps`) and its ordinal there that name it.
    owners: Vec<(u32, u32)>,
}

impl GlobalOrds {
    /// The number of distinct values over all segments.
    pub fn len(&self) -> usize {
        self.owners.len()
    }

    /// The global ordinal of ordinal `ord` of segment `segment`.
    #[inline]
    pub fn global(&self, segment: usize, ord: usize) -> Option<u32> {
        self.maps.get(segment)?.get(ord).copied()
    }

    /// Where global ordinal `global` can be named.
    pub fn owner(&self, global: u32) -> Option<(usize, u64)> {
        self.owners
            .get(global as usize)
            .map(|&(s, o)| (s as usize, u64::from(o)))
    }

    /// Numbers the union of the segments' dictionaries in byte order.
    fn build(columns: &[&StrColumn]) -> io::Result<GlobalOrds> {
        let mut streams = columns
            .iter()
            .map(|c| c.dictionary().stream())
            .collect::<io::Result<Vec<_>>>()?;
        let mut live: Vec<bool> = streams.iter_mut().map(|s| s.advance()).collect();
        let mut maps: Vec<Vec<u32>> = columns
            .iter()
            .map(|c| vec![u32::MAX; c.num_terms()])
            .collect();
        let mut owners: Vec<(u32, u32)> = Vec::new();
        let mut at_min: Vec<usize> = Vec::with_capacity(streams.len());
        loop {
            // The segments whose current term is the smallest (a handful of segments, so a
            // linear scan beats a heap that would have to own the keys).
            at_min.clear();
            for i in 0..streams.len() {
                if !live[i] {
                    continue;
                }
                match at_min.first() {
                    None => at_min.push(i),
                    Some(&m) => match streams[i].key().cmp(streams[m].key()) {
                        std::cmp::Ordering::Less => {
                            at_min.clear();
                            at_min.push(i);
                        }
                        std::cmp::Ordering::Equal => at_min.push(i),
                        std::cmp::Ordering::Greater => {}
                    },
                }
            }
            let Some(&first) = at_min.first() else {
                break;
            };
            let global = u32::try_from(owners.len()).map_err(|_| too_many())?;
            let first_ord = u32::try_from(streams[first].term_ord()).map_err(|_| too_many())?;
            owners.push((first as u32, first_ord));
            for &i in &at_min {
                let ord = streams[i].term_ord() as usize;
                if let Some(slot) = maps[i].get_mut(ord) {
                    *slot = global;
                }
                live[i] = streams[i].advance();
            }
        }
        Ok(GlobalOrds { maps, owners })
    }
}

fn too_many() -> io::Error {
    io::Error::other("more than 2^32 distinct values in one column")
}

type Key = (String, Vec<SegmentId>);

struct Cache {
    entries: HashMap<Key, (u64, Arc<GlobalOrds>)>,
    clock: u64,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| {
        Mutex::new(Cache {
            entries: HashMap::new(),
            clock: 0,
        })
    })
}

/// The numbering of `column` over the given segments (ids and columns in the same order),
/// from the cache or built now.
pub fn global_ords(
    column: &str,
    segments: &[(SegmentId, &StrColumn)],
) -> io::Result<Arc<GlobalOrds>> {
    let key: Key = (
        column.to_string(),
        segments.iter().map(|(id, _)| *id).collect(),
    );
    if let Ok(mut cache) = cache().lock() {
        cache.clock += 1;
        let now = cache.clock;
        if let Some((used, ords)) = cache.entries.get_mut(&key) {
            *used = now;
            return Ok(ords.clone());
        }
    }
    // Built outside the lock: another request may build the same numbering meanwhile,
    // which only costs time.
    let columns: Vec<&StrColumn> = segments.iter().map(|(_, c)| *c).collect();
    let ords = Arc::new(GlobalOrds::build(&columns)?);
    if let Ok(mut cache) = cache().lock() {
        if cache.entries.len() >= CACHED {
            let oldest = cache
                .entries
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                cache.entries.remove(&oldest);
            }
        }
        let now = cache.clock;
        cache.entries.insert(key, (now, ords.clone()));
    }
    Ok(ords)
}
