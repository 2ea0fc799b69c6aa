//! A term query scored by BM25 with xinwen's own parameters.
//!
//! tantivy's term query fixes k1 = 1.2 and b = 0.75. News mixes one-line flashes with long
//! stories, and the length normalisation b decides how much a long story is penalised for
//! mentioning a word once among many; measured on the XQuAD-R collection (see the README),
//! lighter saturation and length normalisation rank better. The scorer reads the same
//! postings and field norms as tantivy's; only the formula's constants differ.

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25StatisticsProvider, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// BM25 term saturation.
pub const K1: Score = 0.9;

/// BM25 length normalisation.
pub const B: Score = 0.4;

/// tantivy's fixed term saturation, which its phrase queries score with.
pub const TANTIVY_K1: Score = 1.2;

/// tantivy's fixed length normalisation, which its phrase queries score with.
pub const TANTIVY_B: Score = 0.75;

/// The term-frequency part of BM25 for one occurrence in the shortest possible article
/// (field norm 0): the most one match can score per unit of idf with `k1` and `b`.
pub const fn top_tf_part(k1: Score, b: Score) -> Score {
    (1.0 + k1) / (1.0 + k1 * (1.0 - b))
}

/// A term query scored with [`K1`] and [`B`].
#[derive(Debug, Clone)]
pub struct Bm25TermQuery {
    term: Term,
    k1: Score,
    b: Score,
}

impl Bm25TermQuery {
    /// A query for `term` with xinwen's BM25 parameters.
    pub fn new(term: Term) -> Self {
        Bm25TermQuery { term, k1: K1, b: B }
    }
}

impl Query for Bm25TermQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let (idf, average_fieldnorm) = match enable_scoring.searcher() {
            Some(searcher) => {
                let docs = searcher.total_num_docs()?;
                let doc_freq = searcher.doc_freq(&self.term)?.min(docs);
                let tokens = searcher.total_num_tokens(self.term.field())?;
                let average = if docs == 0 {
                    1.0
                } else {
                    (tokens as Score / docs as Score).max(1.0)
                };
                let x = ((docs - doc_freq) as Score + 0.5) / (doc_freq as Score + 0.5);
                ((1.0 + x).ln(), average)
            }
            None => (1.0, 1.0),
        };
        let mut cache = [0.0; 256];
        for (id, slot) in cache.iter_mut().enumerate() {
            let fieldnorm = FieldNormReader::id_to_fieldnorm(id as u8) as Score;
            *slot = self.k1 * (1.0 - self.b + self.b * fieldnorm / average_fieldnorm);
        }
        Ok(Box::new(Bm25TermWeight {
            term: self.term.clone(),
            weight: idf * (1.0 + self.k1),
            cache: Arc::new(cache),
            scoring: enable_scoring.is_scoring_enabled(),
            figures: Figures {
                idf,
                k1: self.k1,
                b: self.b,
                average_fieldnorm,
            },
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.term, false);
    }
}

struct Bm25TermWeight {
    term: Term,
    /// idf × (k1 + 1).
    weight: Score,
    /// k1 × (1 − b + b × length / average length), by field-norm id.
    cache: Arc<[Score; 256]>,
    scoring: bool,
    /// What the weight was made of, for explanations.
    figures: Figures,
}

/// The constants of one term's BM25, kept to explain a score.
#[derive(Clone, Copy)]
struct Figures {
    idf: Score,
    k1: Score,
    b: Score,
    average_fieldnorm: Score,
}

impl Bm25TermWeight {
    fn postings(&self, reader: &SegmentReader) -> tantivy::Result<Option<SegmentPostings>> {
        let inverted = reader.inverted_index(self.term.field())?;
        let option = if self.scoring {
            IndexRecordOption::WithFreqs
        } else {
            IndexRecordOption::Basic
        };
        Ok(inverted.read_postings(&self.term, option)?)
    }
}

impl Bm25TermWeight {
    fn term_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Option<Bm25TermScorer>> {
        let Some(postings) = self.postings(reader)? else {
            return Ok(None);
        };
        let fieldnorms = reader.get_fieldnorms_reader(self.term.field())?;
        Ok(Some(Bm25TermScorer {
            postings,
            fieldnorms,
            weight: self.weight * boost,
            cache: Arc::clone(&self.cache),
        }))
    }
}

impl Weight for Bm25TermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.term_scorer(reader, boost)? {
            Some(scorer) => Box::new(scorer),
            None => Box::new(EmptyScorer),
        })
    }

    /// The score the scorer gives `doc`, with its figures named as tantivy names those of
    /// its own BM25 (idf, freq, k1, b, dl, avgdl), so one reader of explanations reads both.
    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let does_not_match = || tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match"));
        let mut scorer = self.term_scorer(reader, 1.0)?.ok_or_else(does_not_match)?;
        if seek_once(&mut scorer, doc) != doc {
            return Err(does_not_match());
        }
        let f = self.figures;
        let mut explanation = Explanation::new("BM25 (xinwen k1, b)", scorer.score());
        explanation.add_const("idf, computed as log(1 + (N - n + 0.5) / (n + 0.5))", f.idf);
        explanation.add_const(
            "freq, occurrences of term within document",
            scorer.postings.term_freq() as Score,
        );
        explanation.add_const("k1, term saturation parameter", f.k1);
        explanation.add_const("b, length normalization parameter", f.b);
        let length = FieldNormReader::id_to_fieldnorm(scorer.fieldnorms.fieldnorm_id(doc));
        explanation.add_const("dl, length of field", length as Score);
        explanation.add_const("avgdl, average length of field", f.average_fieldnorm);
        Ok(explanation)
    }
}

/// Moves a fresh scorer to `doc` unless it already stands on or past it (postings may
/// not be asked to seek backwards); returns where it stands.
pub(crate) fn seek_once(scorer: &mut (impl DocSet + ?Sized), doc: DocId) -> DocId {
    if scorer.doc() >= doc {
        scorer.doc()
    } else {
        scorer.seek(doc)
    }
}

struct Bm25TermScorer {
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
    weight: Score,
    cache: Arc<[Score; 256]>,
}

impl DocSet for Bm25TermScorer {
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for Bm25TermScorer {
    fn score(&mut self) -> Score {
        let tf = self.postings.term_freq() as Score;
        let norm = self.cache[usize::from(self.fieldnorms.fieldnorm_id(self.postings.doc()))];
        self.weight * tf / (tf + norm)
    }
}
