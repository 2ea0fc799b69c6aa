//! Highlighted titles and snippets, computed from the stored text without re-running the
//! segmenter: the query's words are found in the folded text (so `臺灣` highlights `台湾`
//! and `ABC` highlights `ＡＢＣ`), and the marks land on the article's own characters.
//!
//! A snippet is about [`SNIPPET_CHARS`](crate::config::SNIPPET_CHARS) characters cut at
//! clause boundaries (。！？；，、 and line ends), centred on the window with the most
//! distinct query words; when the words are far apart it is two fragments joined by `…`.
//! Rendering escapes the text first and adds only `<mark>…</mark>`.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::fold;
use crate::literal;
use crate::post::{Article, format_date};
use crate::search::Hit as SearchHit;

/// What the user typed as one unit (a word without spaces, or a quoted phrase), for
/// highlighting: the whole of it, and its parts that are worth marking alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HighlightGroup {
    /// The texts of the whole unit (folded; a quoted phrase with spaces gives one a part).
    pub wholes: Vec<String>,
    /// Its words of two or more characters (folded), marked only in articles where the
    /// whole does not occur: `新能源汽车` marks 汽车 alone only where 新能源汽车 is absent.
    pub parts: Vec<String>,
    /// Typed as `title:…`: marked in titles only.
    pub title_only: bool,
}

/// Finds query words in text.
#[derive(Debug, Clone)]
pub struct Highlighter {
    matcher: Option<AhoCorasick>,
    /// The wholes with an ideograph, as their word characters only, run over the text's
    /// word characters: `院院长` matches `院，院长` as the literal field does (issue 10).
    /// Its pattern `i` is `patterns[across_base + i]`.
    across: Option<AhoCorasick>,
    across_base: usize,
    patterns: Vec<PatternInfo>,
    /// Groups marked in titles only.
    title_only: u64,
}

/// The query words found in one text, before deciding which parts to mark (that depends
/// on the whole article: see [`HighlightGroup::parts`]).
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// (start, end, pattern), byte offsets in the original text.
    raw: Vec<(usize, usize, usize)>,
    /// Groups whose whole occurs in this text.
    pub wholes: u64,
    /// Groups whose whole occurs in this text's word characters only, with punctuation or
    /// spaces between (`院，院长` for `院院长`).
    pub across: u64,
}

#[derive(Debug, Clone, Default)]
struct PatternInfo {
    /// The first / last byte when it is an ASCII letter or digit: then it must not be glued
    /// to another of its kind in the text (`ai` does not highlight inside `said`).
    latin_start: Option<u8>,
    latin_end: Option<u8>,
    /// The query units it covers (bit per group; a whole covers its group).
    mask: u64,
    /// Groups it is a whole of, and groups it is a part of.
    whole_of: u64,
    part_of: u64,
    /// Groups whose whole it is, as word characters only (a pattern of the second pass).
    across_of: u64,
}

/// Whether a Latin word's edge character `edge` is glued to the text byte `next` beside it:
/// letters to letters or digits to digits (`ai` in `said`), but not a letter to a digit
/// (`iphone` in `iphone15` stands apart, as the analyzer splits it).
fn glued(next: Option<u8>, edge: u8) -> bool {
    next.is_some_and(|b| {
        (b.is_ascii_alphabetic() && edge.is_ascii_alphabetic()) || (b.is_ascii_digit() && edge.is_ascii_digit())
    })
}

/// A highlighted word: byte range in the original text and the query units it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset past the last character.
    pub end: usize,
    /// Query units covered (one bit per group).
    pub mask: u64,
}

fn group_bit(group: usize) -> u64 {
    1u64 << group.min(63)
}

