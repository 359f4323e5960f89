//! Archive download tokens: a JWT (HS256, keyed by `ALEPH_SECRET_KEY`) carrying the blob's
//! hash, file name and MIME type, as Aleph's `GET /api/2/archive?token=` expects. The token
//! alone authorises the download, so it expires (a day by default).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What an archive token grants: one blob, with the name and type to send it under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveClaims {
    /// The blob's content hash.
    pub c: String,
    /// The file name for `Content-Disposition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f: Option<String>,
    /// The MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// The user the token was made for, so that the download is audited under their name
    /// (the download itself needs no other credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<i64>,
}

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("invalid token signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn mac(secret: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length")
}

/// Sign claims into a JWT.
pub fn sign(secret: &str, claims: &ArchiveClaims) -> String {
    let header = URL_SAFE_NO_PAD.encode(HEADER);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Check a JWT's signature and expiry and return its claims.
pub fn verify(secret: &str, token: &str, now: i64) -> Result<ArchiveClaims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    let mut mac = mac(secret);
    mac.update(header.as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| TokenError::BadSignature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let claims: ArchiveClaims =
        serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
    if claims.exp < now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> ArchiveClaims {
        ArchiveClaims {
            c: "a9993e364706816aba3e25717850c26c9cd0d89d".into(),
            f: Some("a.txt".into()),
            m: Some("text/plain".into()),
            exp,
            r: Some(7),
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let token = sign("secret", &claims(100));
        assert_eq!(verify("secret", &token, 50).unwrap(), claims(100));
        assert_eq!(verify("other", &token, 50), Err(TokenError::BadSignature));
        assert_eq!(verify("secret", &token, 101), Err(TokenError::Expired));
        assert_eq!(verify("secret", "garbage", 0), Err(TokenError::Malformed));
        let mut tampered = token.clone();
        tampered.insert(tampered.find('.').unwrap() + 2, 'x');
        assert!(verify("secret", &tampered, 50).is_err());
    }
}
