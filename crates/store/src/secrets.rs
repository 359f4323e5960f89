//! Credentials: password hashes, API keys and session tokens.
//!
//! Only derived forms are stored: an argon2 PHC string for passwords, the SHA-256 hex
//! digest for API keys and session tokens. A plaintext key or token exists once, in the
//! value returned to the caller who created it.

use std::fmt;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

/// An argon2 password hash in PHC string form (`$argon2id$v=19$...`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Hash a password with a fresh random salt. This costs tens of milliseconds of CPU on
    /// purpose; async callers should run it on a blocking thread.
    pub fn new(password: &str) -> Result<PasswordHash> {
        let hash = argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .map_err(|e| StoreError::Backend(format!("password hashing failed: {e}")))?;
        Ok(PasswordHash(hash.to_string()))
    }

    /// Take a PHC string from the database.
    pub(crate) fn from_phc(phc: String) -> PasswordHash {
        PasswordHash(phc)
    }

    /// Whether `password` is the one this hash was made from. A malformed stored hash
    /// verifies nothing.
    pub fn verify(&self, password: &str) -> bool {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), self.0.as_str())
            .is_ok()
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// A plaintext API key, handed out once when created or reset.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub(crate) fn generate() -> Result<ApiKey> {
        Ok(ApiKey(random_hex(24)?))
    }

    /// The key as the user sends it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form stored in the database.
    pub(crate) fn digest(&self) -> String {
        sha256_hex(&self.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(..)")
    }
}

/// An opaque session token, `<role_id>.<random>` as Aleph's are.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub(crate) fn generate(role_id: i64) -> Result<SessionToken> {
        Ok(SessionToken(format!("{role_id}.{}", random_hex(24)?)))
    }

    /// The token as the client sends it (`Authorization: Token <t>`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

/// SHA-256 of a secret, as lowercase hex: what the store keeps of API keys and tokens.
pub(crate) fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| StoreError::Backend(format!("no randomness available: {e}")))?;
    Ok(hex::encode(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_its_password() {
        let hash = PasswordHash::new("correct horse").unwrap();
        assert!(hash.as_str().starts_with("$argon2"));
        assert!(hash.verify("correct horse"));
        assert!(!hash.verify("correct horse "));
        assert!(!PasswordHash::from_phc("not a phc string".into()).verify("x"));
    }

    #[test]
    fn tokens_are_random_and_digests_are_sha256_hex() {
        let a = ApiKey::generate().unwrap();
        let b = ApiKey::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 48);
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let t = SessionToken::generate(42).unwrap();
        assert!(t.as_str().starts_with("42."));
        assert_eq!(format!("{t:?}"), "SessionToken(..)");
    }
}
