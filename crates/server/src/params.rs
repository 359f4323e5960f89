//! Query-string and form parameters as Aleph reads them: repeatable keys, order kept.

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;

use crate::error::ApiError;

/// All `key=value` pairs of the query string, in order.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str) -> Params {
        Params(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `key`, if any (empty values count as absent).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every non-empty value of `key`.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A boolean in Aleph's lenient spelling (`true/false/1/0/yes/no/on/off`); a value that is
    /// none of these is a 400.
    pub fn bool(&self, key: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => index::query::request::parse_bool(v)
                .ok_or_else(|| ApiError::invalid(key, format!("not a boolean: {v:?}"))),
        }
    }

    /// A non-negative integer; a malformed value is a 400.
    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::invalid(key, format!("not an integer: {v:?}"))),
        }
    }

    pub fn push(&mut self, key: &str, value: &str) {
        self.0.push((key.to_string(), value.to_string()));
    }

    /// Keep only pairs whose key passes `keep`.
    pub fn without(&self, drop: &[&str]) -> Params {
        Params(
            self.0
                .iter()
                .filter(|(k, _)| !drop.contains(&k.as_str()))
                .cloned()
                .collect(),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RawQuery(query) = RawQuery::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("invalid query string"))?;
        Ok(Params::parse(query.as_deref().unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeatable_keys_and_booleans() {
        let p = Params::parse("filter%3Aschema=A&filter:schema=B&q=&sync=yes&limit=x");
        assert_eq!(p.all("filter:schema"), ["A", "B"]);
        assert_eq!(p.get("q"), None);
        assert!(p.bool("sync", false).unwrap());
        assert!(p.bool("absent", true).unwrap());
        assert!(p.int("limit").is_err());
        assert!(p.bool("limit", false).is_err());
    }
}
