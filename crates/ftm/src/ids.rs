//! Entity ids: FtM's `make_id` and the HMAC signatures with which Aleph namespaces ids
//! per collection (`<id>.<hex hmac-sha1(key, id)>`).

use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};

use crate::entity::{Entity, EntityError};

/// Whether `id` has FtM's entity id syntax: ASCII letters and digits, with dots and dashes
/// inside, at most 200 characters (`^[0-9a-zA-Z]([0-9a-zA-Z.-]*[0-9a-zA-Z])?$`).
pub fn is_entity_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    bytes.len() <= 200
        && first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-')
}

/// SHA-1 of the key prefix and the parts, concatenated with no separator; `None` when
/// every part is empty (FtM's `make_entity_id`). Note that `("ab", "c")` and `("a", "bc")`
/// give the same id, exactly as in FtM.
pub fn make_id<S: AsRef<str>>(key_prefix: Option<&str>, parts: &[S]) -> Option<String> {
    let mut digest = Sha1::new();
    if let Some(prefix) = key_prefix {
        digest.update(py_strip(prefix).as_bytes());
    }
    let mut fed = false;
    for part in parts {
        let part = py_strip(part.as_ref());
        if !part.is_empty() {
            digest.update(part.as_bytes());
            fed = true;
        }
    }
    fed.then(|| hex::encode(digest.finalize()))
}

/// Python's `str.strip()`, which FtM applies to every id part: Unicode white space plus the
/// ASCII separators U+001C..U+001F that Rust's `trim` keeps.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A signing namespace: a collection's `foreign_id` in Aleph, a dataset name in `ftm map`.
#[derive(Clone)]
pub struct Namespace {
    mac: Option<Hmac<Sha1>>,
}

impl Namespace {
    /// A namespace keyed by `name`; an empty name signs nothing (ids are only stripped).
    pub fn new(name: &str) -> Namespace {
        let mac = (!name.is_empty()).then(|| {
            // HMAC accepts keys of any length; this cannot fail.
            Hmac::<Sha1>::new_from_slice(name.as_bytes()).expect("HMAC takes any key length")
        });
        Namespace { mac }
    }

    /// Split `id` into the plain id and its signature (the text after the last `.`).
    /// `None` if the id is not a valid entity id.
    pub fn parse(id: &str) -> Option<(&str, Option<&str>)> {
        let id = id.trim();
        if !is_entity_id(id) {
            return None;
        }
        Some(match id.rsplit_once('.') {
            Some((plain, sig)) => (plain, Some(sig)),
            None => (id, None),
        })
    }

    /// The plain id without any signature.
    pub fn strip(id: &str) -> Option<&str> {
        Namespace::parse(id).map(|(plain, _)| plain)
    }

    /// The signature of a plain id.
    pub fn signature(&self, plain: &str) -> Option<String> {
        let mut mac = self.mac.clone()?;
        mac.update(plain.as_bytes());
        Some(hex::encode(mac.finalize().into_bytes()))
    }

