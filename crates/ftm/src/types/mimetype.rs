//! MIME types, normalised as rigour does: parameters dropped, lowercase, known aliases
//! replaced (`plain/text` → `text/plain`); the catch-all `application/octet-stream`
//! carries no information and is refused.

use super::data::MIME_DB;
use super::text::py_strip;

const DEFAULT: &str = "application/octet-stream";

/// rigour's `normalize_mimetype`, which reads the value as an e-mail `Content-Type`
/// header: only the part before the first `;` counts, and a value whose slash is not in
/// that part reads as `text/plain`.
pub(crate) fn normalize(text: &str) -> String {
    if text.matches('/').count() != 1 {
        return DEFAULT.to_owned();
    }
    let head = text.split_once(';').map_or(text, |(head, _)| head);
    let ctype = py_strip(head).to_lowercase();
    let ctype = if ctype.matches('/').count() == 1 {
        ctype
    } else {
        "text/plain".to_owned()
    };
    let Some((family, subtype)) = ctype.split_once('/') else {
        return DEFAULT.to_owned();
    };
    let (family, subtype) = (py_strip(family), py_strip(subtype));
    if family.is_empty() || subtype.is_empty() {
        return DEFAULT.to_owned();
    }
    let name = format!("{family}/{subtype}");
    match MIME_DB.replace.get(name.as_str()) {
        Some(replacement) => (*replacement).to_owned(),
        None => name,
    }
}

pub(crate) fn clean(text: &str) -> Option<String> {
    // Python's e-mail header API refuses values with line breaks (FtM then raises).
    if text.contains(['\n', '\r']) {
        return None;
    }
    let normalized = normalize(text);
    (normalized != DEFAULT).then_some(normalized)
}

/// A human label: a known type's name (`PDF document`), else its subtype in words.
pub(crate) fn caption(value: &str) -> String {
    let normalized = normalize(value);
    if let Some(label) = MIME_DB.labels.get(normalized.as_str()) {
        return (*label).to_owned();
    }
    match normalized.split_once('/') {
        Some((_, subtype)) => {
            py_strip(&subtype.trim_start_matches('x').replace(['-', '.'], " ")).to_owned()
        }
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(
            clean("TEXT/HTML; charset=UTF-8").as_deref(),
            Some("text/html")
        );
        assert_eq!(clean("plain/text").as_deref(), Some("text/plain"));
        assert_eq!(clean("application/octet-stream"), None);
        assert_eq!(clean("pdf"), None);
        assert_eq!(clean("text; x=a/b").as_deref(), Some("text/plain"));
        assert_eq!(clean("a/b/c"), None);
    }

    #[test]
    fn captions() {
        assert_eq!(caption("application/x-foo-bar"), "foo bar");
        assert!(!caption("application/pdf").is_empty());
    }
}
