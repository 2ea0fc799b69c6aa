//! Search-as-you-type completions on a cluster: the words of titles and the tags that
//! start with what the user is typing, weighted as the local index weighs them
//! ([`crate::local::suggest`]), counted over the newest articles that contain it.

use std::collections::{HashMap, HashSet};

use crate::fold;
use crate::local::suggest::{TAG_WEIGHT, TITLE_WEIGHT, ranked, split_partial, suggestible};

use super::ClusterError;
use super::client::ClusterClient;
use super::document::{GAP, char_token};
use super::rows::cell;
use super::sphinxql::quote;

/// Articles whose titles and tags are read for completions at most: the newest that
/// contain the prefix. The local index counts every article; on fewer matches than this,
/// so does the cluster.
pub const SUGGEST_SAMPLE: usize = 1000;

impl ClusterClient {
    /// Up to `limit` completions of the last word of `partial` (the words before it are
    /// kept), as the local index gives them over the [`SUGGEST_SAMPLE`] newest articles
    /// whose title or a tag contains the prefix.
    pub fn suggest(&self, partial: &str, limit: usize) -> Result<Vec<String>, ClusterError> {
        let Some((head, prefix)) = split_partial(partial).map_err(|e| match e {
            crate::error::Error::Query(q) => ClusterError::Query(q),
            other => ClusterError::InvalidSpec(other.to_string()),
        })?
        else {
            return Ok(Vec::new());
        };
        // The prefix as a phrase of the per-character fields: every title and tag holding it.
        let chars: Vec<String> = prefix.chars().filter(|c| !c.is_whitespace()).map(char_token).collect();
        if chars.iter().all(|c| c == GAP) {
            return Ok(Vec::new());
        }
        let table = self.spec.distributed_table(self.readable_generation()?);
        let sql = format!(
            "SELECT id, title, tags FROM {table} WHERE MATCH({}) ORDER BY date DESC, id ASC \
             LIMIT {SUGGEST_SAMPLE} OPTION max_matches={SUGGEST_SAMPLE}",
            quote(&format!("@(title_c,tags_c) \"{}\"", chars.join(" ")))
        );
        let (_, sets) = self.read(&sql)?;
        let mut weights: HashMap<String, u64> = HashMap::new();
        let analyzer = self.translator().analyzer();
        for set in sets.first().into_iter() {
            for row in &set.rows {
                // Each article counts once per word, as a document frequency does.
                let title = cell(set, row, "title").unwrap_or_default();
                let words: HashSet<String> = analyzer
                    .analyze(&title)
                    .into_iter()
                    .map(|p| p.text)
                    .filter(|w| w.starts_with(&prefix) && suggestible(w))
                    .collect();
                for word in words {
                    *weights.entry(word).or_default() += TITLE_WEIGHT;
                }
                let tags: Vec<String> =
                    serde_json::from_str(&cell(set, row, "tags").unwrap_or_default()).unwrap_or_default();
                let tags: HashSet<String> = tags
                    .iter()
                    .map(|t| fold::fold_value(t))
                    .filter(|t| t.starts_with(&prefix) && suggestible(t))
                    .collect();
                for tag in tags {
                    *weights.entry(tag).or_default() += TAG_WEIGHT;
                }
            }
        }
        Ok(ranked(weights, head, limit))
    }
}
