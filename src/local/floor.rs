//! A clause that scores as its inner query, but never less than a fixed floor: the typed
//! form of a number scores its words, and at least what keeps it above the number's other
//! forms (see [`NUMBER_TYPED_SCORE`](super::build::NUMBER_TYPED_SCORE)).
//!
//! The inner query is run once; a disjunction of it with a constant-score copy of itself
//! gave the same scores at twice the matching work.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, Term};

/// Scores `max(inner, floor)` on the documents `inner` matches.
#[derive(Debug)]
pub(crate) struct Floor {
    inner: Box<dyn Query>,
    floor: Score,
    /// What an explanation shows when the floor wins: a constant-score clause (over every
    /// document, so it costs nothing to prepare) that names itself, as `Labels` made it.
    explained: Box<dyn Query>,
}

impl Floor {
    /// `inner`, scored at least `floor`; `explained` is the floor's part in explanations.
    pub(crate) fn new(inner: Box<dyn Query>, floor: Score, explained: Box<dyn Query>) -> Floor {
        Floor {
            inner,
            floor,
            explained,
        }
    }
}

impl Clone for Floor {
    fn clone(&self) -> Self {
        Floor {
            inner: self.inner.box_clone(),
            floor: self.floor,
            explained: self.explained.box_clone(),
        }
    }
}

impl Query for Floor {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(FloorWeight {
            inner: self.inner.weight(enable_scoring)?,
            floor: self.floor,
            explained: self.explained.weight(enable_scoring)?,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct FloorWeight {
    inner: Box<dyn Weight>,
    floor: Score,
    explained: Box<dyn Weight>,
}

impl Weight for FloorWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(FloorScorer {
            inner: self.inner.scorer(reader, boost)?,
            floor: self.floor * boost,
        }))
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(SeekDangerResult, Box<dyn Scorer>)> {
        let (found, inner) = self.inner.scorer_danger(reader, target, boost)?;
        let scorer = FloorScorer {
            inner,
            floor: self.floor * boost,
        };
        Ok((found, Box::new(scorer)))
    }

    /// The inner query's explanation where it scores at least the floor, else the floor's
    /// (an error, as tantivy's are, where `inner` does not match `doc`).
    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let inner = self.inner.explain(reader, doc)?;
        if inner.value() >= self.floor {
            return Ok(inner);
        }
        self.explained.explain(reader, doc)
    }
}

struct FloorScorer {
    inner: Box<dyn Scorer>,
    floor: Score,
}

impl DocSet for FloorScorer {
    fn advance(&mut self) -> DocId {
        self.inner.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target)
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        self.inner.seek_danger(target)
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for FloorScorer {
    fn score(&mut self) -> Score {
        self.inner.score().max(self.floor)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{AllQuery, ConstScoreQuery, TermQuery};
    use tantivy::schema::{IndexRecordOption, STRING, Schema};
    use tantivy::{Index, doc};

    use super::*;

    #[test]
    fn scores_the_inner_query_but_never_below_the_floor_on_its_matches_only() {
        let mut schema = Schema::builder();
        let word = schema.add_text_field("word", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("a writer");
        for w in ["a", "b", "c"] {
            writer.add_document(doc!(word => w)).expect("added");
        }
        writer.commit().expect("committed");
        let searcher = index.reader().expect("a reader").searcher();
        let term = |w: &str| Term::from_field_text(word, w);
        let scored = |score: Score| -> Box<dyn Query> {
            let a = TermQuery::new(term("a"), IndexRecordOption::Basic);
            Box::new(ConstScoreQuery::new(Box::new(a), score))
        };
        let floor_part: Box<dyn Query> = Box::new(ConstScoreQuery::new(Box::new(AllQuery), 1.0));
        // One segment, documents in the order added: "a" is document 0.
        let top = |query: &Floor| -> Vec<(Score, DocId)> {
            let hits: Vec<(Score, tantivy::DocAddress)> = searcher
                .search(query, &TopDocs::with_limit(10).order_by_score())
                .expect("searched");
            hits.into_iter().map(|(score, at)| (score, at.doc_id)).collect()
        };
        let low = Floor::new(scored(0.25), 1.0, floor_part.box_clone());
        assert_eq!(top(&low), [(1.0, 0)]);
        let high = Floor::new(scored(3.0), 1.0, floor_part);
        assert_eq!(top(&high), [(3.0, 0)]);
    }
}
