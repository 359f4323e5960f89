//! The twenty FollowTheMoney property types: their metadata and value cleaning.
//!
//! Every value in FtM is a string; the type of the property decides how a raw string is
//! normalised (a country name becomes its code, a phone number becomes E.164) or refused.
//! `clean` returns `None` for a value that the type refuses, exactly where `followthemoney`
//! drops the value; `docs/ftm-differences.md` lists the places where we decided otherwise.

use std::borrow::Cow;
use std::fmt;

mod country;
mod data;
mod date;
mod email;
mod entity;
mod enums;
mod identifier;
mod ip;
mod language;
mod mimetype;
mod name;
mod number;
mod pattern_cache;
mod phone;
mod phone_parse;
mod strptime;
mod text;
mod url;

/// One of FtM's property types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PropertyType {
    Address,
    Checksum,
    Country,
    Date,
    Email,
    Entity,
    Gender,
    Html,
    Identifier,
    Ip,
    Json,
    Language,
    Mimetype,
    Name,
    Number,
    Phone,
    String,
    Text,
    Topic,
    Url,
}

/// Hints that change how a raw value is cleaned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanOptions<'a> {
    /// The property's `format`: a `strptime` pattern for dates, a dialling country for
    /// phones, an identifier scheme (`iban`, `lei`, …) for identifiers.
    pub format: Option<&'a str>,
    /// Accept loose matches (e.g. a misspelt country name), like FtM's `fuzzy=True`.
    pub fuzzy: bool,
}

impl PropertyType {
    pub const ALL: [PropertyType; 20] = [
        PropertyType::Address,
        PropertyType::Checksum,
        PropertyType::Country,
        PropertyType::Date,
        PropertyType::Email,
        PropertyType::Entity,
        PropertyType::Gender,
        PropertyType::Html,
        PropertyType::Identifier,
        PropertyType::Ip,
        PropertyType::Json,
        PropertyType::Language,
        PropertyType::Mimetype,
        PropertyType::Name,
        PropertyType::Number,
        PropertyType::Phone,
        PropertyType::String,
        PropertyType::Text,
        PropertyType::Topic,
        PropertyType::Url,
    ];

