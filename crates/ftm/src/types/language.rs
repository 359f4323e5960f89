//! Languages: any ISO 639 code, name or BCP 47-style tag, as ISO 639-3, limited to the
//! 74 languages FtM supports. (FtM lets the `FTM_LANGUAGES` environment variable change
//! that list; we keep the default.)

use super::data::LANGUAGE_DB;

/// rigour's `iso_639_alpha3`, restricted to FtM's languages.
pub(crate) fn clean(text: &str) -> Option<String> {
    let norm = super::text::py_strip(&text.to_lowercase()).to_owned();
    alpha3(&norm).map(str::to_owned)
}

fn alpha3(norm: &str) -> Option<&'static str> {
    if norm.is_empty() {
        return None;
    }
    let db = &*LANGUAGE_DB;
    if let Some(&resolved) = db.keys.get(norm) {
        // A key that names a language resolves to it, supported or not.
        return resolved;
    }
    if let Some((&code, _)) = db.label_index.get_key_value(norm) {
        return Some(code);
    }
    for sep in ['-', '_'] {
        if let Some((head, _)) = norm.split_once(sep) {
            return alpha3(head);
        }
    }
    None
}

/// The English name of a language code.
pub(crate) fn caption(value: &str) -> Option<&'static str> {
    LANGUAGE_DB.label_index.get(value).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        assert_eq!(clean("en").as_deref(), Some("eng"));
        assert_eq!(clean("ENG ").as_deref(), Some("eng"));
        assert_eq!(clean("German").as_deref(), Some("deu"));
        assert_eq!(clean("ger").as_deref(), Some("deu"));
        assert_eq!(clean("pt-BR").as_deref(), Some("por"));
        assert_eq!(clean("zh_Hans").as_deref(), Some("zho"));
        assert_eq!(clean("Klingon"), None);
        assert_eq!(clean("gsw"), None);
        assert_eq!(caption("deu"), Some("German"));
    }
}
