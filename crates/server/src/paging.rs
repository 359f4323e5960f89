//! Aleph's paging envelope: `{status, results, total, total_type, page, pages, limit,
//! offset, next, previous}`.
//!
//! `next` and `previous` are absolute URLs on `ALEPH_UI_URL` with the same arguments.
//! Where Aleph has an off-by-one (a `next` link to an empty page when the results end exactly
//! at a page boundary) and a 500 at offset 9,999, we give `null` instead: alephclient stops on
//! a null `next` either way, and no request errors.

use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::params::Params;

/// Aleph's `MAX_PAGE`: no offset or limit goes past it.
pub const MAX_WINDOW: usize = 9999;
pub const DEFAULT_LIMIT: usize = 20;

/// The page a request asks for, after Aleph's caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: usize,
    /// What is fetched: the requested limit, cut so that offset + limit ≤ 9,999.
    pub limit: usize,
    /// What the client asked for; echoed as `limit`.
    pub requested: usize,
}

impl PageRequest {
    pub fn from_params(params: &Params) -> Result<PageRequest, ApiError> {
        PageRequest::from_params_with(params, DEFAULT_LIMIT)
    }

    pub fn from_params_with(params: &Params, default: usize) -> Result<PageRequest, ApiError> {
        let limit = clamped(params, "limit")?.unwrap_or(default);
        let offset = clamped(params, "offset")?.unwrap_or(0);
        Ok(PageRequest {
            offset,
            limit: limit.min(MAX_WINDOW - offset),
            requested: limit,
        })
    }
}

/// A page number clamped to `[0, 9999]` as Aleph clamps it (`max(0, min(9999, n))`): a
/// negative or huge integer is not an error; text that is no integer at all is a 400.
fn clamped(params: &Params, key: &str) -> Result<Option<usize>, ApiError> {
    let Some(raw) = params.get(key).map(str::trim) else {
        return Ok(None);
    };
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(key, format!("not an integer: {raw:?}")));
    }
    if raw.starts_with('-') {
        return Ok(Some(0));
    }
    // All digits: the only parse failure left is overflow, which the cap absorbs.
    Ok(Some(
        digits
            .parse::<usize>()
            .unwrap_or(usize::MAX)
            .min(MAX_WINDOW),
    ))
}

/// Build the envelope around one page of results.
pub struct Envelope<'a> {
    pub results: Vec<Value>,
    pub total: u64,
    pub page: PageRequest,
    /// The public path of the listing (`api/2/entities`), for `next`/`previous`.
    pub path: &'a str,
    pub params: &'a Params,
    pub ui_url: &'a str,
}

impl Envelope<'_> {
    pub fn into_json(self) -> Map<String, Value> {
        let PageRequest {
            offset, requested, ..
        } = self.page;
        let total = self.total as usize;
        let page_number = offset.checked_div(requested).map_or(1, |p| p + 1);
        let pages = if requested == 0 {
            0
        } else {
            total.div_ceil(requested)
        };
        let end = offset + requested;
        let next =
            (requested > 0 && end < total && end < MAX_WINDOW).then(|| self.link(end, requested));
        let previous = (requested > 0 && offset >= requested)
            .then(|| self.link(offset - requested, requested));
        let mut out = Map::new();
        out.insert("status".into(), json!("ok"));
        out.insert("results".into(), Value::Array(self.results));
        out.insert("total".into(), json!(self.total));
        out.insert("total_type".into(), json!("eq"));
        out.insert("page".into(), json!(page_number));
        out.insert("pages".into(), json!(pages));
        out.insert("limit".into(), json!(requested));
        out.insert("offset".into(), json!(offset));
        out.insert("next".into(), next.map_or(Value::Null, Value::String));
        out.insert(
            "previous".into(),
            previous.map_or(Value::Null, Value::String),
        );
        out
    }

    fn link(&self, offset: usize, limit: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("offset", &offset.to_string());
        query.append_pair("limit", &limit.to_string());
        for (key, value) in &self.params.0 {
            if value.is_empty() || matches!(key.as_str(), "offset" | "limit" | "next_limit") {
                continue;
            }
            query.append_pair(key, value);
        }
        format!(
            "{}{}?{}",
            self.ui_url,
            self.path.trim_start_matches('/'),
            query.finish()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(query: &str, total: u64) -> Map<String, Value> {
        let params = Params::parse(query);
        let page = PageRequest::from_params(&params).unwrap();
        Envelope {
            results: vec![],
            total,
            page,
            path: "api/2/entities",
            params: &params,
            ui_url: "https://aleph.example/",
        }
        .into_json()
    }

    #[test]
    fn next_and_previous_links() {
        let e = envelope("q=&filter:schema=Person&limit=300&offset=300", 1000);
        assert_eq!(e["page"], 2);
        assert_eq!(e["pages"], 4);
        assert_eq!(e["limit"], 300);
        assert_eq!(
            e["next"],
            "https://aleph.example/api/2/entities?offset=600&limit=300&filter%3Aschema=Person"
        );
        assert_eq!(
            e["previous"],
            "https://aleph.example/api/2/entities?offset=0&limit=300&filter%3Aschema=Person"
        );
    }

    #[test]
    fn no_next_link_at_the_exact_end_or_past_the_window() {
        assert_eq!(envelope("limit=300&offset=600", 900)["next"], Value::Null);
        assert!(envelope("limit=300&offset=300", 900)["next"].is_string());
        assert_eq!(
            envelope("limit=300&offset=9900", 20000)["next"],
            Value::Null
        );
        assert_eq!(envelope("limit=10", 5)["previous"], Value::Null);
    }

    #[test]
    fn caps_and_errors() {
        let p = PageRequest::from_params(&Params::parse("limit=300&offset=9900")).unwrap();
        assert_eq!((p.offset, p.limit, p.requested), (9900, 99, 300));
        let p = PageRequest::from_params(&Params::parse("limit=100000&offset=50000")).unwrap();
        assert_eq!((p.offset, p.limit, p.requested), (9999, 0, 9999));
        let p = PageRequest::from_params(&Params::parse("limit=-1&offset=-30")).unwrap();
        assert_eq!((p.offset, p.limit, p.requested), (0, 0, 0));
        let p = PageRequest::from_params(&Params::parse("limit=99999999999999999999999")).unwrap();
        assert_eq!(p.requested, 9999);
        assert!(PageRequest::from_params(&Params::parse("offset=abc")).is_err());
        assert!(PageRequest::from_params(&Params::parse("limit=1e3")).is_err());
        assert!(PageRequest::from_params(&Params::parse("limit=-")).is_err());
    }
}