impl Highlighter {
    /// A highlighter for these groups.
    pub fn new(groups: &[HighlightGroup]) -> Self {
        let mut by_text: std::collections::BTreeMap<String, PatternInfo> = std::collections::BTreeMap::new();
        let mut title_only = 0u64;
        for (g, group) in groups.iter().enumerate() {
            let bit = group_bit(g);
            if group.title_only {
                title_only |= bit;
            }
            for whole in group.wholes.iter().filter(|w| !w.trim().is_empty()) {
                let info = by_text.entry(whole.clone()).or_default();
                info.mask |= bit;
                info.whole_of |= bit;
            }
            for part in group.parts.iter().filter(|p| !p.trim().is_empty()) {
                let info = by_text.entry(part.clone()).or_default();
                info.mask |= bit;
                info.part_of |= bit;
            }
        }
        let mut texts = Vec::with_capacity(by_text.len());
        let mut patterns = Vec::with_capacity(by_text.len());
        let mut across_by_text: std::collections::BTreeMap<String, PatternInfo> = std::collections::BTreeMap::new();
        for (text, mut info) in by_text {
            info.latin_start = text.bytes().next().filter(u8::is_ascii_alphanumeric);
            info.latin_end = text.bytes().last().filter(u8::is_ascii_alphanumeric);
            let word_chars = literal::normalize(&text);
            if info.whole_of != 0 && !word_chars.is_ascii() && word_chars.chars().nth(1).is_some() {
                let latin_start = word_chars.bytes().next().filter(u8::is_ascii_alphanumeric);
                let latin_end = word_chars.bytes().last().filter(u8::is_ascii_alphanumeric);
                let across = across_by_text.entry(word_chars).or_default();
                across.mask |= info.whole_of;
                across.across_of |= info.whole_of;
                across.latin_start = latin_start;
                across.latin_end = latin_end;
            }
            texts.push(text);
            patterns.push(info);
        }
        let matcher = build_matcher(&texts);
        let across_base = patterns.len();
        let across_texts: Vec<String> = across_by_text.keys().cloned().collect();
        patterns.extend(across_by_text.into_values());
        Highlighter {
            matcher,
            across: build_matcher(&across_texts),
            across_base,
            patterns,
            title_only,
        }
    }

    /// Finds the query words in a title (`body == false`) or a body.
    pub fn scan(&self, text: &str, body: bool) -> Scan {
        let Some(matcher) = &self.matcher else {
            return Scan::default();
        };
        let folded = fold::fold_text(text);
        let haystack: &str = &folded.text;
        let mut scan = Scan::default();
        for m in matcher.find_iter(haystack) {
            let (start, end, pattern) = (m.start(), m.end(), m.pattern().as_usize());
            if let Some(info) = self.accept(haystack.as_bytes(), start, end, pattern, body) {
                scan.wholes |= info.whole_of;
                scan.raw
                    .push((folded.original_offset(start), folded.original_offset(end), pattern));
            }
        }
        if let Some(across) = &self.across {
            self.scan_across(across, &folded, body, &mut scan);
        }
        scan
    }

    /// The pattern's info when a match of it at `start..end` of `haystack` counts: in a
    /// body only when it is not a title-only unit, a Latin edge never glued to its kind.
    fn accept(&self, haystack: &[u8], start: usize, end: usize, pattern: usize, body: bool) -> Option<&PatternInfo> {
        let info = self.patterns.get(pattern)?;
        if body && info.mask & !self.title_only == 0 {
            return None;
        }
        let before = start.checked_sub(1).and_then(|i| haystack.get(i)).copied();
        if info.latin_start.is_some_and(|first| glued(before, first)) {
            return None;
        }
        if info
            .latin_end
            .is_some_and(|last| glued(haystack.get(end).copied(), last))
        {
            return None;
        }
        Some(info)
    }