    /// The type's name as FtM spells it (`"country"`, `"mimetype"`…).
    pub fn name(self) -> &'static str {
        match self {
            PropertyType::Address => "address",
            PropertyType::Checksum => "checksum",
            PropertyType::Country => "country",
            PropertyType::Date => "date",
            PropertyType::Email => "email",
            PropertyType::Entity => "entity",
            PropertyType::Gender => "gender",
            PropertyType::Html => "html",
            PropertyType::Identifier => "identifier",
            PropertyType::Ip => "ip",
            PropertyType::Json => "json",
            PropertyType::Language => "language",
            PropertyType::Mimetype => "mimetype",
            PropertyType::Name => "name",
            PropertyType::Number => "number",
            PropertyType::Phone => "phone",
            PropertyType::String => "string",
            PropertyType::Text => "text",
            PropertyType::Topic => "topic",
            PropertyType::Url => "url",
        }
    }

    pub fn from_name(name: &str) -> Option<PropertyType> {
        PropertyType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The inverted-index field that gathers every value of this type on an entity
    /// (`countries`, `emails`…); `None` for types that Aleph does not group.
    pub fn group(self) -> Option<&'static str> {
        match self {
            PropertyType::Address => Some("addresses"),
            PropertyType::Checksum => Some("checksums"),
            PropertyType::Country => Some("countries"),
            PropertyType::Date => Some("dates"),
            PropertyType::Email => Some("emails"),
            PropertyType::Entity => Some("entities"),
            PropertyType::Gender => Some("genders"),
            PropertyType::Identifier => Some("identifiers"),
            PropertyType::Ip => Some("ips"),
            PropertyType::Language => Some("languages"),
            PropertyType::Mimetype => Some("mimetypes"),
            PropertyType::Name => Some("names"),
            PropertyType::Phone => Some("phones"),
            PropertyType::Topic => Some("topics"),
            PropertyType::Url => Some("urls"),
            PropertyType::Html
            | PropertyType::Json
            | PropertyType::Number
            | PropertyType::String
            | PropertyType::Text => None,
        }
    }

    /// Whether values of this type count as evidence when matching entities.
    pub fn matchable(self) -> bool {
        matches!(
            self,
            PropertyType::Address
                | PropertyType::Checksum
                | PropertyType::Country
                | PropertyType::Date
                | PropertyType::Email
                | PropertyType::Entity
                | PropertyType::Identifier
                | PropertyType::Ip
                | PropertyType::Name
                | PropertyType::Phone
                | PropertyType::Url
        )
    }

    /// Whether a value is worth a cross-entity lookup (a node of its own in a graph).
    pub fn pivot(self) -> bool {
        self.matchable() && !matches!(self, PropertyType::Country | PropertyType::Date)
    }

    /// The longest value the type keeps, in code points.
    pub fn max_length(self) -> usize {
        match self {
            PropertyType::Address => 250,
            PropertyType::Checksum => 40,
            PropertyType::Country => 16,
            PropertyType::Date => 32,
            PropertyType::Email => 250,
            PropertyType::Entity => 200,
            PropertyType::Gender => 16,
            PropertyType::Html => 65000,
            PropertyType::Identifier => 64,
            PropertyType::Ip => 64,
            PropertyType::Json => 250,
            PropertyType::Language => 16,
            PropertyType::Mimetype => 250,
            PropertyType::Name => 384,
            PropertyType::Number => 250,
            PropertyType::Phone => 64,
            PropertyType::String => 1024,
            PropertyType::Text => 65000,
            PropertyType::Topic => 64,
            PropertyType::Url => 4096,
        }
    }

    /// Whether cleaning, without a format, gives a printable-ASCII value this type has
    /// already cleaned back unchanged: the canonical forms of codes, ISO dates, E.164
    /// numbers, e-mail and IP addresses are fixed points of their cleaners. Names are
    /// not (a name quoted twice loses one pair of quotes per pass), nor are types whose
    /// cleaning depends on more than the value.
    pub fn cleans_to_fixed_point(self) -> bool {
        matches!(
            self,
            PropertyType::Country
                | PropertyType::Date
                | PropertyType::Email
                | PropertyType::Phone
                | PropertyType::Ip
                | PropertyType::Language
                | PropertyType::Gender
                | PropertyType::Topic
                | PropertyType::Checksum
                | PropertyType::Number
        )
    }

    /// Text-like types whose values go to the full-text field rather than a keyword field.
    pub fn is_text(self) -> bool {
        matches!(self, PropertyType::Text | PropertyType::Html)
    }
}

