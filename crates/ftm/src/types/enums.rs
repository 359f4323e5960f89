//! Genders and topics: small closed vocabularies.

use super::data::{GENDER_DB, TOPIC_INDEX};

/// `male`, `female` or `other`, from those words or one of FtM's aliases (`m`, `weiblich`…).
pub(crate) fn clean_gender(text: &str) -> Option<String> {
    let code = super::text::py_strip(&text.to_lowercase()).to_owned();
    let db = &*GENDER_DB;
    let code = db
        .aliases
        .get(code.as_str())
        .copied()
        .unwrap_or(code.as_str());
    db.labels
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(c, _)| (*c).to_owned())
}

pub(crate) fn gender_caption(value: &str) -> Option<&'static str> {
    GENDER_DB
        .labels
        .iter()
        .find(|(c, _)| *c == value)
        .map(|(_, l)| *l)
}

/// One of FtM's topic codes (`role.pep`, `sanction`…), case-insensitively.
pub(crate) fn clean_topic(text: &str) -> Option<String> {
    let code = super::text::py_strip(&text.to_lowercase()).to_owned();
    TOPIC_INDEX.contains_key(code.as_str()).then_some(code)
}

pub(crate) fn topic_caption(value: &str) -> Option<&'static str> {
    TOPIC_INDEX.get(value).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genders() {
        assert_eq!(clean_gender("M").as_deref(), Some("male"));
        assert_eq!(clean_gender("Weiblich").as_deref(), Some("female"));
        assert_eq!(clean_gender("divers").as_deref(), Some("other"));
        assert_eq!(clean_gender("unknown"), None);
        assert_eq!(gender_caption("female"), Some("female"));
    }

    #[test]
    fn topics() {
        assert_eq!(clean_topic("Role.PEP").as_deref(), Some("role.pep"));
        assert_eq!(clean_topic("pep"), None);
        assert_eq!(topic_caption("sanction"), Some("Sanctioned"));
    }
}