    /// Adds the wholes found in the word characters of the text (punctuation and spaces
    /// between them skipped, as the literal field does), then puts the matches of both
    /// passes in order, the longer kept where two overlap.
    fn scan_across(&self, across: &AhoCorasick, folded: &fold::Folded<'_>, body: bool, scan: &mut Scan) {
        let text: &str = &folded.text;
        // The word characters, and for each of their bytes where its character starts and
        // ends in the folded text.
        let mut words = String::with_capacity(text.len());
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(text.len());
        for (i, c) in text.char_indices().filter(|&(_, c)| literal::is_word_char(c)) {
            words.push(c);
            spans.extend(std::iter::repeat_n((i, i + c.len_utf8()), c.len_utf8()));
        }
        if words.len() == text.len() {
            // Nothing skipped: the first pass saw the same text.
            return;
        }
        let before = scan.raw.len();
        for m in across.find_iter(&words) {
            let pattern = self.across_base + m.pattern().as_usize();
            let Some(info) = self.accept(words.as_bytes(), m.start(), m.end(), pattern, body) else {
                continue;
            };
            let (Some(&(start, _)), Some(&(_, end))) = (spans.get(m.start()), spans.get(m.end() - 1)) else {
                continue;
            };
            scan.across |= info.across_of;
            scan.raw
                .push((folded.original_offset(start), folded.original_offset(end), pattern));
        }
        if scan.raw.len() == before {
            return;
        }
        scan.raw.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        let mut kept_end = 0;
        scan.raw.retain(|&(start, end, _)| {
            let keep = start >= kept_end;
            if keep {
                kept_end = end;
            }
            keep
        });
    }

    /// The words to mark from a scan, given the groups whose whole occurs anywhere in the
    /// article as written (`wholes`) and across punctuation (`across`, [`Scan::across`]):
    /// in order, not overlapping, adjacent words merged.
    pub fn hits(&self, text: &str, scan: &Scan, wholes: u64, across: u64) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::with_capacity(scan.raw.len());
        for &(start, end, pattern) in &scan.raw {
            let Some(info) = self.patterns.get(pattern) else {
                continue;
            };
            // A part is marked only for groups whose whole is absent from the article, and a
            // whole across punctuation only where it does not occur as written: 中国 marks
            // 中国, not also the 中，国 of 集中，国家.
            let live_parts = info.part_of & !wholes & !across;
            let live_across = info.across_of & !wholes;
            if info.whole_of == 0 && live_parts == 0 && live_across == 0 {
                continue;
            }
            let mask = info.whole_of | live_parts | live_across;
            // Adjacent words become one mark: `<mark>上海股市</mark>`, not two; so do words
            // a space apart (`<mark>iPhone 15</mark>`).
            let joins = |last: &Hit| {
                last.end == start
                    || text
                        .get(last.end..start)
                        .is_some_and(|gap| gap.len() <= 2 && gap.bytes().all(|b| b == b' '))
            };
            match hits.last_mut() {
                Some(last) if joins(last) => {
                    last.end = end;
                    last.mask |= mask;
                }
                _ => hits.push(Hit { start, end, mask }),
            }
        }
        hits
    }
}

/// A leftmost-longest matcher of `texts`; `None` without texts.
fn build_matcher(texts: &[String]) -> Option<AhoCorasick> {
    if texts.is_empty() {
        return None;
    }
    // A DFA is fastest; past its size limit the automatic choice takes over. That one fails
    // only past u32 patterns or states, which a query's few hundred characters cannot reach
    // (tests: `the_largest_query_gets_a_matcher`); if it ever did, it is logged rather than
    // shown as an unmarked page.
    let build = |kind| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(kind)
            .build(texts)
    };
    match build(Some(AhoCorasickKind::DFA)).or_else(|_| build(None)) {
        Ok(matcher) => Some(matcher),
        Err(e) => {
            tracing::error!(error = %e, patterns = texts.len(), "cannot build the highlight matcher");
            None
        }
    }
}

/// Part of a rendered text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Plain text.
    Text(String),
    /// A query word.
    Mark(String),
    /// Text left out.
    Ellipsis,
}

/// A highlighted text: parts in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlighted {
    /// The parts.
    pub parts: Vec<Part>,
}

