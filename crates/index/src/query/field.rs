//! The fields of the entity index, named as Aleph names them.
//!
//! Aleph clients address fields by the names of its Elasticsearch mapping (`schema`,
//! `countries`, `properties.email`, `numeric.amount`…). [`Field`] is the closed set of those
//! names; a backend maps each one to its own storage.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use ftm::PropertyType;

/// How the values of a property name are indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    /// An exact-match keyword (`properties.<name>`).
    Keyword,
    /// Free text (`bodyText`, `notes`…): only searchable through the catch-all `text` field.
    Text,
    /// A number: a keyword, and a float in `numeric.<name>` for ranges and sorting.
    Number,
    /// A date: a keyword, and a timestamp in `numeric.<name>`.
    Date,
}

impl PropertyKind {
    pub fn is_numeric(self) -> bool {
        matches!(self, PropertyKind::Number | PropertyKind::Date)
    }
}

/// Every property name of the FtM model, with how it is indexed. A name that has different
/// types in different schemata (three do) is classified by its most specific use: date
/// before number before text before keyword.
static PROPERTIES: LazyLock<BTreeMap<&'static str, PropertyKind>> = LazyLock::new(|| {
    let mut map: BTreeMap<&'static str, PropertyKind> = BTreeMap::new();
    for schema in ftm::model().schemata() {
        for prop in schema.properties() {
            let kind = kind_of(prop.type_());
            map.entry(prop.name())
                .and_modify(|k| {
                    if rank(kind) > rank(*k) {
                        *k = kind;
                    }
                })
                .or_insert(kind);
        }
    }
    map
});

fn kind_of(t: PropertyType) -> PropertyKind {
    match t {
        PropertyType::Date => PropertyKind::Date,
        PropertyType::Number => PropertyKind::Number,
        t if t.is_text() => PropertyKind::Text,
        _ => PropertyKind::Keyword,
    }
}

fn rank(k: PropertyKind) -> u8 {
    match k {
        PropertyKind::Keyword => 0,
        PropertyKind::Text => 1,
        PropertyKind::Number => 2,
        PropertyKind::Date => 3,
    }
}

/// How a property name of the model is indexed, or `None` for a name the model lacks.
pub fn property_kind(name: &str) -> Option<PropertyKind> {
    PROPERTIES.get(name).copied()
}

/// The property names that get a `numeric.<name>` field, sorted, plus `dates` (the date
/// type group), which Aleph also keeps as numbers.
pub fn numeric_names() -> impl Iterator<Item = &'static str> {
    PROPERTIES
        .iter()
        .filter(|(_, k)| k.is_numeric())
        .map(|(n, _)| *n)
        .chain(std::iter::once(DATES_GROUP))
}

/// The type group that holds every date of an entity.
pub const DATES_GROUP: &str = "dates";

/// The type groups of the index (`names`, `countries`…), as the FtM model defines them.
pub fn type_groups() -> impl Iterator<Item = &'static str> {
    PropertyType::ALL
        .into_iter()
        .filter_map(PropertyType::group)
}