    /// Sign an id, replacing any earlier signature. `None` for an invalid id.
    pub fn sign(&self, id: &str) -> Option<String> {
        let (plain, _) = Namespace::parse(id)?;
        let Some(mac) = &self.mac else {
            return Some(plain.to_string());
        };
        let mut mac = mac.clone();
        mac.update(plain.as_bytes());
        let digest = mac.finalize().into_bytes();
        // Written straight into one string: this runs for every id and reference of a
        // mapping or import.
        let mut signed = String::with_capacity(plain.len() + 1 + 2 * digest.len());
        signed.push_str(plain);
        signed.push('.');
        for byte in digest {
            signed.push(char::from(HEX[usize::from(byte >> 4)]));
            signed.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        Some(signed)
    }

    /// Whether `id` carries this namespace's signature.
    pub fn verify(&self, id: &str) -> bool {
        let Some((plain, Some(sig))) = Namespace::parse(id) else {
            return false;
        };
        let Some(mut mac) = self.mac.clone() else {
            return false;
        };
        mac.update(plain.as_bytes());
        hex::decode(sig).is_ok_and(|bytes| mac.verify_slice(&bytes).is_ok())
    }

    /// Sign the entity's id and every entity-typed value (FtM's `Namespace.apply`).
    pub fn apply(&self, entity: &Entity) -> Result<Entity, EntityError> {
        let mut signed = entity.clone();
        self.apply_in_place(&mut signed, &mut |id| self.sign(id));
        Ok(signed)
    }

    /// [`Namespace::apply`] on an entity the caller owns, signing with `sign` (which may
    /// remember signatures: a mapped relationship refers to ids signed just before).
    /// Invalid ids are dropped, an invalid entity id leaves the entity without one.
    pub fn apply_in_place(
        &self,
        entity: &mut Entity,
        sign: &mut dyn FnMut(&str) -> Option<String>,
    ) {
        let id = entity.id().and_then(&mut *sign);
        entity.set_id(id);
        entity.rewrite_references(sign);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_id_concatenates_without_separator() {
        // sha1("ab")
        assert_eq!(
            make_id(None, &["a", "b"]).as_deref(),
            Some("da23614e02469a0d7c7bd1bdab5c9c474b1904dc")
        );
        assert_eq!(make_id(None, &["ab", "c"]), make_id(None, &["a", "bc"]));
        assert_eq!(make_id(None, &["", ""]), None);
        // Parts are stripped of surrounding white space, as FtM's `stringify` does.
        assert_eq!(make_id(None, &["a ", " b"]), make_id(None, &["a", "b"]));
        assert_eq!(make_id(None, &[" ", "\t"]), None);
        assert_eq!(make_id(Some("prefix"), &[""]), None);
        // sha1("demo_datasetcompanyC1"), the mapping key from ftm.md.
        assert_eq!(
            make_id(Some("demo_dataset"), &["company", "C1"]),
            make_id(None, &["demo_datasetcompanyC1"])
        );
    }

    #[test]
    fn signs_strips_and_verifies() {
        let ns = Namespace::new("test");
        let signed = ns.sign("foo").unwrap();
        assert!(signed.starts_with("foo."));
        assert_eq!(signed.len(), "foo.".len() + 40);
        assert!(ns.verify(&signed));
        assert!(!Namespace::new("other").verify(&signed));
        // An old signature (anything after the last dot) is replaced.
        assert_eq!(ns.sign("foo.bar").unwrap(), ns.sign("foo").unwrap());
        assert_eq!(ns.sign(&signed).unwrap(), signed);
        assert_eq!(Namespace::strip(&signed), Some("foo"));
        assert_eq!(ns.sign("bad_id"), None);
        assert_eq!(Namespace::new("").sign("a.b").as_deref(), Some("a"));
    }

    #[test]
    fn apply_signs_references() {
        let mut e = Entity::with_id("Ownership", "own1").unwrap();
        e.add("owner", "per1").unwrap();
        e.add("asset", "com1.oldsig").unwrap();
        e.add("role", "shareholder").unwrap();
        let ns = Namespace::new("coll");
        let s = ns.apply(&e).unwrap();
        assert_eq!(s.id(), ns.sign("own1").as_deref());
        assert_eq!(s.get("owner"), [ns.sign("per1").unwrap()]);
        assert_eq!(s.get("asset"), [ns.sign("com1").unwrap()]);
        assert_eq!(s.get("role"), ["shareholder"]);
        // FtM pops and re-adds the references, so they come after the other properties.
        let order: Vec<&str> = s.properties().map(|(p, _)| p.name()).collect();
        assert_eq!(order, ["role", "owner", "asset"]);
        // HMAC-SHA1 of "per1" keyed with "coll", written in lower-case hex.
        assert_eq!(
            ns.sign("per1").unwrap(),
            format!("per1.{}", ns.signature("per1").unwrap())
        );
        assert_eq!(
            ns.signature("per1").as_deref(),
            Some("5bdc4fb968783f192c1d5d1c0031b5b38f916dc6")
        );
    }

    #[test]
    fn apply_in_place_uses_the_given_signer_and_drops_invalid_references() {
        let mut e = Entity::with_id("Ownership", "own1").unwrap();
        e.add_cleaned("owner", "bad id").unwrap();
        e.add_cleaned("asset", "com1").unwrap();
        let ns = Namespace::new("coll");
        let mut calls = Vec::new();
        ns.apply_in_place(&mut e, &mut |id| {
            calls.push(id.to_string());
            ns.sign(id)
        });
        assert_eq!(calls, ["own1", "bad id", "com1"]);
        assert_eq!(e.id(), ns.sign("own1").as_deref());
        assert!(!e.has("owner"));
        assert_eq!(e.get("asset"), [ns.sign("com1").unwrap()]);
    }
}
