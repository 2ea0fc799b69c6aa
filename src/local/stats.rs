//! Figures about a local index: articles, segments, size on disk, date range, generation.

use std::path::Path;

use time::OffsetDateTime;

use super::Engine;
use super::schema::names;
use crate::error::Result;
use crate::post::format_date;
use crate::search::Stats;

impl Engine {
    /// Figures about the index.
    pub fn stats(&self) -> Result<Stats> {
        let searcher = self.reader.searcher();
        let mut oldest: Option<i64> = None;
        let mut newest: Option<i64> = None;
        for segment in searcher.segment_readers() {
            let dates = segment.fast_fields().date(names::DATE)?;
            for doc in segment.doc_ids_alive() {
                if let Some(d) = dates.first(doc) {
                    let secs = d.into_timestamp_secs();
                    oldest = Some(oldest.map_or(secs, |o| o.min(secs)));
                    newest = Some(newest.map_or(secs, |n| n.max(secs)));
                }
            }
        }
        let to_date = |s: Option<i64>| {
            s.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                .map(format_date)
        };
        Ok(Stats {
            articles: searcher.num_docs(),
            segments: searcher.segment_readers().len(),
            size_bytes: dir_size(&self.generation),
            oldest: to_date(oldest),
            newest: to_date(newest),
            generation: self.generation_name().to_string(),
            last_commit: std::fs::metadata(self.generation.join("meta.json"))
                .and_then(|m| m.modified())
                .ok()
                .map(|t| format_date(OffsetDateTime::from(t))),
            words: Some(self.words.stats()),
            aliases: Some(self.words.alias_stats()),
        })
    }
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
