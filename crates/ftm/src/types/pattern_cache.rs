//! Compiled regular expressions for patterns known only at run time (libphonenumber's
//! metadata, strptime formats), compiled once and shared between threads.

use std::cell::RefCell;
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

/// Compiled patterns for pattern texts that live for the whole program (libphonenumber's
/// metadata, loaded once into a static database), keyed by the text's address and length.
///
/// Looking a phone number up touches a dozen such patterns, some hundreds of bytes long:
/// hashing and comparing the texts, taking the shared lock and counting `Arc` references
/// on a counter that both cores write cost more than the matching. Here each thread keeps
/// its own map from address to pattern, filled from a shared map on first use; the
/// compiled patterns are leaked, which is bounded because the keys are `'static` texts
/// of a fixed database (the same text at another address only compiles twice).
pub(crate) struct StaticPatterns {
    shared: LazyLock<RwLock<SharedMap>>,
}

/// Address and length of a pattern text → its leaked compiled pattern.
type SharedMap = FxHashMap<(usize, usize), Option<&'static Regex>>;

/// A thread's view of one [`StaticPatterns`], keyed by the cache's own address too so that
/// several caches share one thread-local map.
type LocalMap = FxHashMap<(usize, usize, usize), Option<&'static Regex>>;

thread_local! {
    static LOCAL: RefCell<LocalMap> = RefCell::new(FxHashMap::default());
}

impl StaticPatterns {
    pub const fn new() -> StaticPatterns {
        StaticPatterns {
            shared: LazyLock::new(|| RwLock::new(FxHashMap::default())),
        }
    }

    /// The compiled pattern for `key`, built with `build` the first time any thread asks.
    pub fn get(
        &'static self,
        key: &'static str,
        build: impl FnOnce() -> Option<Regex>,
    ) -> Option<&'static Regex> {
        let addr = (key.as_ptr() as usize, key.len());
        let local_key = (std::ptr::from_ref(self) as usize, addr.0, addr.1);
        if let Ok(Some(found)) = LOCAL.try_with(|l| l.borrow().get(&local_key).copied()) {
            return found;
        }
        let found = self.shared_get(addr, build);
        let _ = LOCAL.try_with(|l| l.borrow_mut().insert(local_key, found));
        found
    }

    fn shared_get(
        &self,
        addr: (usize, usize),
        build: impl FnOnce() -> Option<Regex>,
    ) -> Option<&'static Regex> {
        if let Ok(map) = self.shared.read()
            && let Some(found) = map.get(&addr)
        {
            return *found;
        }
        let Ok(mut map) = self.shared.write() else {
            return build().map(|r| &*Box::leak(Box::new(r)));
        };
        // Another thread may have compiled it while this one waited for the lock.
        *map.entry(addr)
            .or_insert_with(|| build().map(|r| &*Box::leak(Box::new(r))))
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

    #[test]
    fn static_patterns_compile_once_across_threads() {
        static CACHE: StaticPatterns = StaticPatterns::new();
        static OTHER: StaticPatterns = StaticPatterns::new();
        static KEY: &str = "b+";
        let builds = std::sync::atomic::AtomicUsize::new(0);
        let build = || {
            builds.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Regex::new(&format!("^(?:{KEY})$")).ok()
        };
        let first = CACHE.get(KEY, build);
        assert!(first.is_some_and(|r| r.is_match("bbb") && !r.is_match("ab")));
        std::thread::scope(|s| {
            s.spawn(|| {
                let again = CACHE.get(KEY, || panic!("compiled by the first thread"));
                assert!(std::ptr::eq(again.unwrap(), first.unwrap()));
            });
        });
        assert!(CACHE.get(KEY, || panic!("cached")).is_some());
        assert_eq!(builds.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Another cache keeps its own patterns for the same text.
        assert!(
            OTHER
                .get(KEY, || Regex::new("^x$").ok())
                .is_some_and(|r| r.is_match("x"))
        );
        let unclosed = String::from("(");
        assert!(CACHE.get("(", || Regex::new(&unclosed).ok()).is_none());
    }
}
