//! xinwen (新闻): full-text search for Chinese news.
//!
//! Data flow:
//! ```text
//! post file | JSONL line → post::parse_* → Article → schema::Fields::to_doc → IndexWriter → index/
//!                   └→ Rejection {location, reason} → IndexReport
//! query → search::query::parse → build::Builder → tantivy Query → Engine::search → hits → snippets
//! ```
//! The one analyzer ([`analysis::ChineseAnalyzer`]) segments at index time and at query
//! time; [`store::IndexDir`] registers it on every index it opens.
//!
//! ```
//! use xinwen::analysis::ChineseAnalyzer;
//! let words: Vec<String> = ChineseAnalyzer::default().analyze("上海股市").into_iter().map(|p| p.text).collect();
//! assert_eq!(words, ["上海", "股市"]);
//! ```
#![warn(missing_docs)]

pub mod analysis;
pub mod cli;
pub mod config;
pub mod error;
pub mod fold;
pub mod indexer;
pub mod literal;
pub mod post;
pub mod schema;
pub mod search;
pub mod server;
pub mod store;

pub use error::{Error, IndexError, PostError, QueryError, Result};