/// A type's normalisation of sanitized text.
type TypeCleaner = fn(&str, CleanOptions<'_>) -> Option<String>;

impl fmt::Display for PropertyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PropertyType {
    /// Clean a raw value the way FtM's `PropertyType.clean` does: `sanitize_text` (NFC,
    /// unsafe and control characters removed, white space stripped), then the type's own
    /// normalisation. `None` means FtM would drop the value.
    ///
    /// Length limits are not applied here, as FtM's `EntityProxy.add` does not apply them
    /// either; see [`PropertyType::clean_with_limit`].
    pub fn clean(self, raw: &str, opts: CleanOptions<'_>) -> Option<String> {
        let text = text::sanitize_text(raw)?;
        match self.own_cleaning() {
            Some(clean) => clean(&text, opts),
            None => Some(text),
        }
    }

    /// The type-specific step of [`PropertyType::clean`], for text that has already been
    /// through `sanitize_text` (FtM's `clean_text`).
    pub fn clean_text(self, text: &str, opts: CleanOptions<'_>) -> Option<String> {
        match self.own_cleaning() {
            Some(clean) => clean(text, opts),
            None => Some(text.to_owned()),
        }
    }

    /// The type's own normalisation after `sanitize_text`; `None` for the types whose
    /// cleaning is `sanitize_text` alone. The one place that says which types those are.
    fn own_cleaning(self) -> Option<TypeCleaner> {
        let clean: TypeCleaner = match self {
            PropertyType::Name => |t, _| name::clean_name(t),
            PropertyType::Address => |t, _| name::clean_address(t),
            PropertyType::Country => |t, o| country::clean(t, o.fuzzy),
            PropertyType::Date => |t, o| date::clean(t, o.format),
            PropertyType::Email => |t, _| email::clean(t),
            PropertyType::Phone => |t, o| phone::clean(t, o.format),
            PropertyType::Identifier => |t, o| identifier::clean(t, o.format),
            PropertyType::Url => |t, _| url::clean(t),
            PropertyType::Ip => |t, _| ip::clean(t),
            PropertyType::Entity => |t, _| entity::clean(t),
            PropertyType::Language => |t, _| language::clean(t),
            PropertyType::Gender => |t, _| enums::clean_gender(t),
            PropertyType::Topic => |t, _| enums::clean_topic(t),
            PropertyType::Mimetype => |t, _| mimetype::clean(t),
            PropertyType::Checksum
            | PropertyType::Number
            | PropertyType::String
            | PropertyType::Text
            | PropertyType::Html
            | PropertyType::Json => return None,
        };
        Some(clean)
    }

    /// [`PropertyType::clean`], then refuse a value longer than `max_length` code points
    /// (pass the property's `max_length`, which defaults to the type's).
    ///
    /// What FtM does with an over-long value: `EntityProxy.add` keeps it whole (it neither
    /// truncates nor drops it); only validation (`PropertyType.validate`, used by `ftm
    /// validate` and by Aleph's API) reports it as invalid. We refuse it at cleaning time,
    /// so that nothing a validator would reject is ever stored; truncating would silently
    /// change identifiers and names, so we never do that. The entity layer may call
    /// [`PropertyType::clean`] instead where it must keep FtM's lenient behaviour.
    pub fn clean_with_limit(
        self,
        raw: &str,
        opts: CleanOptions<'_>,
        max_length: usize,
    ) -> Option<String> {
        self.clean(raw, opts)
            .filter(|v| text::char_len(v) <= max_length)
    }

    /// FtM's `PropertyType.validate`: whether a value is acceptable as it stands. Enum
    /// types (country, language, gender, topic) accept only their codes; the others
    /// accept any value that cleans to something no longer than the type's limit.
    pub fn validate(self, value: &str, opts: CleanOptions<'_>) -> bool {
        match self {
            PropertyType::Country => country::is_code(value),
            PropertyType::Language | PropertyType::Gender | PropertyType::Topic => {
                let code = text::py_strip(&value.to_lowercase()).to_owned();
                self.clean_text(&code, CleanOptions::default()).as_deref() == Some(code.as_str())
            }
            PropertyType::Date => self.clean_text(value, opts).is_some(),
            PropertyType::Ip => ip::parse(value).is_some(),
            PropertyType::Entity => entity::clean(value).is_some(),
            PropertyType::Email => email::clean(value).is_some(),
            _ => self
                .clean_text(value, opts)
                .is_some_and(|v| !v.is_empty() && text::char_len(&v) <= self.max_length()),
        }
    }

    /// The codes and English labels of an enumerated type (countries, languages, genders,
    /// topics), as FtM lists them in its model's `values`; `None` for other types.
    pub fn enum_values(self) -> Option<Vec<(&'static str, &'static str)>> {
        match self {
            PropertyType::Country => Some(
                data::TERRITORY_DB
                    .all
                    .iter()
                    .filter(|t| t.ftm == Some(t.code))
                    .map(|t| (t.code, t.name))
                    .collect(),
            ),
            PropertyType::Language => Some(data::LANGUAGE_DB.labels.clone()),
            PropertyType::Gender => Some(data::GENDER_DB.labels.clone()),
            PropertyType::Topic => Some(data::TOPIC_DB.clone()),
            _ => None,
        }
    }

    /// How much a match on this value says (FtM's `specificity`): longer names,
    /// addresses and numbers are more specific; 0 for types that are not matchable.
    pub fn specificity(self, value: &str) -> f64 {
        if !self.matchable() {
            return 0.0;
        }
        let (short, long) = match self {
            PropertyType::Name => (3, 50),
            PropertyType::Address => (10, 60),
            PropertyType::Date => (5, 13),
            PropertyType::Phone => (7, 11),
            PropertyType::Identifier => (4, 10),
            PropertyType::Url => (10, 120),
            _ => return 1.0,
        };
        dampen(short, long, value)
    }

    /// The id of the graph node a value becomes (FtM's `node_id`): `name:<slug>`,
    /// `addr:<slug>`, `tel:<number>`, `id:<identifier>`, `<type>:<value>` for the other
    /// matchable and enum types; `None` for numbers, strings, texts, HTML and JSON.
    pub fn node_id(self, value: &str) -> Option<String> {
        match self {
            PropertyType::Name => name::name_node_id(value),
            PropertyType::Address => name::address_node_id(value),
            PropertyType::Phone => Some(format!("tel:{value}")),
            PropertyType::Identifier => Some(format!("id:{value}")),
            PropertyType::Number
            | PropertyType::String
            | PropertyType::Text
            | PropertyType::Html
            | PropertyType::Json => None,
            _ => Some(format!("{}:{value}", self.name())),
        }
    }

    /// The label to show for a value: the country, language, topic or gender name for a
    /// code, a readable phone number or MIME type, a grouped number; the value otherwise.
    pub fn caption(self, value: &str) -> Cow<'_, str> {
        self.caption_with_format(value, None)
    }

    /// [`PropertyType::caption`] with the property's `format` (identifier schemes have
    /// their own display forms, such as an IBAN in groups of four).
    pub fn caption_with_format<'v>(self, value: &'v str, format: Option<&str>) -> Cow<'v, str> {
        let label = match self {
            PropertyType::Country => country::caption(value).map(Cow::Borrowed),
            PropertyType::Language => language::caption(value).map(Cow::Borrowed),
            PropertyType::Gender => enums::gender_caption(value).map(Cow::Borrowed),
            PropertyType::Topic => enums::topic_caption(value).map(Cow::Borrowed),
            PropertyType::Phone => phone::caption(value).map(Cow::Owned),
            PropertyType::Mimetype => Some(Cow::Owned(mimetype::caption(value))),
            PropertyType::Identifier => Some(Cow::Owned(identifier::caption(value, format))),
            PropertyType::Number => number::caption(value).map(Cow::Owned),
            _ => None,
        };
        label.unwrap_or(Cow::Borrowed(value))
    }
}

