//! Reranking the best candidates by proximity: words the user typed together that stand
//! together in an article (sequential dependence).
//!
//! Checking a phrase means reading positions. tantivy's phrase scorer does that for every
//! article containing all the words, which for two common words (国家 主席) is thousands of
//! articles and milliseconds; and it cannot jump to a few chosen articles without checking
//! every one in between. Here the positions are read for the candidates only: each word's
//! postings seek to the candidate, and the positions of that one article are compared.

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, TERMINATED, Term};

use super::bm25::{B, K1};

/// A phrase whose presence adds to an article's score.
#[derive(Debug, Clone, PartialEq)]
pub struct PhraseBonus {
    /// The field searched.
    pub field: Field,
    /// Words and their offsets (characters from the first).
    pub terms: Vec<(usize, String)>,
    /// How far each word may stray from its offset.
    pub slop: u32,
    /// Multiplier of the phrase's BM25 score.
    pub weight: Score,
}

/// A bonus prepared for one searcher: terms, idf and average field length.
struct Prepared<'a> {
    bonus: &'a PhraseBonus,
    terms: Vec<Term>,
    idf: Score,
    average_length: Score,
}

fn prepare<'a>(searcher: &Searcher, bonus: &'a PhraseBonus) -> tantivy::Result<Prepared<'a>> {
    let docs = searcher.total_num_docs()?.max(1);
    let terms: Vec<Term> = bonus
        .terms
        .iter()
        .map(|(_, t)| Term::from_field_text(bonus.field, t))
        .collect();
    let mut idf = 0.0;
    for term in &terms {
        let df = Bm25StatisticsProvider::doc_freq(searcher, term)?.min(docs);
        idf += (1.0 + ((docs - df) as Score + 0.5) / (df as Score + 0.5)).ln();
    }
    let tokens = searcher.total_num_tokens(bonus.field)?;
    Ok(Prepared {
        bonus,
        terms,
        idf,
        average_length: (tokens as Score / docs as Score).max(1.0),
    })
}

/// Adds the phrase bonuses to the hits they apply to, then sorts the hits by score.
pub fn rerank(searcher: &Searcher, bonuses: &[PhraseBonus], hits: &mut [(Score, DocAddress)]) -> tantivy::Result<()> {
    if bonuses.is_empty() || hits.is_empty() {
        return Ok(());
    }
    let addresses: Vec<DocAddress> = hits.iter().map(|&(_, address)| address).collect();
    bonus_scores(searcher, bonuses, &addresses, |i, _, bonus| hits[i].0 += bonus)?;
    hits.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(())
}

/// Calls `add(hit, bonus, score)` for each bonus (index into `bonuses`) that applies to a
/// hit (index into `hits`), each hit's bonuses in the order of `bonuses`: what [`rerank`]
/// adds, and what an explanation lists.
pub(crate) fn bonus_scores(
    searcher: &Searcher,
    bonuses: &[PhraseBonus],
    hits: &[DocAddress],
    mut add: impl FnMut(usize, usize, Score),
) -> tantivy::Result<()> {
    if bonuses.is_empty() || hits.is_empty() {
        return Ok(());
    }
    let prepared: Vec<Prepared<'_>> = bonuses
        .iter()
        .map(|b| prepare(searcher, b))
        .collect::<tantivy::Result<_>>()?;
    let mut order: Vec<usize> = (0..hits.len()).collect();
    order.sort_by_key(|&i| (hits[i].segment_ord, hits[i].doc_id));
    let mut start = 0;
    while start < order.len() {
        let segment_ord = hits[order[start]].segment_ord;
        let end = order[start..]
            .iter()
            .position(|&i| hits[i].segment_ord != segment_ord)
            .map_or(order.len(), |n| start + n);
        let reader = searcher.segment_reader(segment_ord);
        for (b, p) in prepared.iter().enumerate() {
            let mut postings = Vec::with_capacity(p.terms.len());
            for term in &p.terms {
                match reader
                    .inverted_index(term.field())?
                    .read_postings(term, IndexRecordOption::WithFreqsAndPositions)?
                {
                    Some(list) => postings.push(list),
                    None => break,
                }
            }
            if postings.len() < p.terms.len() {
                continue;
            }
            let norms = reader.get_fieldnorms_reader(p.bonus.field)?;
            let mut positions: Vec<Vec<u32>> = vec![Vec::new(); postings.len()];
            for &i in &order[start..end] {
                let doc = hits[i].doc_id;
                if !all_at(&mut postings, doc) {
                    continue;
                }
                for (list, buffer) in postings.iter_mut().zip(positions.iter_mut()) {
                    list.positions(buffer);
                }
                let freq = phrase_count(&positions, &p.bonus.terms, p.bonus.slop);
                if freq > 0 {
                    let length = norms.fieldnorm(doc) as Score;
                    let tf = freq as Score;
                    let norm = K1 * (1.0 - B + B * length / p.average_length);
                    add(i, b, p.bonus.weight * p.idf * (K1 + 1.0) * tf / (tf + norm));
                }
            }
        }
        start = end;
    }
    Ok(())
}

/// Moves every postings list to `doc` (never backwards); true when all contain it.
fn all_at(postings: &mut [SegmentPostings], doc: DocId) -> bool {
    let mut all = true;
    for list in postings.iter_mut() {
        let current = list.doc();
        let at = if current == TERMINATED || current >= doc {
            current
        } else {
            list.seek(doc)
        };
        all &= at == doc;
    }
    all
}

/// How many times the words occur in order at their offsets, each within `slop` of where
/// it should be.
fn phrase_count(positions: &[Vec<u32>], terms: &[(usize, String)], slop: u32) -> usize {
    let (Some(first), Some(&(first_offset, _))) = (positions.first(), terms.first()) else {
        return 0;
    };
    let slop = i64::from(slop);
    first
        .iter()
        .filter(|&&x| {
            let base = i64::from(x) - first_offset as i64;
            positions.iter().zip(terms).skip(1).all(|(list, (offset, _))| {
                let want = base + *offset as i64;
                let lo = list.partition_point(|&y| i64::from(y) < want - slop);
                list.get(lo).is_some_and(|&y| i64::from(y) <= want + slop)
            })
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(offsets: &[usize]) -> Vec<(usize, String)> {
        offsets.iter().map(|&o| (o, String::new())).collect()
    }

    #[test]
    fn counts_exact_and_sloppy_phrases() {
        // 中国@0 经济@3 (中国的经济) and 中国@10 经济@12 (中国经济).
        let positions = vec![vec![0, 10], vec![3, 12]];
        assert_eq!(phrase_count(&positions, &terms(&[0, 2]), 0), 1);
        assert_eq!(phrase_count(&positions, &terms(&[0, 2]), 1), 2);
        assert_eq!(
            phrase_count(&[vec![5], vec![1]], &terms(&[0, 2]), 2),
            0,
            "order matters"
        );
    }
}
