//! The twenty FollowTheMoney property types: their metadata and value cleaning.
//!
//! Every value in FtM is a string; the type of the property decides how a raw string is
//! normalised (a country name becomes its code, a phone number becomes E.164) or refused.
//! `clean` returns `None` for a value that the type refuses, exactly where `followthemoney`
//! drops the value; `docs/ftm-differences.md` lists the places where we decided otherwise.

use std::fmt;

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
#[derive(Debug, Clone, Copy, Default)]
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

    /// Text-like types whose values go to the full-text field rather than a keyword field.
    pub fn is_text(self) -> bool {
        matches!(self, PropertyType::Text | PropertyType::Html)
    }
}

impl fmt::Display for PropertyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