impl Highlighted {
    /// HTML: the text escaped, query words in `<mark>`, omissions as `…`.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => escape_html_into(t, &mut out),
                Part::Mark(t) => {
                    out.push_str("<mark>");
                    escape_html_into(t, &mut out);
                    out.push_str("</mark>");
                }
                Part::Ellipsis => out.push('…'),
            }
        }
        out
    }

    /// Plain text with query words between `open` and `close` (ANSI colours, or markers).
    pub fn render(&self, open: &str, close: &str) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Mark(t) => {
                    out.push_str(open);
                    out.push_str(t);
                    out.push_str(close);
                }
                Part::Ellipsis => out.push('…'),
            }
        }
        out
    }

    /// The marked words, in order (tests and debugging).
    pub fn marks(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Mark(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_html_into(text, &mut out);
    out
}

fn escape_html_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// The whole of `text` with `hits` marked.
pub fn mark_all(text: &str, hits: &[Hit]) -> Highlighted {
    let mut out = Highlighted::default();
    push_range(text, 0..text.len(), hits, &mut out);
    out
}

/// Adds `text[range]` with its hits marked. A snippet is one line: a paragraph break
/// becomes a space between Latin text and nothing next to Chinese.
fn push_range(text: &str, range: Range<usize>, hits: &[Hit], out: &mut Highlighted) {
    let mut at = range.start;
    let clean = |s: &str| {
        if !s.contains(['\n', '\r']) {
            return s.to_string();
        }
        let mut out = String::with_capacity(s.len());
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\n' || c == '\r' {
                let before_ascii = out.chars().last().is_none_or(|p| p.is_ascii());
                let after_ascii = chars.peek().is_none_or(|n| n.is_ascii());
                if before_ascii && after_ascii && !out.ends_with(' ') {
                    out.push(' ');
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    for hit in hits.iter().filter(|h| h.start >= range.start && h.end <= range.end) {
        if hit.start > at {
            out.parts.push(Part::Text(clean(&text[at..hit.start])));
        }
        out.parts.push(Part::Mark(clean(&text[hit.start..hit.end])));
        at = hit.end;
    }
    if at < range.end {
        out.parts.push(Part::Text(clean(&text[at..range.end])));
    }
}

/// A clause: a stretch of text ending after a clause or sentence mark.
#[derive(Debug, Clone)]
struct Clause {
    start: usize,
    end: usize,
    chars: usize,
    /// Begins a sentence (text start, after 。！？ or a line end).
    sentence_start: bool,
    /// Ends a sentence.
    sentence_end: bool,
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '\n' | '…')
}

fn is_clause_end(c: char) -> bool {
    matches!(c, '，' | ',' | '、' | '：' | ':')
}

fn is_closing(c: char) -> bool {
    matches!(c, '”' | '’' | '」' | '』' | '）' | ')' | '"' | '】' | '》')
}

fn clauses(text: &str) -> Vec<Clause> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = 0;
    let mut sentence_start = true;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        chars += 1;
        let sentence = is_sentence_end(c);
        if !(sentence || is_clause_end(c)) {
            continue;
        }
        let mut end = i + c.len_utf8();
        // Closing quotes and brackets stay with the clause they close.
        while let Some(&(j, next)) = iter.peek() {
            if !(is_closing(next) || (sentence && is_sentence_end(next))) {
                break;
            }
            end = j + next.len_utf8();
            chars += 1;
            iter.next();
        }
        out.push(Clause {
            start,
            end,
            chars,
            sentence_start,
            sentence_end: sentence,
        });
        start = end;
        chars = 0;
        sentence_start = sentence;
    }
    if start < text.len() {
        out.push(Clause {
            start,
            end: text.len(),
            chars,
            sentence_start,
            sentence_end: true,
        });
    }
    out
}

