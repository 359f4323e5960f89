//! The field layout of the Tantivy index.
//!
//! | field | kind | holds |
//! |---|---|---|
//! | `id` | keyword, fast | entity id (upserts, `filter:id`, tie-break order, streams) |
//! | `collection_id`, `role_id` | i64, indexed, fast, stored | |
//! | `mutable` | bool, indexed, fast, stored | |
//! | `created_at`, `updated_at` | date (seconds), indexed, fast, stored | |
//! | `schema`, `origin` | keyword, fast | |
//! | `schemata` | fast only | the schema and its ancestors, for facets (searches on `schemata` use `schema` and the model's descendants) |
//! | `caption` | keyword | the display label |
//! | `caption_sort` | fast only | lower-cased ASCII caption, for `sort=label` |
//! | `names` … `urls` | keyword, fast | one field per FtM type group |
//! | `name_keys` | keyword | normalised names (Aleph's `fingerprints`), for `filter:names` |
//! | `name_text` | analyzed, positions | every name; the boosted part of `q` |
//! | `text` | analyzed, positions | every other value, including text properties (`bodyText`, `indexText`…); not names (in `name_text`) nor entity references |
//! | `properties` | JSON keyword, fast | `properties.<name>` for non-text properties without a type group (or with one only in some schemata) |
//! | `grouped_properties` | JSON, fast only | `properties.<name>` for properties whose type always has a group: the postings are the group field's |
//! | `has_property` | keyword | names of the text properties with values (`empty:properties.bodyText`) |
//! | `num.<name>` | f64, fast | number and date properties and `dates`, as numbers (dates: epoch seconds) |
//! | `entity_json` | stored | the entity's FtM JSON without `indexText` (the hit) |
//! | `index_text` | stored | `indexText` values, for highlighting only |
//!
//! Keyword fields keep values exactly as FtM cleaned them and have no length norms;
//! analyzed fields use the [`crate::analysis`] tokenizer, registered as `aleph`.
//!
//! **One indexed copy per keyword value.** A value of a grouped property (an email, a
//! country, a date, an entity reference…) is indexed once, in its type group's field.
//! Its property keeps only a fast column (`grouped_properties.<name>`), which facets,
//! sorts and `_exists_` read as before; an exact or pattern match on the property is the
//! group's postings intersected with a check of that column
//! ([`super::compile`]). Indexing the value a second time under its property cost about
//! a fifth of the index's CPU in a bulk load.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field as TField, IndexRecordOption, JsonObjectOptions,
    NumericOptions, Schema, TextFieldIndexing, TextOptions,
};

use crate::query::Field;
use crate::query::field::{PropertyKind, numeric_names, property_kind, type_groups};

/// The name under which the analyzer is registered with Tantivy.
pub const TOKENIZER: &str = "aleph";

/// Handles to every field of the index.
#[derive(Debug, Clone)]
pub struct Fields {
    pub schema: Schema,
    pub id: TField,
    pub collection_id: TField,
    pub role_id: TField,
    pub mutable: TField,
    pub created_at: TField,
    pub updated_at: TField,
    pub schema_name: TField,
    pub schemata: TField,
    pub caption: TField,
    pub caption_sort: TField,
    pub origin: TField,
    pub name_keys: TField,
    pub name_text: TField,
    pub text: TField,
    pub properties: TField,
    pub grouped_properties: TField,
    pub has_property: TField,
    pub entity_json: TField,
    pub index_text: TField,
    pub groups: BTreeMap<&'static str, TField>,
    pub numeric: BTreeMap<&'static str, TField>,
}

fn keyword() -> TextOptions {
    TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        )
        .set_fast("raw")
}

/// An exact-match field without a fast column (never sorted or faceted on).
fn keyword_indexed() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    )
}

fn analyzed() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

fn integer() -> NumericOptions {
    NumericOptions::default()
        .set_indexed()
        .set_fast()
        .set_stored()
}

fn date() -> DateOptions {
    DateOptions::default()
        .set_indexed()
        .set_fast()
        .set_stored()
        .set_precision(DateTimePrecision::Seconds)
}

