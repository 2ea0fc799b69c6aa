//! Related articles on a cluster: the article's telling words, chosen as the local index
//! chooses them ([`crate::local::related`]) with the cluster's document frequencies, as
//! one OR query over the titles (weighted double) and bodies of the others.

use std::collections::HashMap;

use crate::config::MAX_RELATED;
use crate::local::related::{RELATED_TITLE_WEIGHT, candidate_words, telling_words};
use crate::post::title_key;
use crate::search::related::{Related, cut};

use super::ClusterError;
use super::client::ClusterClient;
use super::document::{doc_id, engine_word};
use super::rows::{cell, stored_row};
use super::sphinxql::{Failure, quote};

/// The stored columns a hit is rebuilt from.
const STORED: &str = "id, xid, title, body, url, tags, categories, date, dated, source";

impl ClusterClient {
    /// Up to `limit` articles most like article `id`, with the engine's weights: those with
    /// most of its telling words, in the body or (counting double) the title, and at least
    /// one of its distinctive words; the article itself and its syndicated copies (same
    /// title) left out, weak matches cut as locally against the article's own weight. The
    /// words are the local index's choice; the order is the engine's tf × idf, close to but
    /// not always the local BM25 order.
    pub fn related(&self, id: &str, limit: usize) -> Result<Vec<Related>, ClusterError> {
        let article = self.get(id)?;
        let counts = candidate_words(self.translator().analyzer(), &article);
        if counts.is_empty() {
            return Ok(Vec::new());
        }
        let words: Vec<&str> = counts.keys().map(String::as_str).collect();
        let dfs = self.document_frequencies(&words)?;
        let docs = self.stats()?.articles;
        let terms = telling_words(counts, docs, |word| Ok(dfs.get(word).copied().unwrap_or(0)))
            .map_err(|e| ClusterError::InvalidSpec(e.to_string()))?;
        let distinctive: Vec<String> = terms
            .iter()
            .filter(|t| t.distinctive)
            .map(|t| engine_word(&t.text))
            .collect();
        if distinctive.is_empty() {
            return Ok(Vec::new());
        }
        let any: Vec<String> = terms.iter().map(|t| engine_word(&t.text)).collect();
        let table = self.spec.distributed_table(self.readable_generation()?);
        let limit = limit.clamp(1, MAX_RELATED);
        let average = self.average_body_words(&table)?;
        // BM25's length normalisation (b = 0.75) over the engine's tf × idf: without it the
        // longest stories, which hold many words by chance, come first.
        let option = format!(
            "OPTION ranker=expr('sum(tf_idf*user_weight)*100000/(0.25+0.75*body_s_len/{average:.3})'), \
             field_weights=(title_s={}, body_s=1)",
            RELATED_TITLE_WEIGHT.round() as u32,
        );
        let telling = format!("({})", any.join(" | "));
        // The article's own weight under the same ranker: the yardstick of the cut.
        let own_sql = format!(
            "SELECT id, WEIGHT() AS w FROM {table} WHERE MATCH({}) AND id={} LIMIT 1 {option}",
            quote(&format!("@(title_s,body_s) {telling}")),
            doc_id(id),
        );
        let (_, own_sets) = self.read(&own_sql)?;
        let own = own_sets
            .first()
            .and_then(|set| set.rows.first().and_then(|r| cell(set, r, "w")))
            .and_then(|w| w.parse::<f32>().ok())
            .unwrap_or(0.0);
        // At least one distinctive word, as locally.
        let sql = format!(
            "SELECT {STORED}, WEIGHT() AS w FROM {table} WHERE MATCH({}) AND id!={} AND title_key!={} \
             ORDER BY w DESC, id ASC LIMIT {limit} {option}",
            quote(&format!("@(title_s,body_s) {telling} ({})", distinctive.join(" | "))),
            doc_id(id),
            title_key(&article.title) as i64,
        );
        let (node, sets) = self.read(&sql)?;
        let Some(set) = sets.first() else {
            return Ok(Vec::new());
        };
        let candidates = set
            .rows
            .iter()
            .map(|row| {
                let (mut stored, _, _) = stored_row(set, row).map_err(|message| ClusterError::Protocol {
                    node: self.spec.nodes[node].to_string(),
                    message,
                })?;
                stored.source = cell(set, row, "source").filter(|s| !s.is_empty());
                let score = cell(set, row, "w").and_then(|w| w.parse::<f32>().ok()).unwrap_or(0.0);
                Ok(Related { article: stored, score })
            })
            .collect::<Result<Vec<_>, ClusterError>>()?;
        Ok(cut(candidates, own))
    }

    /// The mean length of the bodies, in words (at least 1).
    fn average_body_words(&self, table: &str) -> Result<f64, ClusterError> {
        let (_, sets) = self.read(&format!("SELECT AVG(body_s_len) AS a FROM {table}"))?;
        Ok(sets
            .first()
            .and_then(|set| set.rows.first().and_then(|r| cell(set, r, "a")))
            .and_then(|a| a.parse::<f64>().ok())
            .filter(|a| a.is_finite())
            .unwrap_or(1.0)
            .max(1.0))
    }

    /// How many articles of the live set have each word, summed over the shards that
    /// answer (`CALL KEYWORDS` with statistics, on each node's own shard). The engine
    /// counts a word in any field; the local index counts bodies only.
    fn document_frequencies(&self, words: &[&str]) -> Result<HashMap<String, u64>, ClusterError> {
        let generation = self.readable_generation()?;
        let by_engine: HashMap<String, &str> = words.iter().map(|w| (engine_word(w), *w)).collect();
        let text: Vec<&str> = by_engine.keys().map(String::as_str).collect();
        let mut dfs: HashMap<String, u64> = HashMap::new();
        let mut failures = Vec::new();
        for (shard, connection) in self.connections.iter().enumerate() {
            let table = self.spec.shard_table(generation, shard);
            let sql = format!("CALL KEYWORDS({}, '{table}', 1)", quote(&text.join(" ")));
            let sets = match connection.run(&sql) {
                Ok(sets) => sets,
                Err(Failure::Down(why)) => {
                    failures.push(format!("{}: {why}", connection.node()));
                    continue;
                }
                Err(Failure::Refused(message)) => {
                    return Err(ClusterError::Engine {
                        node: connection.node().to_string(),
                        message,
                    });
                }
            };
            let Some(set) = sets.first() else { continue };
            for row in &set.rows {
                let (Some(token), Some(docs)) = (cell(set, row, "tokenized"), cell(set, row, "docs")) else {
                    continue;
                };
                if let (Some(word), Ok(docs)) = (by_engine.get(&token), docs.parse::<u64>()) {
                    *dfs.entry((*word).to_string()).or_default() += docs;
                }
            }
        }
        if failures.len() == self.connections.len() {
            return Err(ClusterError::Unavailable { failures });
        }
        Ok(dfs)
    }
}