/// One field of the entity index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The entity id (`id`, also `_id`).
    Id,
    CollectionId,
    /// The entity's own schema.
    Schema,
    /// The schema and all its ancestors.
    Schemata,
    /// The display label (`caption`; `label` when sorting).
    Caption,
    RoleId,
    Mutable,
    Origin,
    CreatedAt,
    UpdatedAt,
    /// The catch-all full text of every value.
    Text,
    /// A type group (`names`, `countries`, `dates`…).
    Group(&'static str),
    /// Normalised name keys (Aleph's `fingerprints`); what `filter:names` compares against.
    NameKeys,
    /// A property as a keyword (`properties.<name>`).
    Property(&'static str),
    /// A number or date property, or the date group, as a number (`numeric.<name>`).
    Numeric(&'static str),
}

/// The type of a field's values, which decides how a filter value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Keyword,
    Text,
    Integer,
    Bool,
    /// A point in time stored with second precision.
    Timestamp,
    Number,
    /// A date stored as a number (start of the period it names).
    DateNumber,
}

impl Field {
    /// The field an Aleph field name refers to, or `None` if the name is not a field.
    pub fn parse(name: &str) -> Option<Field> {
        let field = match name {
            "id" | "_id" => Field::Id,
            "collection_id" => Field::CollectionId,
            "schema" => Field::Schema,
            "schemata" => Field::Schemata,
            "caption" => Field::Caption,
            "role_id" => Field::RoleId,
            "mutable" => Field::Mutable,
            "origin" => Field::Origin,
            "created_at" => Field::CreatedAt,
            "updated_at" => Field::UpdatedAt,
            "text" => Field::Text,
            "fingerprints" => Field::NameKeys,
            _ => {
                if let Some(prop) = name.strip_prefix("properties.") {
                    let (key, _) = PROPERTIES.get_key_value(prop)?;
                    return Some(Field::Property(key));
                }
                if let Some(prop) = name.strip_prefix("numeric.") {
                    if prop == DATES_GROUP {
                        return Some(Field::Numeric(DATES_GROUP));
                    }
                    let (key, kind) = PROPERTIES.get_key_value(prop)?;
                    return kind.is_numeric().then_some(Field::Numeric(key));
                }
                if let Some(group) = type_groups().find(|g| *g == name) {
                    return Some(Field::Group(group));
                }
                // A bare property name (`filter:peopleMentioned=…`) means the property:
                // type groups take precedence, and no property shares a group's name.
                let (key, _) = PROPERTIES.get_key_value(name)?;
                return Some(Field::Property(key));
            }
        };
        Some(field)
    }

    /// The kind of value the field holds.
    pub fn value_kind(self) -> ValueKind {
        match self {
            Field::CollectionId | Field::RoleId => ValueKind::Integer,
            Field::Mutable => ValueKind::Bool,
            Field::CreatedAt | Field::UpdatedAt => ValueKind::Timestamp,
            Field::Text => ValueKind::Text,
            Field::Property(p) if property_kind(p) == Some(PropertyKind::Text) => ValueKind::Text,
            Field::Numeric(n) => {
                if n == DATES_GROUP || property_kind(n) == Some(PropertyKind::Date) {
                    ValueKind::DateNumber
                } else {
                    ValueKind::Number
                }
            }
            _ => ValueKind::Keyword,
        }
    }

    /// Where a range on this field is evaluated: dates and numbers kept as keywords are
    /// compared as numbers (`properties.incorporationDate:>=2010-07-01` works like Aleph's
    /// date mapping), everything else as itself.
    pub fn range_field(self) -> Field {
        match self {
            Field::Group(DATES_GROUP) => Field::Numeric(DATES_GROUP),
            Field::Property(p) if property_kind(p).is_some_and(PropertyKind::is_numeric) => {
                Field::Numeric(p)
            }
            other => other,
        }
    }

    /// The field a sort on this one reads: like ranges, dates and numbers sort as numbers.
    pub fn sort_field(self) -> Field {
        self.range_field()
    }

    /// Whether values of this field are compared after lower-casing (FtM stores country and
    /// language codes in lower case, so `countries:RU` means `ru`).
    pub fn lowercase_values(self) -> bool {
        matches!(self, Field::Group("countries" | "languages"))
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Id => f.write_str("id"),
            Field::CollectionId => f.write_str("collection_id"),
            Field::Schema => f.write_str("schema"),
            Field::Schemata => f.write_str("schemata"),
            Field::Caption => f.write_str("caption"),
            Field::RoleId => f.write_str("role_id"),
            Field::Mutable => f.write_str("mutable"),
            Field::Origin => f.write_str("origin"),
            Field::CreatedAt => f.write_str("created_at"),
            Field::UpdatedAt => f.write_str("updated_at"),
            Field::Text => f.write_str("text"),
            Field::Group(g) => f.write_str(g),
            Field::NameKeys => f.write_str("fingerprints"),
            Field::Property(p) => write!(f, "properties.{p}"),
            Field::Numeric(n) => write!(f, "numeric.{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_aleph_names() {
        assert_eq!(Field::parse("_id"), Some(Field::Id));
        assert_eq!(Field::parse("countries"), Some(Field::Group("countries")));
        assert_eq!(Field::parse("names"), Some(Field::Group("names")));
        assert_eq!(
            Field::parse("properties.email"),
            Some(Field::Property("email"))
        );
        assert_eq!(
            Field::parse("numeric.amount"),
            Some(Field::Numeric("amount"))
        );
        assert_eq!(Field::parse("numeric.dates"), Some(Field::Numeric("dates")));
        assert_eq!(Field::parse("numeric.email"), None);
        assert_eq!(Field::parse("properties.nonsense"), None);
        assert_eq!(Field::parse("http"), None);
        // Bare property names are the property; type groups keep their meaning.
        assert_eq!(
            Field::parse("peopleMentioned"),
            Some(Field::Property("peopleMentioned"))
        );
        assert_eq!(Field::parse("email"), Some(Field::Property("email")));
        assert_eq!(Field::parse("emails"), Some(Field::Group("emails")));
    }

    #[test]
    fn names_round_trip() {
        for name in [
            "id",
            "collection_id",
            "schemata",
            "emails",
            "properties.birthDate",
            "numeric.dates",
            "fingerprints",
        ] {
            assert_eq!(Field::parse(name).map(|f| f.to_string()), Some(name.into()));
        }
    }

    #[test]
    fn dates_and_numbers_range_as_numbers() {
        assert_eq!(
            Field::Property("incorporationDate").range_field(),
            Field::Numeric("incorporationDate")
        );
        assert_eq!(Field::Group("dates").range_field(), Field::Numeric("dates"));
        assert_eq!(
            Field::Property("email").range_field(),
            Field::Property("email")
        );
        assert_eq!(Field::Numeric("amount").value_kind(), ValueKind::Number);
        assert_eq!(
            Field::Numeric("birthDate").value_kind(),
            ValueKind::DateNumber
        );
        assert_eq!(Field::Property("bodyText").value_kind(), ValueKind::Text);
    }

    #[test]
    fn knows_the_numeric_properties() {
        let names: Vec<_> = numeric_names().collect();
        assert!(names.contains(&"amount"));
        assert!(names.contains(&"birthDate"));
        assert!(names.contains(&"dates"));
        assert!(!names.contains(&"name"));
    }
}
