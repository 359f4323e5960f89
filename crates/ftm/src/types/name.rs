//! Names of people and organisations, and postal addresses: light clean-up only.

use std::sync::LazyLock;

use regex::Regex;

use super::text::{slugify, squash_spaces, strip_quotes};

/// Strip one pair of surrounding quotes and squash white space.
pub(crate) fn clean_name(text: &str) -> Option<String> {
    let name = squash_spaces(strip_quotes(text));
    if name.is_empty() { None } else { Some(name) }
}

pub(crate) fn name_node_id(value: &str) -> Option<String> {
    slugify(value).map(|slug| format!("name:{slug}"))
}

static LINE_BREAKS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\r\n|\n|<BR/>|<BR>|\t|ESQ\.,|ESQ,|;)").unwrap_or_else(|e| panic!("{e}"))
});
static COMMATA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r",\s?[,\.]").unwrap_or_else(|e| panic!("{e}")));

/// Line breaks, tabs, `<BR>` and semicolons become commas; doubled commas collapse.
pub(crate) fn clean_address(text: &str) -> Option<String> {
    let address = LINE_BREAKS.replace_all(text, ", ");
    let address = COMMATA.replace_all(&address, ", ");
    let collapsed = squash_spaces(&address);
    if collapsed.is_empty() {
        None
    } else {
        Some(collapsed)
    }
}

/// The graph node of an address. FtM keys it by rigour's `address_fingerprint`, which
/// also canonicalises street keywords and country names with large multilingual tables;
/// we key by the slug of the address itself (see docs/ftm-differences.md).
pub(crate) fn address_node_id(value: &str) -> Option<String> {
    slugify(value).map(|slug| format!("addr:{slug}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            clean_name("\"Vladimir   Putin\"").as_deref(),
            Some("Vladimir Putin")
        );
        assert_eq!(clean_name("''"), None);
        assert_eq!(
            name_node_id("Vladimir Putin").as_deref(),
            Some("name:vladimir-putin")
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(
            clean_address("1 Main St;\nLondon<BR>UK").as_deref(),
            Some("1 Main St, London, UK")
        );
        assert_eq!(clean_address("A, , B,. C").as_deref(), Some("A, B, C"));
        assert_eq!(
            clean_address("JOHN DOE ESQ., NEW YORK").as_deref(),
            Some("JOHN DOE , NEW YORK")
        );
    }
}
