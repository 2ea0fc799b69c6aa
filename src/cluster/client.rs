//! Reads from a cluster: search and get, each sent to the distributed table of the live
//! table set on one reachable node (the next node when one does not answer; [`super::status`]
//! has stats and health).
//! Hits, highlights and snippets are rebuilt in xinwen from the stored text, exactly as on
//! a local index; a shard that did not answer makes the answer `partial`, naming the node.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::analysis::ChineseAnalyzer;
use crate::post::Article;
use crate::search::build::Mode;
use crate::search::{Facets, ParsedRequest, SearchRequest, SearchResponse};

use super::ClusterError;
use super::document::{category_id, doc_id, tag_id};
use super::rows::{cell, facet, make_hit, stored_row};
use super::spec::{ClusterSpec, Generation, Node};
use super::sphinxql::{Connection, Failure, ResultSet, Timeouts};
use super::translate::{SearchSql, Translator};

/// How long a read trusts the live-generation pointer it read last.
pub const POINTER_TTL: Duration = Duration::from_secs(1);

/// How a client talks to the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// Connect and query timeouts.
    pub timeouts: Timeouts,
    /// Keep connections open between statements (a pool per node).
    pub pooled: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeouts: Timeouts::default(),
            pooled: true,
        }
    }
}

/// A search answer from the cluster: the local backend's answer plus what was missing.
#[derive(Debug, Clone)]
pub struct ClusterResponse {
    /// Hits, total, facets, as a local index answers.
    pub response: SearchResponse,
    /// Some shards did not answer: hits and totals are those of the others.
    pub partial: bool,
    /// The engine's warnings, one line each, node named (`127.0.0.1:9306: …`).
    pub warnings: Vec<String>,
}

/// A client of one cluster (see the module doc). Cheap to share: `&self` everywhere.
pub struct ClusterClient {
    pub(crate) spec: ClusterSpec,
    pub(crate) connections: Vec<Connection>,
    translator: Translator,
    timeouts: Timeouts,
    next: AtomicUsize,
    live: Mutex<Option<(Generation, Instant)>>,
    /// The shards whose columns were found to be this xinwen's.
    pub(crate) schema_checked: Mutex<Vec<(Generation, usize)>>,
}

