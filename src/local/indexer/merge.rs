//! The merges a job's commit starts: tantivy's log-size levels, each level's merge split
//! into one merge per core so that they run side by side.
//!
//! A job writes one segment per writer thread and memory budget, about sixty for a
//! million articles, all the same size. `LogMergePolicy` merges a level as one merge, and
//! one merge runs on one thread: the last minutes of such a build left a core idle (the
//! million-article build ran at 160 % of two cores). Split, the level becomes as many
//! segments as there are parts, each merged on a thread of its own.

use tantivy::index::SegmentMeta;
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

/// Merges at most this many parts of a level at once: tantivy's merge threads.
const MAX_PARTS: usize = 4;

/// `LogMergePolicy` with each of its merges split into parts of about equal size.
#[derive(Debug)]
pub(crate) struct ParallelMerges {
    levels: LogMergePolicy,
    parts: usize,
}

impl ParallelMerges {
    /// Splits each merge into `threads` parts (between 1 and [`MAX_PARTS`]).
    pub(crate) fn new(threads: usize) -> ParallelMerges {
        ParallelMerges {
            levels: LogMergePolicy::default(),
            parts: threads.clamp(1, MAX_PARTS),
        }
    }
}

impl MergePolicy for ParallelMerges {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let docs: std::collections::HashMap<_, _> = segments.iter().map(|s| (s.id(), s.num_docs())).collect();
        self.levels
            .compute_merge_candidates(segments)
            .into_iter()
            .flat_map(|MergeCandidate(ids)| {
                let mut sized: Vec<_> = ids
                    .into_iter()
                    .map(|id| (docs.get(&id).copied().unwrap_or(0), id))
                    .collect();
                split(&mut sized, self.parts).into_iter().map(MergeCandidate)
            })
            .collect()
    }
}

/// Splits a merge's segments (with their document counts) into at most `parts` merges of
/// about equal documents: the largest segment first, each into the lightest part
/// (longest-processing-time scheduling). A part of one segment is no merge and is left out.
fn split<T: Copy>(segments: &mut [(u32, T)], parts: usize) -> Vec<Vec<T>> {
    segments.sort_by_key(|&(docs, _)| std::cmp::Reverse(docs));
    let parts = parts.min(segments.len() / 2).max(1);
    let mut groups: Vec<(u64, Vec<T>)> = vec![(0, Vec::new()); parts];
    for &(docs, id) in segments.iter() {
        if let Some(lightest) = groups.iter_mut().min_by_key(|(total, _)| *total) {
            lightest.0 += u64::from(docs);
            lightest.1.push(id);
        }
    }
    groups
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(_, ids)| ids)
        .collect()
}

#[cfg(test)]
mod tests {
    use tantivy::Index;
    use tantivy::index::SegmentId;
    use tantivy::schema::{INDEXED, Schema};

    use super::*;

    /// Segments of the given document counts, as a commit sees them.
    fn segments(docs: &[u32]) -> Vec<SegmentMeta> {
        let mut schema = Schema::builder();
        schema.add_u64_field("n", INDEXED);
        let index = Index::create_in_ram(schema.build());
        docs.iter()
            .map(|&n| index.new_segment_meta(SegmentId::generate_random(), n))
            .collect()
    }

    /// The document counts of each merge `policy` starts on `metas`.
    fn merges(policy: &ParallelMerges, metas: &[SegmentMeta]) -> Vec<Vec<u32>> {
        let docs: std::collections::HashMap<_, _> = metas.iter().map(|s| (s.id(), s.num_docs())).collect();
        policy
            .compute_merge_candidates(metas)
            .into_iter()
            .map(|MergeCandidate(ids)| ids.iter().map(|id| docs[id]).collect())
            .collect()
    }

    #[test]
    fn a_level_of_sixty_segments_is_two_merges_of_thirty_on_two_cores() {
        let metas = segments(&[16_000; 60]);
        let found = merges(&ParallelMerges::new(2), &metas);
        assert_eq!(found, vec![vec![16_000; 30], vec![16_000; 30]]);
        // One core: the one merge tantivy's own policy starts.
        assert_eq!(merges(&ParallelMerges::new(1), &metas), vec![vec![16_000; 60]]);
    }

    #[test]
    fn fewer_segments_than_a_level_merge_nothing_and_parts_are_balanced() {
        assert!(merges(&ParallelMerges::new(2), &segments(&[16_000; 7])).is_empty());
        // One level (sizes within 2^0.75 of each other), split by longest-first scheduling.
        let level = [16_000, 14_000, 14_000, 12_000, 12_000, 11_000, 11_000, 10_000];
        let found = merges(&ParallelMerges::new(2), &segments(&level));
        assert_eq!(
            found,
            vec![
                vec![16_000, 12_000, 12_000, 10_000],
                vec![14_000, 14_000, 11_000, 11_000]
            ]
        );
        // Eight cores, a level of eight: four merges of two (tantivy runs four at once).
        assert_eq!(
            merges(&ParallelMerges::new(8), &segments(&[16_000; 8])),
            vec![vec![16_000; 2]; 4]
        );
    }

    #[test]
    fn a_part_of_one_segment_is_not_a_merge() {
        let mut sized = [(1, 'b'), (100, 'a'), (1, 'c'), (1, 'd')];
        assert_eq!(split(&mut sized, 2), vec![vec!['b', 'c', 'd']]);
        // Three segments cannot be two merges: one.
        let mut sized = [(1, 'b'), (100, 'a'), (1, 'c')];
        assert_eq!(split(&mut sized, 2), vec![vec!['a', 'b', 'c']]);
    }
}