/// The clauses with each pair a hit spans joined into one: a literal match may run across
/// a comma (`院，院长` for "院院长"), and a window ending between its halves would lose it.
fn keep_hits_whole(clauses: Vec<Clause>, hits: &[Hit]) -> Vec<Clause> {
    let mut out: Vec<Clause> = Vec::with_capacity(clauses.len());
    let mut h = 0;
    for clause in clauses {
        if let Some(last) = out.last_mut() {
            while hits.get(h).is_some_and(|hit| hit.end <= last.end) {
                h += 1;
            }
            if hits.get(h).is_some_and(|hit| hit.start < last.end) {
                last.end = clause.end;
                last.chars += clause.chars;
                last.sentence_end = clause.sentence_end;
                continue;
            }
        }
        out.push(clause);
    }
    out
}

/// The best window of clauses for the `wanted` query units within `budget` characters:
/// (first clause, last clause exclusive, units covered, score). Windows are anchored on a
/// clause with a wanted word, start at the beginning of its sentence when that fits, and
/// extend forward.
fn best_window(
    clauses: &[Clause],
    masks: &[Vec<u64>],
    wanted: u64,
    budget: usize,
) -> Option<(usize, usize, u64, usize)> {
    let mut best: Option<(usize, usize, u64, usize)> = None;
    for anchor in 0..clauses.len() {
        if !masks[anchor].iter().any(|m| m & wanted != 0) {
            continue;
        }
        // Walk back towards the sentence start while the budget allows.
        let mut start = anchor;
        let mut chars = clauses[anchor].chars;
        while !clauses[start].sentence_start && start > 0 && chars + clauses[start - 1].chars <= budget {
            start -= 1;
            chars += clauses[start].chars;
        }
        let mut end = anchor + 1;
        while end < clauses.len() && chars + clauses[end].chars <= budget {
            chars += clauses[end].chars;
            end += 1;
        }
        // End at a sentence end rather than after a stray clause of the next sentence
        // (…聊天。试点如果效果好，…), when that loses no query word.
        if !clauses[end - 1].sentence_end
            && let Some(last) = (anchor..end - 1).rev().find(|&k| clauses[k].sentence_end)
            && masks[last + 1..end].iter().flatten().all(|m| m & wanted == 0)
        {
            end = last + 1;
        }
        let mut covered = 0u64;
        let mut total = 0usize;
        for m in masks[start..end].iter().flatten().filter(|m| *m & wanted != 0) {
            covered |= m & wanted;
            total += 1;
        }
        let score =
            covered.count_ones() as usize * 1000 + total.min(99) * 10 + usize::from(clauses[start].sentence_start);
        if best.is_none_or(|b| score > b.3) {
            best = Some((start, end, covered, score));
        }
    }
    best
}

/// A snippet of `text` around `hits`, at most about `budget` characters.
pub fn snippet_of(text: &str, hits: &[Hit], budget: usize) -> Highlighted {
    let clauses = keep_hits_whole(clauses(text), hits);
    let mut out = Highlighted::default();
    if clauses.is_empty() {
        return out;
    }
    let mut masks: Vec<Vec<u64>> = vec![Vec::new(); clauses.len()];
    let mut c = 0;
    for hit in hits {
        while c + 1 < clauses.len() && clauses[c].end <= hit.start {
            c += 1;
        }
        masks[c].push(hit.mask);
    }
    let found = hits.iter().fold(0u64, |acc, h| acc | h.mask);
    let Some(single) = best_window(&clauses, &masks, found, budget) else {
        // No query word in the text: its opening lines.
        let (i, j) = lead_window(&clauses, budget);
        push_window(text, &clauses, i, j, hits, budget, &mut out);
        return out;
    };
    if single.2 != found
        && let Some(first) = best_window(&clauses, &masks, found, budget / 2)
        && let Some(second) = best_window(&clauses, &masks, found & !first.2, budget / 2)
        && (first.2 | second.2).count_ones() > single.2.count_ones()
        && (second.1 <= first.0 || second.0 >= first.1)
    {
        let (a, b) = if first.0 < second.0 {
            (first, second)
        } else {
            (second, first)
        };
        push_window(text, &clauses, a.0, a.1, hits, budget / 2, &mut out);
        if out.parts.last() != Some(&Part::Ellipsis) {
            out.parts.push(Part::Ellipsis);
        }
        let mut tail = Highlighted::default();
        push_window(text, &clauses, b.0, b.1, hits, budget / 2, &mut tail);
        if tail.parts.first() == Some(&Part::Ellipsis) {
            tail.parts.remove(0);
        }
        out.parts.extend(tail.parts);
        return out;
    }
    push_window(text, &clauses, single.0, single.1, hits, budget, &mut out);
    out
}