impl Fields {
    /// The layout for the current FtM model.
    pub fn build() -> Fields {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", keyword());
        let collection_id = b.add_i64_field("collection_id", integer());
        let role_id = b.add_i64_field("role_id", integer());
        let mutable = b.add_bool_field("mutable", integer());
        let created_at = b.add_date_field("created_at", date());
        let updated_at = b.add_date_field("updated_at", date());
        let schema_name = b.add_text_field("schema", keyword());
        let schemata = b.add_text_field("schemata", TextOptions::default().set_fast("raw"));
        let caption = b.add_text_field("caption", keyword_indexed());
        let caption_sort = b.add_text_field("caption_sort", TextOptions::default().set_fast("raw"));
        let origin = b.add_text_field("origin", keyword().set_stored());
        let name_keys = b.add_text_field("name_keys", keyword_indexed());
        let name_text = b.add_text_field("name_text", analyzed());
        let text = b.add_text_field("text", analyzed());
        let properties = b.add_json_field(
            "properties",
            JsonObjectOptions::default()
                .set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer("raw")
                        .set_index_option(IndexRecordOption::Basic)
                        .set_fieldnorms(false),
                )
                .set_fast("raw"),
        );
        let grouped_properties = b.add_json_field(
            "grouped_properties",
            JsonObjectOptions::default().set_fast("raw"),
        );
        let has_property = b.add_text_field("has_property", keyword_indexed());
        let entity_json = b.add_text_field("entity_json", TextOptions::default().set_stored());
        let index_text = b.add_text_field("index_text", TextOptions::default().set_stored());
        let groups = type_groups()
            .map(|g| (g, b.add_text_field(g, keyword())))
            .collect();
        let numeric = numeric_names()
            .map(|n| {
                (
                    n,
                    b.add_f64_field(&format!("num.{n}"), NumericOptions::default().set_fast()),
                )
            })
            .collect();
        Fields {
            schema: b.build(),
            id,
            collection_id,
            role_id,
            mutable,
            created_at,
            updated_at,
            schema_name,
            schemata,
            caption,
            caption_sort,
            origin,
            name_keys,
            name_text,
            text,
            properties,
            grouped_properties,
            has_property,
            entity_json,
            index_text,
            groups,
            numeric,
        }
    }

    /// Where a field's values live.
    pub fn locate(&self, field: Field) -> Location {
        match field {
            Field::Id => Location::Keyword(self.id),
            Field::CollectionId => Location::Integer(self.collection_id),
            Field::RoleId => Location::Integer(self.role_id),
            Field::Mutable => Location::Bool(self.mutable),
            Field::CreatedAt => Location::Timestamp(self.created_at),
            Field::UpdatedAt => Location::Timestamp(self.updated_at),
            Field::Schema => Location::Keyword(self.schema_name),
            Field::Schemata => Location::Keyword(self.schemata),
            Field::Caption => Location::Keyword(self.caption),
            Field::Origin => Location::Keyword(self.origin),
            Field::NameKeys => Location::Keyword(self.name_keys),
            Field::Text => Location::Analyzed(self.text),
            Field::Group(g) => match self.groups.get(g) {
                Some(f) => Location::Keyword(*f),
                None => Location::Nowhere,
            },
            Field::Property(p) => match property_kind(p) {
                Some(PropertyKind::Text) => Location::Analyzed(self.text),
                Some(_) => match property_group(p).and_then(|g| self.groups.get(g)) {
                    Some(group) => Location::GroupedProperty {
                        column: self.grouped_properties,
                        path: p,
                        group: *group,
                    },
                    None => Location::Property(self.properties, p),
                },
                None => Location::Nowhere,
            },
            Field::Numeric(n) => match self.numeric.get(n) {
                Some(f) => Location::Number(*f),
                None => Location::Nowhere,
            },
        }
    }

    /// The fast column that holds a field, by the name Tantivy reads it under; `None` for
    /// fields without one (the caption sorts through `caption_sort`).
    pub fn column_name(&self, field: Field) -> Option<String> {
        if matches!(field, Field::Caption | Field::NameKeys) {
            return None;
        }
        let name = match self.locate(field) {
            Location::Keyword(f)
            | Location::Integer(f)
            | Location::Bool(f)
            | Location::Timestamp(f)
            | Location::Number(f) => self.schema.get_field_name(f).to_string(),
            Location::Property(_, p) => format!("properties.{p}"),
            Location::GroupedProperty { path, .. } => format!("grouped_properties.{path}"),
            Location::Analyzed(_) | Location::Nowhere => return None,
        };
        Some(name)
    }
}

/// Where and how a field is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// An exact-match keyword field (fast).
    Keyword(TField),
    /// One path of the `properties` JSON field.
    Property(TField, &'static str),
    /// One path of the fast-only `grouped_properties` JSON field, whose values are indexed
    /// in the `group` keyword field.
    GroupedProperty {
        column: TField,
        path: &'static str,
        group: TField,
    },
    /// An analyzed full-text field.
    Analyzed(TField),
    Integer(TField),
    Bool(TField),
    Timestamp(TField),
    Number(TField),
    /// A field name the index does not hold (cannot match anything).
    Nowhere,
}

/// The type group of a property name when every schema's property of that name has a type
/// in that group (so the group field indexes all its values); `None` for names without a
/// group, or with one only in some schemata (`subject`, `sender` and `authority` are
/// entities in some schemata and strings in others).
pub fn property_group(name: &str) -> Option<&'static str> {
    static GROUPS: LazyLock<BTreeMap<&'static str, Option<&'static str>>> = LazyLock::new(|| {
        let mut map: BTreeMap<&'static str, Option<&'static str>> = BTreeMap::new();
        for schema in ftm::model().schemata() {
            for prop in schema.properties() {
                let group = prop.type_().group();
                map.entry(prop.name())
                    .and_modify(|g| {
                        if *g != group {
                            *g = None;
                        }
                    })
                    .or_insert(group);
            }
        }
        map
    });
    GROUPS.get(name).copied().flatten()
}
