//! References to other entities by id: letters and digits, with dots and hyphens inside
//! (`^[0-9a-zA-Z]([0-9a-zA-Z.-]*[0-9a-zA-Z])?$`), so no underscores, colons or spaces.

pub(crate) fn is_valid_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-')
}

/// FtM's entity cleaning. (FtM also refuses a reference to the entity itself; that check
/// needs the entity and belongs to the entity layer.)
pub(crate) fn clean(text: &str) -> Option<String> {
    is_valid_id(text).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_valid_id("a"));
        assert!(is_valid_id("ab12.cd-ef.0123456789abcdef"));
        assert!(!is_valid_id("-ab"));
        assert!(!is_valid_id("ab."));
        assert!(!is_valid_id("a_b"));
        assert!(!is_valid_id("a:b"));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("ü"));
        assert!(!is_valid_id(""));
    }
}