fn lead_window(clauses: &[Clause], budget: usize) -> (usize, usize) {
    let mut chars = 0;
    let mut j = 0;
    while j < clauses.len() && (j == 0 || chars + clauses[j].chars <= budget) {
        chars += clauses[j].chars;
        j += 1;
    }
    (0, j)
}

/// Adds clauses `i..j` to `out` with ellipses where text is left out; a single clause
/// longer than the budget is cut around its first hit, never inside a character or a hit.
fn push_window(text: &str, clauses: &[Clause], i: usize, j: usize, hits: &[Hit], budget: usize, out: &mut Highlighted) {
    let mut start = clauses[i].start;
    let mut end = clauses[j - 1].end;
    let chars: usize = clauses[i..j].iter().map(|c| c.chars).sum();
    let mut cut_start = !clauses[i].sentence_start;
    let mut cut_end = !clauses[j - 1].sentence_end;
    if chars > budget {
        let first_hit = hits.iter().find(|h| h.start >= start && h.end <= end);
        let anchor = first_hit.map_or(start, |h| h.start);
        // Start a third of the budget before the first hit, then take `budget` characters.
        let before = text[start..anchor]
            .chars()
            .rev()
            .take(budget / 3)
            .map(char::len_utf8)
            .sum::<usize>();
        let new_start = anchor - before;
        let mut new_end = new_start;
        for (taken, c) in text[new_start..end].chars().enumerate() {
            if taken >= budget {
                break;
            }
            new_end += c.len_utf8();
        }
        // Never cut a highlighted word: move the cuts outside any hit they fall in.
        for h in hits {
            if h.start < new_end && new_end < h.end {
                new_end = h.end;
            }
            if h.start < new_start && new_start < h.end {
                return push_window_at(text, h.start, new_end, hits, true, new_end < end || cut_end, out);
            }
        }
        cut_start |= new_start > start;
        cut_end |= new_end < end;
        start = new_start;
        end = new_end;
    }
    push_window_at(text, start, end, hits, cut_start, cut_end, out);
}

fn push_window_at(
    text: &str,
    start: usize,
    end: usize,
    hits: &[Hit],
    cut_start: bool,
    cut_end: bool,
    out: &mut Highlighted,
) {
    // Leading paragraph breaks and spaces read badly at the start of a snippet.
    let trimmed_start = start + (text[start..end].len() - text[start..end].trim_start().len());
    let trimmed_end = trimmed_start + text[trimmed_start..end].trim_end().len();
    if cut_start {
        out.parts.push(Part::Ellipsis);
    }
    push_range(text, trimmed_start..trimmed_end, hits, out);
    if cut_end {
        out.parts.push(Part::Ellipsis);
    }
}

