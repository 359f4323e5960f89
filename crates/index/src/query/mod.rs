//! Aleph's query language, as pure functions: field names, the `q` parser, dates and
//! numbers, and whole search requests read from HTTP parameters.

pub mod field;
pub mod parser;
pub mod request;
pub mod values;

pub use field::Field;
pub use parser::{Node, SyntaxError, parse};
pub use request::{
    FacetRequest, FilterValue, Highlight, Order, Page, QueryError, RangeBounds, SearchQuery, Sort,
    SortKey,
};
pub use values::DateUnit;
