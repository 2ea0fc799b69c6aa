//! xinwen (新闻): full-text search for Chinese news.
//!
//! Data flow:
//! ```text
//! post file | JSONL line → post::parse_* → Article → schema::Fields::to_doc → IndexWriter → index/
//!                   └→ Rejection {location, reason} → IndexReport
//! query → SearchRequest → ParsedRequest (search::request) → dyn backend::SearchBackend
//!       local backend: build::Builder → tantivy Query → Engine::run → hits → snippets
//! ```
//! Front doors (`cli`, `server`) hold an `Arc<dyn backend::SearchBackend>` and an
//! `Arc<dyn backend::IndexBackend>`; [`local`] is the tantivy implementation of both.
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
pub mod backend;
pub mod cli;
pub mod config;
pub mod error;
pub mod fold;
pub mod local;
pub mod post;
pub mod search;
pub mod server;

pub use local::{indexer, schema, store};

pub use error::{Error, IndexError, PostError, QueryError, Result};
