//! Character folding shared by the analyzer, the snippet matcher and exact-value fields:
//! full-width to half-width, traditional to simplified, and case.
//!
//! Every fold maps one character to one character, so a folded text has the same characters
//! at the same character positions as the original: offsets found in the folded text point
//! at the article's own characters. Segmentation runs on [`fold_for_segmenting`] (no case
//! folding, so dictionary words such as `A股` and `T恤` stay whole); token texts and
//! highlight matching use the case-folded form.

use std::sync::LazyLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;

/// Traditional characters that OpenCC would simplify but that simplified news text uses
/// in their own right (乾隆, 哪吒, 蒜薹, personal and place names). They were found by
/// running the conversion over 97 million characters of simplified news: folding them
/// would merge distinct words, so they are left alone.
const KEEP_AS_IS: &str = "乾昇吒崑灃濛闇薹";

/// One entry a Basic Multilingual Plane code point: the character it folds to before
/// segmentation. Characters outside the BMP fold to themselves.
struct FoldTable {
    segment: Box<[u16]>,
}

static TABLE: LazyLock<FoldTable> = LazyLock::new(FoldTable::build);

impl FoldTable {
    fn build() -> Self {
        let mut segment: Box<[u16]> = (0..=u16::MAX).collect();
        // Full-width ASCII variants (！ to ～) fold to their ASCII forms.
        for cp in 0xFF01u32..=0xFF5E {
            segment[cp as usize] = (cp - 0xFEE0) as u16;
        }
        segment[0x3000] = u16::from(b' ');
        segment[0x00A0] = u16::from(b' ');
        // OpenCC's embedded t2s tables load in microseconds; failing to load them is a
        // packaging bug, and search still works (without the fold) if it ever happens.
        if let Ok(converter) = OpenCC::from_config(BuiltinConfig::T2s) {
            let mut buf = String::with_capacity(4);
            let ranges = [0x3400u32..0xA000, 0xF900..0xFB00];
            for cp in ranges.into_iter().flatten() {
                let Some(c) = char::from_u32(cp) else { continue };
                if KEEP_AS_IS.contains(c) {
                    continue;
                }
                buf.clear();
                buf.push(c);
                let out = converter.convert(&buf);
                let mut chars = out.chars();
                if let (Some(s), None) = (chars.next(), chars.next()) {
                    // A target outside the BMP would change the byte layout and is a rare
                    // character nobody types: keep the original.
                    if s != c && (s as u32) <= 0xFFFF {
                        segment[cp as usize] = s as u16;
                    }
                }
            }
        }
        FoldTable { segment }
    }
}

/// Forces the folding table to be built now, so the first query does not pay for it.
pub fn warm_up() {
    LazyLock::force(&TABLE);
}

/// Folds one character for segmentation: width and traditional → simplified, not case.
#[inline]
pub fn fold_char(c: char) -> char {
    let cp = c as u32;
    if cp < 0x80 {
        return c;
    }
    if cp <= 0xFFFF {
        let folded = TABLE.segment[cp as usize];
        // Surrogate code points never occur in a `char`, so the table maps every
        // valid BMP character to a valid one.
        return char::from_u32(u32::from(folded)).unwrap_or(c);
    }
    c
}

/// Lower-cases a character when its lower case is a single character; others stay.
#[inline]
pub fn lower_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Folds one character completely: width, traditional → simplified, and case.
#[inline]
pub fn fold_full(c: char) -> char {
    lower_char(fold_char(c))
}

/// Text folded for segmentation, with a way back to the original byte offsets.
#[derive(Debug, Clone)]
pub struct Folded<'a> {
    /// The folded text (same characters count as the original).
    pub text: std::borrow::Cow<'a, str>,
    /// For each byte offset of `text` that starts a character (and its end), the byte
    /// offset in the original; `None` when every character kept its UTF-8 length.
    offsets: Option<Vec<u32>>,
}

impl Folded<'_> {
    /// The byte offset in the original text of byte offset `folded` of the folded text.
    #[inline]
    pub fn original_offset(&self, folded: usize) -> usize {
        match &self.offsets {
            None => folded,
            Some(map) => map.get(folded).map_or(folded, |&o| o as usize),
        }
    }
}

/// Folds `text` for segmentation (width, traditional → simplified; case untouched).
pub fn fold_for_segmenting(text: &str) -> Folded<'_> {
    fold_with(text, fold_char)
}

/// Folds `text` for matching (width, traditional → simplified, and case).
pub fn fold_for_matching(text: &str) -> Folded<'_> {
    fold_with(text, fold_full)
}

fn fold_with(text: &str, fold: fn(char) -> char) -> Folded<'_> {
    // Most news text needs no change at all: find the first character that does, and
    // borrow the input when there is none.
    let Some(first) = text.char_indices().find(|&(_, c)| fold(c) != c).map(|(i, _)| i) else {
        return Folded {
            text: std::borrow::Cow::Borrowed(text),
            offsets: None,
        };
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..first]);
    let mut offsets: Option<Vec<u32>> = None;
    for (i, c) in text[first..].char_indices() {
        let i = first + i;
        let f = fold(c);
        if offsets.is_none() && f.len_utf8() != c.len_utf8() {
            // From here on the layouts differ: record the original offset of every
            // folded byte so far (identical up to this point).
            let mut map = Vec::with_capacity(text.len() + 1);
            map.extend((0..=out.len()).map(|o| o as u32));
            map.pop();
            offsets = Some(map);
        }
        if let Some(map) = offsets.as_mut() {
            for _ in 0..f.len_utf8() {
                map.push(i as u32);
            }
        }
        out.push(f);
    }
    if let Some(map) = offsets.as_mut() {
        map.push(text.len() as u32);
    }
    Folded {
        text: std::borrow::Cow::Owned(out),
        offsets,
    }
}

/// Folds a short value completely (tags, categories, query words): trimmed, width, script
/// and case folded, inner whitespace runs collapsed to one space.
pub fn fold_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value.split(|c: char| fold_char(c).is_whitespace()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().map(fold_full));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_letters_and_digits_fold_to_ascii() {
        let folded = fold_for_matching("ＡＢＣ１２３ 上涨");
        assert_eq!(folded.text, "abc123 上涨");
        // "上" starts at byte 19 of the original and byte 7 of the folded text.
        assert_eq!(folded.original_offset(7), 19);
        assert_eq!(folded.original_offset(folded.text.len()), "ＡＢＣ１２３ 上涨".len());
    }

    #[test]
    fn traditional_folds_to_simplified_without_changing_offsets() {
        let folded = fold_for_segmenting("臺灣經濟發展");
        assert_eq!(folded.text, "台湾经济发展");
        assert_eq!(folded.original_offset(6), 6);
    }

    #[test]
    fn simplified_text_is_borrowed_unchanged() {
        let folded = fold_for_segmenting("贵州茅台600519 A股");
        assert!(matches!(folded.text, std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn characters_valid_in_simplified_text_are_kept() {
        assert_eq!(fold_for_segmenting("乾隆 哪吒 蒜薹").text, "乾隆 哪吒 蒜薹");
    }

    #[test]
    fn segmenting_keeps_case_matching_lowers_it() {
        assert_eq!(fold_for_segmenting("A股").text, "A股");
        assert_eq!(fold_for_matching("A股 ＮＯ.1").text, "a股 no.1");
    }

    #[test]
    fn values_are_trimmed_and_collapsed() {
        assert_eq!(fold_value("  新能源　汽车 "), "新能源 汽车");
        assert_eq!(fold_value("Ａ股"), "a股");
    }
}
