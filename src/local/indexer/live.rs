//! The index a job starts from: the live generation or a new one, the articles it holds,
//! and what a rebuild that replaces it keeps from it (articles of partly rejected files) —
//! or, when it could not read every input, the live index it leaves alone.

use std::collections::HashMap;

use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, TERMINATED, TantivyDocument};
use tracing::info;

use super::job::{Indexed, Touched, inputs};
use super::{IndexOptions, IndexReport, Job, Upserted};
use crate::error::IndexError;
use crate::post::Origin;
use crate::schema;
use crate::store::{IndexDir, OpenIndex, WriterLock};

/// What a job starts from.
pub(super) struct Start {
    /// The index it writes: the live one, or a new generation.
    pub(super) target: OpenIndex,
    /// The live index a rebuild replaces, when it opens.
    pub(super) previous: Option<OpenIndex>,
    /// Whether the job builds a new generation.
    pub(super) rebuild: bool,
    /// Whether a live generation existed.
    pub(super) replaces_live: bool,
}

/// Opens the live generation, or creates a new one for a rebuild or a first build. Old
/// generations are removed only once the live one has opened.
pub(super) fn open_target(dir: &IndexDir, lock: &WriterLock, options: &IndexOptions) -> Result<Start, IndexError> {
    let live = dir
        .live_generation()?
        .map(|generation| dir.open_generation(&generation));
    let replaces_live = live.is_some();
    let rebuild = options.rebuild || live.is_none();
    let (target, previous) = if rebuild {
        let previous = match live {
            Some(Ok(open)) => {
                dir.remove_stale_generations(lock, &open)?;
                Some(open)
            }
            // The rebuild replaces an index this version cannot open; it is removed
            // once the new one is live.
            Some(Err(e)) => {
                tracing::warn!(error = %e, "rebuilding over an index that does not open");
                None
            }
            None => None,
        };
        (new_generation(dir, options)?, previous)
    } else {
        check_dictionary(dir, options)?;
        let open = live.ok_or_else(|| IndexError::Missing {
            path: dir.root().to_path_buf(),
        })??;
        let removed = dir.remove_stale_generations(lock, &open)?;
        if removed > 0 {
            info!(removed, "removed old generations");
        }
        (open, None)
    };
    Ok(Start {
        target,
        previous,
        rebuild,
        replaces_live,
    })
}

impl Job {
    /// Gives up a rebuild that could not read every input: the live index stays, the new
    /// generation is removed.
    pub(super) fn discard(mut self) -> Result<IndexReport, IndexError> {
        self.writer.rollback()?;
        let Job {
            dir,
            lock,
            writer,
            previous,
            unreadable,
            mut report,
            started,
            kind,
            began,
            ..
        } = self;
        drop(writer);
        dir.remove_unfinished(&lock)?;
        report.rebuilt = false;
        report.withheld = Some(format!(
            "the rebuild was not switched to: {} could not be read; the live index is unchanged",
            inputs(unreadable)
        ));
        report.total = match previous {
            Some(open) => open.index.reader()?.searcher().num_docs(),
            None => 0,
        };
        report.elapsed = started.elapsed();
        info!(unreadable, "rebuild withheld");
        super::records::note(&dir, &lock, super::records::JobRecord::finished(kind, began, &report));
        Ok(report)
    }

    /// Copies into a rebuild the articles of the index it replaces whose file was read
    /// with rejected parts and that the rebuild did not read again: they stay, as they
    /// would in an incremental job with prune.
    pub(super) fn carry_over(&mut self) -> Result<(), IndexError> {
        let Some(previous) = self.previous.take() else {
            return Ok(());
        };
        let searcher = previous.index.reader()?.searcher();
        for segment in searcher.segment_readers() {
            let origins = segment.fast_fields().u64(schema::names::ORIGIN)?;
            let store = segment.get_store_reader(1).map_err(|source| IndexError::Io {
                context: "cannot read the stored articles of the live index".into(),
                source,
            })?;
            for doc in segment.doc_ids_alive() {
                let origin = Origin(origins.first(doc).unwrap_or_default());
                if !self.partial.contains(&origin) {
                    continue;
                }
                let stored: TantivyDocument = store.get(doc)?;
                let article = previous.fields.from_doc(&stored);
                if self.touched.contains_key(&article.id) {
                    continue;
                }
                let rev = self.add(&article, origin)?;
                crate::local::aliases::count_article(&mut self.learned, &article);
                let touched = Touched {
                    rev: Some(rev),
                    outcome: Upserted::Unchanged,
                };
                self.touched.insert(article.id, touched);
                self.report.kept += 1;
            }
        }
        Ok(())
    }
}

/// A new generation for a rebuild. A rebuild segments as the live index does unless told
/// otherwise: a dictionary given once stays until it is replaced or dropped; so do the
/// word settings.
fn new_generation(dir: &IndexDir, options: &IndexOptions) -> Result<OpenIndex, IndexError> {
    let kept = match (&options.user_dict, options.drop_user_dict) {
        (Some(new), _) => Some(new.clone()),
        (None, true) => None,
        (None, false) => dir.live_user_dict()?,
    };
    // Stop words and synonyms too, unless this job changes them. A live index this
    // version cannot read is rebuilt with the built-in lists.
    let live_words = dir.live_words().map(|(words, _)| words).unwrap_or_default();
    dir.create_generation_with(kept.as_deref(), &options.words.apply(&live_words))
}

/// An incremental job segments as the index was built: a dictionary change needs a rebuild.
fn check_dictionary(dir: &IndexDir, options: &IndexOptions) -> Result<(), IndexError> {
    if options.user_dict.is_some() {
        return Err(IndexError::Refused(
            "a user dictionary changes how every article is segmented: pass --rebuild with --dict".into(),
        ));
    }
    if options.drop_user_dict && dir.live_user_dict()?.is_some() {
        return Err(IndexError::Refused(
            "dropping the user dictionary changes how every article is segmented: pass --rebuild with --no-dict".into(),
        ));
    }
    Ok(())
}

/// Every live article's id, content hash and origin: ids from the `id` field's terms and
/// postings, the rest from fast fields (reading stored documents would decompress every
/// body).
pub(super) fn indexed_articles(open: &OpenIndex) -> Result<HashMap<String, Indexed>, IndexError> {
    let reader = open.index.reader()?;
    let searcher = reader.searcher();
    let io = |context: &'static str| {
        move |source| IndexError::Io {
            context: context.into(),
            source,
        }
    };
    let mut out = HashMap::with_capacity(searcher.num_docs() as usize);
    for segment in searcher.segment_readers() {
        let hashes = segment.fast_fields().u64(schema::names::HASH)?;
        let origins = segment.fast_fields().u64(schema::names::ORIGIN)?;
        let inverted = segment.inverted_index(open.fields.id)?;
        let mut terms = inverted.terms().stream().map_err(io("cannot read the id terms"))?;
        while terms.advance() {
            let Ok(id) = std::str::from_utf8(terms.key()) else {
                continue;
            };
            let mut postings = inverted
                .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
                .map_err(io("cannot read the id postings"))?;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if !segment.is_deleted(doc) {
                    let indexed = Indexed {
                        hash: hashes.first(doc).unwrap_or_default(),
                        origin: Origin(origins.first(doc).unwrap_or_default()),
                    };
                    out.insert(id.to_string(), indexed);
                }
                doc = postings.advance();
            }
        }
    }
    Ok(out)
}
