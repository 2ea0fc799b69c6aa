//! xinwen (新闻): full-text search for Chinese news.
//!
//! Data flow:
//! ```text
//! post file | JSONL line → post::parse_* → Article ──→ dyn backend::IndexBackend → WriteJob
//!                   └→ Rejection {location, reason, code} → IndexReport
//! query text → SearchRequest → ParsedRequest (checked, parsed once) → dyn backend::SearchBackend
//!                                                                      → SearchResponse
//! ```
//! Where things go:
//! - [`search`]: what every backend shares, with no engine in it — the query language,
//!   requests, responses, and the marks of titles and snippets made from stored text;
//! - [`backend`]: the seam — `SearchBackend` (search, get, related, suggest, stats,
//!   health) and `IndexBackend` / `WriteJob` (one writer at a time), and what each
//!   implementation guarantees;
//! - [`local`]: the tantivy backend (engine, query building, ranking, schema, store,
//!   indexing jobs); a cluster backend goes beside it;
//! - [`cli`] and [`server`]: the front doors, holding `Arc<dyn SearchBackend>`;
//! - [`error`]: one table of error codes, each with its kind and HTTP status;
//!   [`config`]: every default and limit.
//!
//! The one analyzer ([`analysis::ChineseAnalyzer`]) segments at index time and at query
//! time; [`store::IndexDir`] registers it on every index it opens.
//!
//! ```
//! use xinwen::analysis::ChineseAnalyzer;
//! let words: Vec<String> = ChineseAnalyzer::default().analyze("上海股市").into_iter().map(|p| p.text).collect();
//! assert_eq!(words, ["上海", "股市"]);
//! ```
//!
//! Index the fixtures' JSON Lines into a local index and search it through the seam:
//! ```
//! use xinwen::backend::{IndexBackend, IndexOptions, ParsedRequest, SearchBackend, SearchRequest, Silent};
//! use xinwen::local::{LocalBackend, LocalIndex};
//! use xinwen::store::IndexDir;
//!
//! let tmp = tempfile::tempdir()?;
//! let dir = IndexDir::new(tmp.path().join("index"));
//! let inputs = [concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/jsonl").into()];
//! LocalIndex::new(dir.clone()).run(&inputs, &IndexOptions::default(), &Silent)?;
//! let backend = LocalBackend::open(dir)?;
//! let found = backend.search(&ParsedRequest::new(SearchRequest::new("扩产"))?)?;
//! assert_eq!(found.hits.first().map(|h| h.id.as_str()), Some("cls-20250613-pv"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub mod analysis;
pub mod backend;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod error;
pub mod fold;
pub mod literal;
pub mod local;
pub mod post;
pub mod search;
pub mod server;

pub use local::{indexer, schema, store};

pub use error::{Error, IndexError, PostError, QueryError, Result};
