//! A job's deletions as one tantivy delete, issued just before its commit.
//!
//! tantivy keeps every queued delete as a scoring weight of about a kilobyte until the
//! commit, and applies a delete by id to every copy of the id added so far: a job that
//! updated, pruned or repeated many ids took memory and time growing with each one (300,000
//! lines with one id: 64 s). Here a job only remembers, per id, which copy it added last
//! (its rev), and the sweep deletes, in each segment, every other copy of those ids and
//! every copy of the ids it removes. Revs are unique in an index (see [`Job`]), so the last
//! copy is told apart from every older one, committed or not.
//!
//! [`Job`]: super::Job

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use tantivy::query::{BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

use crate::schema::names;

/// The ids a job wrote or removed: for each id it added, the rev of the copy that stays;
/// the ids it deleted.
#[derive(Clone)]
pub(super) struct Sweep {
    id: Field,
    keep: Arc<HashMap<String, u64>>,
    remove: Arc<HashSet<String>>,
}

impl Sweep {
    pub(super) fn new(id: Field, keep: HashMap<String, u64>, remove: HashSet<String>) -> Self {
        Sweep {
            id,
            keep: Arc::new(keep),
            remove: Arc::new(remove),
        }
    }

    /// Whether the sweep has anything to delete.
    pub(super) fn is_empty(&self) -> bool {
        self.keep.is_empty() && self.remove.is_empty()
    }

    /// The documents of one segment the sweep deletes.
    fn doomed(&self, reader: &SegmentReader) -> tantivy::Result<BitSet> {
        let inverted = reader.inverted_index(self.id)?;
        let revs = reader.fast_fields().u64(names::REV)?;
        let mut doomed = BitSet::with_max_value(reader.max_doc());
        let mut visit = |id: &str, postings: &mut dyn DocSet| {
            let keep = self.keep.get(id).copied();
            if keep.is_none() && !self.remove.contains(id) {
                return;
            }
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if keep.is_none() || revs.first(doc) != keep {
                    doomed.insert(doc);
                }
                doc = postings.advance();
            }
        };
        // Looking every id up costs a dictionary search each; past a fraction of the
        // segment's documents one pass over its ids is cheaper.
        let wanted = self.keep.len() + self.remove.len();
        if wanted < reader.max_doc() as usize / 4 {
            for id in self.keep.keys().chain(self.remove.iter()) {
                let term = Term::from_field_text(self.id, id);
                if let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)? {
                    visit(id, &mut postings);
                }
            }
        } else {
            let mut terms = inverted.terms().stream()?;
            while terms.advance() {
                let Ok(id) = std::str::from_utf8(terms.key()) else {
                    continue;
                };
                let mut postings = inverted.read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)?;
                visit(id, &mut postings);
            }
        }
        Ok(doomed)
    }
}

impl fmt::Debug for Sweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sweep")
            .field("keep", &self.keep.len())
            .field("remove", &self.remove.len())
            .finish()
    }
}

impl Query for Sweep {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for Sweep {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ConstScorer::new(
            BitSetDocSet::from(self.doomed(reader)?),
            boost,
        )))
    }

    fn explain(&self, _: &SegmentReader, _: DocId) -> tantivy::Result<Explanation> {
        Err(TantivyError::InvalidArgument("a job's sweep only deletes".into()))
    }
}