/// A stored article as a search hit: its title marked, and a snippet of its body of about
/// `chars` characters around the marks (none when `chars` is 0). Every backend makes its
/// hits here, so the same article shows the same marks whichever backend found it.
pub(crate) fn make_hit(stored: Article, score: f32, highlighter: &Highlighter, chars: usize) -> SearchHit {
    let (title_parts, snippet_parts) = if chars == 0 {
        (mark_all(&stored.title, &[]), Highlighted::default())
    } else {
        let title_scan = highlighter.scan(&stored.title, false);
        let body_scan = highlighter.scan(&stored.body, true);
        let wholes = title_scan.wholes | body_scan.wholes;
        let across = title_scan.across | body_scan.across;
        (
            mark_all(
                &stored.title,
                &highlighter.hits(&stored.title, &title_scan, wholes, across),
            ),
            snippet_of(
                &stored.body,
                &highlighter.hits(&stored.body, &body_scan, wholes, across),
                chars,
            ),
        )
    };
    SearchHit {
        title_html: title_parts.to_html(),
        snippet_html: snippet_parts.to_html(),
        id: stored.id,
        url: stored.url,
        title: stored.title,
        date: stored.date.map(format_date),
        tags: stored.tags,
        // Named once the response is complete (SearchResponse::name_categories).
        category_names: Vec::new(),
        categories: stored.categories,
        score,
        copies: None,
        story: None,
        others: None,
        title_parts,
        snippet_parts,
        explain: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_query_gets_a_matcher() {
        use crate::config::{MAX_QUERY_CHARS, MAX_QUERY_TERMS};
        let chars: Vec<char> = ('\u{4e00}'..).take(MAX_QUERY_CHARS).collect();
        let per = MAX_QUERY_CHARS / MAX_QUERY_TERMS;
        let groups: Vec<HighlightGroup> = chars
            .chunks(per)
            .take(MAX_QUERY_TERMS)
            .map(|chunk| HighlightGroup {
                wholes: vec![chunk.iter().collect()],
                parts: chunk.chunks(2).map(|p| p.iter().collect()).collect(),
                title_only: false,
            })
            .collect();
        assert_eq!(groups.len(), MAX_QUERY_TERMS);
        assert!(Highlighter::new(&groups).matcher.is_some());
    }

    /// The words to mark in `text` taken on its own.
    fn find(highlighter: &Highlighter, text: &str) -> Vec<Hit> {
        let scan = highlighter.scan(text, false);
        highlighter.hits(text, &scan, scan.wholes, scan.across)
    }

    fn highlight_all(text: &str, highlighter: &Highlighter) -> Highlighted {
        mark_all(text, &find(highlighter, text))
    }

    fn snippet(text: &str, highlighter: &Highlighter, budget: usize) -> Highlighted {
        snippet_of(text, &find(highlighter, text), budget)
    }

    fn hl(words: &[&str]) -> Highlighter {
        let groups: Vec<HighlightGroup> = words
            .iter()
            .map(|w| HighlightGroup {
                wholes: vec![fold::fold_value(w)],
                parts: Vec::new(),
                title_only: false,
            })
            .collect();
        Highlighter::new(&groups)
    }

    #[test]
    fn parts_are_marked_only_where_the_whole_is_absent() {
        let h = Highlighter::new(&[HighlightGroup {
            wholes: vec!["新能源汽车".into()],
            parts: vec!["新能源".into(), "汽车".into()],
            title_only: false,
        }]);
        assert_eq!(highlight_all("新能源汽车销量与汽车城", &h).marks(), ["新能源汽车"]);
        assert_eq!(highlight_all("融嘉汽车城的新能源展区", &h).marks(), ["汽车", "新能源"]);
    }

    #[test]
    fn marks_are_escaped_text_plus_mark_tags() {
        let title = highlight_all("<script>上海</script>股市", &hl(&["上海"]));
        assert_eq!(title.to_html(), "&lt;script&gt;<mark>上海</mark>&lt;/script&gt;股市");
    }

    #[test]
    fn folded_matches_land_on_the_original_characters() {
        let h = highlight_all("臺灣經濟與ＡＢＣ１２３", &hl(&["台湾", "abc123"]));
        assert_eq!(h.marks(), ["臺灣", "ＡＢＣ１２３"]);
    }

    #[test]
    fn latin_words_match_whole_only() {
        assert_eq!(highlight_all("He said AI is here", &hl(&["ai"])).marks(), ["AI"]);
    }

    #[test]
    fn adjacent_words_make_one_mark() {
        assert_eq!(
            highlight_all("今天上海股市大涨", &hl(&["上海", "股市"])).marks(),
            ["上海股市"]
        );
    }

    #[test]
    fn snippet_is_the_clauses_around_the_words() {
        let text = "第一句话没有关键词。第二句话也没有。这里提到上海股市的表现，非常好。最后一句。";
        let s = snippet(text, &hl(&["上海"]), 20);
        assert_eq!(s.render("[", "]"), "这里提到[上海]股市的表现，非常好。");
    }

    #[test]
    fn far_apart_words_give_two_fragments() {
        let filler = "这是一段很长的没有关键词的文字。".repeat(20);
        let text = format!("开头提到茅台的消息。{filler}结尾说到五粮液的情况。");
        let s = snippet(&text, &hl(&["茅台", "五粮液"]), 40);
        assert_eq!(s.render("[", "]"), "开头提到[茅台]的消息。…结尾说到[五粮液]的情况。");
    }

    #[test]
    fn a_long_clause_is_cut_without_splitting_a_mark() {
        let text = format!("{}上海{}", "字".repeat(100), "文".repeat(100));
        let s = snippet(&text, &hl(&["上海"]), 30);
        let rendered = s.render("[", "]");
        assert!(rendered.starts_with('…') && rendered.ends_with('…'), "{rendered}");
        assert!(rendered.contains("[上海]"));
        assert!(rendered.chars().count() <= 36, "{rendered}");
    }

    #[test]
    fn issue_10_a_literal_across_punctuation_is_marked_whole() {
        let h = Highlighter::new(&[HighlightGroup {
            wholes: vec!["院院长".into()],
            parts: vec!["院长".into()],
            title_only: false,
        }]);
        assert_eq!(highlight_all("国务院，院长李强主持会议", &h).marks(), ["院，院长"]);
        assert_eq!(highlight_all("國務院、院長", &h).marks(), ["院、院長"]);
        // Where the whole is absent, its part is marked alone, as before.
        assert_eq!(highlight_all("市长和院长", &h).marks(), ["院长"]);
        assert_eq!(highlight_all("法院院长与学院院长", &h).marks(), ["院院长", "院院长"]);
        // Where it occurs as written, the occurrences across punctuation are not marked.
        assert_eq!(highlight_all("法院院长说，国务院，院长", &h).marks(), ["院院长"]);
        assert_eq!(highlight_all("集中，国家与中国", &hl(&["中国"])).marks(), ["中国"]);
    }

    #[test]
    fn issue_10_a_snippet_keeps_a_mark_across_a_clause_end() {
        let filler = "这是一段没有关键词的文字。".repeat(5);
        let text = format!("{filler}会议由国务院，院长主持，研究了有关问题。{filler}");
        let s = snippet(&text, &hl(&["院院长"]), 20);
        assert_eq!(s.render("[", "]"), "会议由国务[院，院长]主持，研究了有关问题。");
        // The window would end at the comma inside the mark: the mark is kept whole.
        let s = snippet("开头。国务院，院长。结尾。", &hl(&["院院长"]), 5);
        assert_eq!(s.render("[", "]"), "…务[院，院长]…");
    }

    #[test]
    fn issue_10_latin_words_are_not_joined_across_spaces_by_the_literal_pass() {
        // Only wholes with an ideograph are looked for across punctuation.
        assert_eq!(highlight_all("a, i and ai", &hl(&["ai"])).marks(), ["ai"]);
        assert_eq!(highlight_all("今天B A股大涨", &hl(&["a股"])).marks(), ["A股"]);
    }

    #[test]
    fn no_match_gives_the_opening() {
        let s = snippet("第一句。第二句。", &hl(&["无关"]), 120);
        assert_eq!(s.render("[", "]"), "第一句。第二句。");
    }
}