impl std::fmt::Debug for ClusterClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterClient")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl ClusterClient {
    /// A client; connects lazily, so a cluster that is down fails on the first statement.
    pub fn new(spec: ClusterSpec, analyzer: ChineseAnalyzer, options: ClientOptions) -> ClusterClient {
        let connections = spec
            .nodes
            .iter()
            .map(|n| Connection::new(n.clone(), options.timeouts, options.pooled))
            .collect();
        ClusterClient {
            spec,
            connections,
            translator: Translator::new(analyzer),
            timeouts: options.timeouts,
            next: AtomicUsize::new(0),
            live: Mutex::new(None),
            schema_checked: Mutex::new(Vec::new()),
        }
    }

    /// The cluster spec.
    pub fn spec(&self) -> &ClusterSpec {
        &self.spec
    }

    /// The connect and query timeouts of this client.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The translator (and analyzer) of this client.
    pub fn translator(&self) -> &Translator {
        &self.translator
    }

    /// The connection to node `i` (writes go to the node that holds the shard).
    pub(crate) fn connection(&self, i: usize) -> Option<&Connection> {
        self.connections.get(i)
    }

    /// Runs `sql` on one node, trying the others in turn when it does not answer; returns
    /// the node that answered and its result sets.
    pub(crate) fn read(&self, sql: &str) -> Result<(usize, Vec<ResultSet>), ClusterError> {
        let n = self.connections.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed) % n.max(1);
        let mut failures = Vec::new();
        for k in 0..n {
            let i = (first + k) % n;
            let connection = &self.connections[i];
            match connection.run(sql) {
                Ok(sets) => return Ok((i, sets)),
                Err(Failure::Down(why)) => {
                    tracing::warn!(node = %connection.node(), reason = %why, "node did not answer");
                    failures.push(format!("{}: {why}", connection.node()));
                }
                Err(Failure::Refused(message)) => {
                    return Err(ClusterError::Engine {
                        node: connection.node().to_string(),
                        message,
                    });
                }
            }
        }
        Err(ClusterError::Unavailable { failures })
    }

    /// The live table set: the pointer row on the node that answers first (cached for
    /// [`POINTER_TTL`]); [`Generation::A`] when no rebuild ever switched.
    pub fn live_generation(&self) -> Result<Generation, ClusterError> {
        if let Ok(cached) = self.live.lock()
            && let Some((generation, at)) = *cached
            && at.elapsed() < POINTER_TTL
        {
            return Ok(generation);
        }
        let sql = format!("SELECT live FROM {} WHERE id=1", self.spec.meta_table());
        let (node, sets) = self.read(&sql)?;
        let letter = sets
            .first()
            .and_then(|s| s.rows.first())
            .and_then(|r| r.first().cloned().flatten());
        let generation = match letter {
            None => Generation::A,
            Some(letter) => Generation::from_letter(&letter).ok_or_else(|| ClusterError::Protocol {
                node: self.spec.nodes[node].to_string(),
                message: format!("the pointer names table set {letter:?}"),
            })?,
        };
        if let Ok(mut cached) = self.live.lock() {
            *cached = Some((generation, Instant::now()));
        }
        Ok(generation)
    }

    /// The live table set, for a read: refused ([`ClusterError::OldSchema`]) when an
    /// older xinwen made its tables. Writes check the set they write to instead, so a
    /// rebuild can replace an old live set.
    pub(crate) fn readable_generation(&self) -> Result<Generation, ClusterError> {
        let generation = self.live_generation()?;
        self.check_schema(generation)?;
        Ok(generation)
    }

    /// Forgets the cached pointer (after a switch).
    pub(crate) fn forget_pointer(&self) {
        if let Ok(mut cached) = self.live.lock() {
            *cached = None;
        }
    }

    /// Runs a search: the same validation, matching, highlighting and relaxing as a local
    /// index; see [`ClusterResponse`] for what a missing shard does.
    pub fn search(&self, request: &SearchRequest) -> Result<ClusterResponse, ClusterError> {
        self.search_parsed(&ParsedRequest::new(request.clone())?)
    }

    /// Runs a checked and parsed search (what the [`crate::backend::SearchBackend`] gets).
    pub fn search_parsed(&self, parsed_request: &ParsedRequest) -> Result<ClusterResponse, ClusterError> {
        let started = Instant::now();
        let ParsedRequest { request, query: parsed } = parsed_request;
        let table = self.spec.distributed_table(self.readable_generation()?);
        let builder = self.translator.builder();
        let mut found = self.run_search(self.translator.search(request, parsed, &table, Mode::AllWords)?)?;
        let mut relaxed = false;
        // Relaxed only on a complete answer: with a shard missing, no match among the
        // others says nothing of the missing one's, and the any-word hits would stand in
        // for all-word hits it holds.
        if found.total == 0 && found.warnings.is_empty() && builder.relaxable_concepts(parsed) > 1 {
            let retry = self.run_search(self.translator.search(request, parsed, &table, Mode::AnyWord)?)?;
            relaxed = retry.total > 0;
            found = Found {
                warnings: [found.warnings, retry.warnings].concat(),
                ..retry
            };
        }
        let highlighter = builder.highlighter(parsed);
        let hits = found
            .rows
            .into_iter()
            .map(|(stored, score, copies)| {
                let mut hit = make_hit(stored, score, &highlighter, request.snippet_chars);
                hit.copies = copies;
                hit
            })
            .collect();
        let mut warnings = found.warnings;
        warnings.dedup();
        // A cluster keeps no settings files: its categories have the built-in names.
        let mut response = SearchResponse {
            partial: !warnings.is_empty(),
            warnings: warnings.clone(),
            query: request.query.clone(),
            total: found.total,
            took_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            hits,
            facets: found.facets,
            relaxed,
            next_cursor: None,
            counts: request.collapse.counts(),
        };
        response.name_categories(&crate::search::categories::Categories::builtin());
        Ok(ClusterResponse {
            partial: !warnings.is_empty(),
            warnings,
            response,
        })
    }

    fn run_search(&self, sql: Option<SearchSql>) -> Result<Found, ClusterError> {
        let Some(sql) = sql else {
            return Ok(Found::default());
        };
        let mut batch = format!("{}; SHOW META", sql.hits);
        if let Some([tags, categories]) = &sql.facets {
            batch.push_str(&format!("; {tags}; {categories}"));
        }
        let (node, sets) = self.read(&batch)?;
        let node_name = self.spec.nodes[node].to_string();
        let bad = |message: String| ClusterError::Protocol {
            node: node_name.clone(),
            message,
        };
        let [hits, meta, facet_sets @ ..] = sets.as_slice() else {
            return Err(bad(format!("{} result sets, expected at least 2", sets.len())));
        };
        let (total, warnings) = self.meta(node, meta).map_err(bad)?;
        let rows = hits
            .rows
            .iter()
            .map(|row| stored_row(hits, row))
            .collect::<Result<Vec<_>, String>>()
            .map_err(bad)?;
        let facets = match facet_sets {
            [tags, categories, ..] if sql.facets.is_some() => Some(Facets {
                tags: facet(tags, tag_id).map_err(bad)?,
                categories: facet(categories, category_id).map_err(bad)?,
                category_names: Vec::new(),
            }),
            _ => None,
        };
        Ok(Found {
            rows,
            total,
            facets,
            warnings,
        })
    }

    /// The total and the warnings (node named) from a `SHOW META` set.
    pub(crate) fn meta(&self, node: usize, meta: &ResultSet) -> Result<(usize, Vec<String>), String> {
        let mut total = None;
        let mut warnings = Vec::new();
        for (name, value) in meta.pairs() {
            match name {
                "total_found" => total = value.parse::<usize>().ok(),
                "warning" => warnings.push(format!("{}: {}", self.spec.nodes[node], self.name_agents(value))),
                _ => {}
            }
        }
        Ok((total.ok_or("SHOW META has no total_found")?, warnings))
    }

    /// Rewrites agent addresses (`host:apiport`) in an engine warning as the node names
    /// operators know (`host:port`, the SphinxQL port).
    fn name_agents(&self, warning: &str) -> String {
        let mut out = warning.to_string();
        for node in &self.spec.nodes {
            let agent = format!("agent {}:{}", node.host, node.agent_port());
            out = out.replace(&agent, &format!("node {node}"));
        }
        out
    }

    /// The nodes a warning says did not answer.
    pub fn nodes_in(&self, warnings: &[String]) -> Vec<Node> {
        self.spec
            .nodes
            .iter()
            .filter(|n| warnings.iter().any(|w| w.contains(&format!("node {n}"))))
            .cloned()
            .collect()
    }

    /// One whole stored article.
    pub fn get(&self, id: &str) -> Result<Article, ClusterError> {
        let table = self.spec.distributed_table(self.readable_generation()?);
        let sql = format!(
            "SELECT id, xid, title, body, url, tags, categories, date, dated, source FROM {table} WHERE id={} LIMIT 1",
            doc_id(id)
        );
        let (node, sets) = self.read(&sql)?;
        let Some(set) = sets.first() else {
            return Err(ClusterError::UnknownId(id.to_string()));
        };
        for row in &set.rows {
            let (mut stored, _, _) = stored_row(set, row).map_err(|message| ClusterError::Protocol {
                node: self.spec.nodes[node].to_string(),
                message,
            })?;
            // A 63-bit hash collision would show another article: the string id decides.
            if stored.id == id {
                stored.source = cell(set, row, "source").filter(|s| !s.is_empty());
                return Ok(stored);
            }
        }
        Err(ClusterError::UnknownId(id.to_string()))
    }
}

/// What one search statement batch gave.
#[derive(Debug, Default)]
struct Found {
    rows: Vec<(Article, f32, Option<u32>)>,
    total: usize,
    facets: Option<Facets>,
    warnings: Vec<String>,
}
