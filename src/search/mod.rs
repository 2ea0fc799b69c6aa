//! The search vocabulary every backend shares, with no engine in it: the query language
//! ([`query`]), what a search asks for ([`request`]) and answers ([`response`]), and the
//! highlighting of titles and snippets from stored text ([`highlight`]), so every backend
//! marks the same words, the stop words and synonyms a query is built with ([`words`]),
//! and the other written forms of a number typed ([`numerals`]). The tantivy engine that answers them is [`crate::local`].

pub mod aliases;
pub mod categories;
pub mod cursor;
pub mod explain;
pub mod highlight;
pub mod numerals;
pub mod query;
pub mod related;
pub mod request;
pub mod response;
pub mod words;

pub use cursor::Cursor;
pub use highlight::{Highlighted, Highlighter};
pub use query::{ParsedQuery, parse};
pub use related::Related;
pub use request::{Collapse, Filters, ParsedRequest, SearchRequest, Sort, parse_date_filter};
pub use response::{Facets, Health, Hit, SearchResponse, Stats, StoryCopy};

// The paths these had before the local backend got its own folder, kept so code written
// against them (branches in flight, tests) still builds.
pub use crate::local::build;
pub use crate::local::build::Mode;
pub use crate::local::engine::Engine;
pub use highlight as snippet;