/// FtM's `dampen`: where a value's length falls between `short` and `long`, clamped to 0–1.
fn dampen(short: usize, long: usize, value: &str) -> f64 {
    let length = text::char_len(value) as f64 - short as f64;
    let baseline = (long as f64 - short as f64).max(1.0);
    (length / baseline).clamp(0.0, 1.0)
}

/// Printable ASCII only (no control characters, no white space but the plain space):
/// text that sanitizing leaves as it is.
pub(crate) fn is_printable_ascii(text: &str) -> bool {
    text.bytes().all(|b| (b' '..=b'~').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(t: PropertyType, raw: &str) -> Option<String> {
        t.clean(raw, CleanOptions::default())
    }

    #[test]
    fn fixed_point_types_give_their_clean_values_back() {
        let samples: &[(PropertyType, &[&str])] = &[
            (
                PropertyType::Country,
                &["Germany", " de ", "UK", "Russian Federation", "xk"],
            ),
            (
                PropertyType::Date,
                &[
                    "2021-2",
                    "2021-02-16 21:48:52+02:00",
                    "2021-02-16T21:48:52.5Z",
                    "1999",
                ],
            ),
            (
                PropertyType::Email,
                &[
                    "Foo.Bar@Example.COM",
                    "mailto:a@xn--mnchen-3ya.de",
                    "x@MÜNCHEN.de",
                ],
            ),
            (
                PropertyType::Phone,
                &[
                    "+49 30 1234567",
                    "+1 (202) 555-0143",
                    "+7 800 123-45-67",
                    "00441632960001",
                ],
            ),
            (
                PropertyType::Ip,
                &["::ffff:1.2.3.4", "2001:DB8::1", " 10.0.0.1 "],
            ),
            (PropertyType::Language, &["eng", "de", "Russian"]),
            (PropertyType::Gender, &["Male", "f", "other"]),
            (PropertyType::Topic, &["crime", "role.pep", "sanction"]),
            (PropertyType::Checksum, &["  ABCDEF0123 "]),
            (PropertyType::Number, &["1,000.5", " 42 "]),
        ];
        let mut checked = 0;
        for (t, raws) in samples {
            assert!(t.cleans_to_fixed_point(), "{t}");
            for raw in *raws {
                let Some(once) = clean(*t, raw) else { continue };
                if is_printable_ascii(&once) {
                    assert_eq!(
                        clean(*t, &once).as_deref(),
                        Some(once.as_str()),
                        "{t}: {raw}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked >= 25, "only {checked} samples cleaned to ASCII");
        assert!(!PropertyType::Name.cleans_to_fixed_point());
        assert!(
            !is_printable_ascii("a\tb") && !is_printable_ascii("é") && is_printable_ascii("a b")
        );
    }

    #[test]
    fn every_type_refuses_empty_values() {
        for t in PropertyType::ALL {
            assert_eq!(clean(t, " \u{200B}\t "), None, "{t}");
        }
    }

    #[test]
    fn pass_through_types_keep_the_sanitized_text() {
        for t in [
            PropertyType::String,
            PropertyType::Text,
            PropertyType::Html,
            PropertyType::Json,
            PropertyType::Number,
            PropertyType::Checksum,
        ] {
            assert_eq!(clean(t, "  a\u{0}b  ").as_deref(), Some("ab"), "{t}");
        }
    }

    #[test]
    fn limits() {
        let long = "x".repeat(300);
        assert_eq!(
            PropertyType::String
                .clean_with_limit(&long, CleanOptions::default(), 1024)
                .as_deref(),
            Some(long.as_str())
        );
        assert_eq!(
            PropertyType::String.clean_with_limit(&long, CleanOptions::default(), 250),
            None
        );
        // Code points, not bytes.
        assert!(
            PropertyType::Name
                .clean_with_limit(&"é".repeat(384), CleanOptions::default(), 384)
                .is_some()
        );
    }

    #[test]
    fn validation() {
        let o = CleanOptions::default();
        assert!(PropertyType::Country.validate("de", o));
        assert!(!PropertyType::Country.validate("Germany", o));
        assert!(PropertyType::Topic.validate("role.pep", o));
        assert!(!PropertyType::Date.validate("Feb 2021", o));
        assert!(!PropertyType::Name.validate(&"x".repeat(400), o));
    }

    #[test]
    fn specificity_dampens_by_length() {
        assert_eq!(PropertyType::Name.specificity("ab"), 0.0);
        assert_eq!(PropertyType::Name.specificity(&"a".repeat(60)), 1.0);
        assert!((PropertyType::Date.specificity("2021-02-16") - 5.0 / 8.0).abs() < 1e-9);
        assert_eq!(PropertyType::Country.specificity("de"), 1.0);
        assert_eq!(PropertyType::Topic.specificity("role.pep"), 0.0);
    }

    #[test]
    fn node_ids() {
        assert_eq!(
            PropertyType::Email.node_id("a@b.com").as_deref(),
            Some("email:a@b.com")
        );
        assert_eq!(
            PropertyType::Phone.node_id("+4930").as_deref(),
            Some("tel:+4930")
        );
        assert_eq!(
            PropertyType::Identifier.node_id("X1").as_deref(),
            Some("id:X1")
        );
        assert_eq!(
            PropertyType::Country.node_id("de").as_deref(),
            Some("country:de")
        );
        assert_eq!(
            PropertyType::Name.node_id("Jane Doe").as_deref(),
            Some("name:jane-doe")
        );
        assert_eq!(PropertyType::Text.node_id("x"), None);
    }

    #[test]
    fn enum_values() {
        assert_eq!(
            PropertyType::Country.enum_values().map(|v| v.len()),
            Some(281)
        );
        assert_eq!(
            PropertyType::Language.enum_values().map(|v| v.len()),
            Some(74)
        );
        assert_eq!(PropertyType::Topic.enum_values().map(|v| v.len()), Some(75));
        assert_eq!(PropertyType::Gender.enum_values().map(|v| v.len()), Some(3));
        assert_eq!(PropertyType::Name.enum_values(), None);
    }

    #[test]
    fn captions() {
        assert_eq!(PropertyType::Country.caption("de"), "Germany");
        assert_eq!(PropertyType::Language.caption("deu"), "German");
        assert_eq!(PropertyType::Topic.caption("role.pep"), "PEP");
        assert_eq!(PropertyType::Name.caption("Jane"), "Jane");
        assert_eq!(PropertyType::Number.caption("1234567.5"), "1,234,567.50");
        assert_eq!(
            PropertyType::Identifier.caption_with_format("DE89370400440532013000", Some("iban")),
            "DE89 3704 0044 0532 0130 00"
        );
    }
}
