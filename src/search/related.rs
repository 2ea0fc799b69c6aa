//! What a list of related articles is, and where it is cut: every backend scores the
//! candidates its own way, then keeps only those [`keep`] allows, so an article with
//! nothing really like it gets an empty list rather than the best of the noise.

use serde_json::{Value, json};

use crate::post::Article;

/// A candidate scores at least this share of the article's own score (the same query
/// run against the article itself): below it, the two share only a few minor words.
pub const RELATED_MIN_SHARE_OF_SELF: f32 = 0.12;

/// A candidate scores at least this share of the best candidate's score: the tail of a
/// list led by a close match is noise next to it.
pub const RELATED_MIN_SHARE_OF_BEST: f32 = 0.3;

/// One related article and how much it is like the article asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    /// The related article.
    pub article: Article,
    /// The backend's score for it (higher is closer; comparable within one list only).
    pub score: f32,
}

impl Related {
    /// The entry of `GET /api/articles/{id}/related`: the article's summary and its score
    /// (three decimals, so the JSON does not show float noise).
    pub fn to_json(&self) -> Value {
        let mut value = self.article.summary_json();
        value["score"] = json!(round3(self.score));
        value
    }
}

/// The score as shown: three decimals.
pub fn round3(score: f32) -> f64 {
    (f64::from(score) * 1000.0).round() / 1000.0
}

/// Whether a candidate scoring `score` stays in a list whose best candidate scores `best`,
/// for an article whose own score is `own`. Candidates come in score order, so a list is
/// cut at its first refusal.
pub fn keep(score: f32, best: f32, own: f32) -> bool {
    score > 0.0 && score >= own * RELATED_MIN_SHARE_OF_SELF && score >= best * RELATED_MIN_SHARE_OF_BEST
}

/// The candidates (best first) that [`keep`] allows.
pub fn cut(candidates: Vec<Related>, own: f32) -> Vec<Related> {
    let best = candidates.first().map_or(0.0, |c| c.score);
    candidates
        .into_iter()
        .take_while(|c| keep(c.score, best, own))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weak_match_is_cut_by_the_article_own_score_and_by_the_best() {
        assert!(keep(10.0, 10.0, 50.0));
        assert!(!keep(5.0, 10.0, 100.0), "under 12% of the article's own score");
        assert!(!keep(2.0, 10.0, 10.0), "under 30% of the best");
        assert!(!keep(0.0, 0.0, 0.0), "nothing shared");
    }
}
