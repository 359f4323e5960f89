//! Compiled regular expressions for patterns known only at run time (libphonenumber's
//! metadata, strptime formats), compiled once and shared between threads.

use std::sync::{Arc, LazyLock, RwLock};

use regex::Regex;
use rustc_hash::FxHashMap;

/// A cache from a key to its compiled pattern (`None`: the pattern does not compile).
/// Lookups take a shared lock only, so threads cleaning values in parallel do not
/// queue behind each other once the patterns they use are compiled.
///
/// Patterns are handed out as `Arc<Regex>`: a *cloned* `Regex` starts with an empty
/// matching cache that it must rebuild on first use, which cost more than the matching.
///
/// The keys are hashed with FxHash: libphonenumber's patterns run to hundreds of bytes
/// and are looked up several times per phone number, so SipHash over them was a tenth
/// of the cost of cleaning a file of entities. The keys come from our own data and
/// formats, not from an adversary choosing hash collisions.
pub(crate) struct PatternCache {
    map: LazyLock<RwLock<FxHashMap<String, Option<Arc<Regex>>>>>,
}

impl PatternCache {
    pub const fn new() -> PatternCache {
        PatternCache {
            map: LazyLock::new(|| RwLock::new(FxHashMap::default())),
        }
    }

    /// The compiled pattern for `key`, built with `build` on first use.
    pub fn get(&self, key: &str, build: impl FnOnce() -> Option<Regex>) -> Option<Arc<Regex>> {
        if let Ok(map) = self.map.read()
            && let Some(found) = map.get(key)
        {
            return found.clone();
        }
        let compiled = build().map(Arc::new);
        if let Ok(mut map) = self.map.write() {
            // Formats come from data; keep a bound on what a stream of odd ones can hold.
            if map.len() >= 10_000 {
                map.clear();
            }
            map.insert(key.to_owned(), compiled.clone());
        }
        compiled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_once_and_remembers_failures() {
        static CACHE: PatternCache = PatternCache::new();
        let build = |pattern: &str| Regex::new(&format!("^(?:{pattern})$")).ok();
        let mut builds = 0;
        for _ in 0..3 {
            let re = CACHE.get("a+", || {
                builds += 1;
                build("a+")
            });
            assert!(re.is_some_and(|r| r.is_match("aaa")));
        }
        assert_eq!(builds, 1);
        assert!(CACHE.get("(", || build("(")).is_none());
        assert!(
            CACHE
                .get("(", || panic!("a failure is cached too"))
                .is_none()
        );
    }
}
