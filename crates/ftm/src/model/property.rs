//! A property of a schema: a name, a type, and for entity references a range and reverse.

use std::fmt;

use super::{Schema, model};
use crate::PropertyType;

/// One property definition. Inherited properties are the same object as in the schema
/// that defines them, so `qname` names the defining schema (`Thing:name` on a Person).
pub struct Property {
    pub(super) index: usize,
    pub(super) schema: usize,
    pub(super) name: &'static str,
    pub(super) qname: String,
    pub(super) label: String,
    pub(super) type_: PropertyType,
    pub(super) range: Option<usize>,
    pub(super) reverse: Option<String>,
    pub(super) format: Option<String>,
    pub(super) stub: bool,
    pub(super) hidden: bool,
    pub(super) deprecated: bool,
    pub(super) matchable: bool,
    pub(super) max_length: usize,
}

impl Property {
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// `Schema:name`, with the schema that defines the property.
    pub fn qname(&self) -> &str {
        &self.qname
    }
    pub fn label(&self) -> &str {
        &self.label
    }
    pub fn type_(&self) -> PropertyType {
        self.type_
    }
    /// The schema that defines this property.
    pub fn schema(&self) -> &'static Schema {
        model().schema_at(self.schema)
    }
    /// For entity references: the schema the referenced entity must have.
    pub fn range(&self) -> Option<&'static Schema> {
        self.range.map(|i| model().schema_at(i))
    }
    /// The name of the inverse property on the range schema.
    pub fn reverse_name(&self) -> Option<&str> {
        self.reverse.as_deref()
    }
    /// The inverse property on the range schema (for `Ownership:owner`,
    /// `LegalEntity:ownershipOwner`).
    pub fn reverse(&self) -> Option<&'static Property> {
        self.range()?.property(self.reverse.as_deref()?)
    }
    /// A type-specific cleaning hint (`iban`, a phone country…).
    pub fn format(&self) -> Option<&str> {
        self.format.as_deref()
    }
    /// A read-only reverse side of an entity reference: it cannot be set.
    pub fn stub(&self) -> bool {
        self.stub
    }
    pub fn hidden(&self) -> bool {
        self.hidden
    }
    pub fn deprecated(&self) -> bool {
        self.deprecated
    }
    /// Whether values of this property count as evidence in matching.
    pub fn matchable(&self) -> bool {
        self.matchable
    }
    /// The longest value kept, in code points.
    pub fn max_length(&self) -> usize {
        self.max_length
    }
}

impl PartialEq for Property {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}
impl Eq for Property {}

impl fmt::Debug for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Property({})", self.qname)
    }
}
