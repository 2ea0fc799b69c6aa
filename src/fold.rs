//! Character folding shared by the analyzer, the snippet matcher and exact-value fields:
//! full-width letters and digits to ASCII, traditional to simplified, and case.
//!
//! Every fold maps one character to one character, so a folded text has the same
//! characters at the same character positions as the original: offsets found in the
//! folded text point at the article's own characters. Full-width punctuation is left
//! alone (but for `％` and `．`, which numbers are written with: `6.2％` is `6.2%`): it
//! makes no tokens, and keeping it keeps most Chinese text byte-for-byte the same, so
//! folding costs no copy and no offset map.

use std::borrow::Cow;
use std::sync::LazyLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;

/// Traditional characters that OpenCC would simplify but that simplified news text uses
/// in their own right (乾隆, 哪吒, 蒜薹, personal and place names). They were found by
/// running the conversion over 97 million characters of simplified news: folding them
/// would merge distinct words, so they are left alone.
const KEEP_AS_IS: &str = "乾昇吒崑灃濛闇薹";

/// For each Basic Multilingual Plane code point, what it folds to: `script` without
/// case folding (query syntax), `full` with it. Characters outside the BMP stay.
struct FoldTable {
    script: Box<[u16]>,
    full: Box<[u16]>,
    /// One bit per BMP code point: does `full` change it? 8 KB that stay in cache, so the
    /// scan of a text that needs no folding (most news) never touches the 128 KB tables.
    changes: Box<[u64]>,
    /// Why OpenCC's table could not be loaded, if it could not: see [`check`].
    t2s_error: Option<String>,
}

static TABLE: LazyLock<FoldTable> = LazyLock::new(FoldTable::build);

impl FoldTable {
    fn build() -> Self {
        let mut script: Box<[u16]> = (0..=u16::MAX).collect();
        // Full-width digits and letters (０-９, Ａ-Ｚ, ａ-ｚ) fold to ASCII.
        for cp in (0xFF10u32..=0xFF19).chain(0xFF21..=0xFF3A).chain(0xFF41..=0xFF5A) {
            script[cp as usize] = (cp - 0xFEE0) as u16;
        }
        // …and so do the full-width percent sign and full stop, which news writes inside
        // numbers (6.2％, ３．５): `6.2％` must meet `6.2%` (issue 10).
        for cp in [0xFF05u32, 0xFF0E] {
            script[cp as usize] = (cp - 0xFEE0) as u16;
        }
        // OpenCC's embedded t2s tables load in microseconds; failing to load them is a
        // packaging bug. Tokens would then differ under the same analyzer version, so
        // [`check`] turns it into an error for every index opened or created.
        let converter = OpenCC::from_config(BuiltinConfig::T2s);
        let t2s_error = converter.as_ref().err().map(|e| e.to_string());
        if let Ok(converter) = converter {
            let mut buf = String::with_capacity(4);
            for cp in (0x3400u32..0xA000).chain(0xF900..0xFB00) {
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
                        script[cp as usize] = s as u16;
                    }
                }
            }
        }
        let full: Box<[u16]> = script
            .iter()
            .map(|&f| {
                let c = char::from_u32(u32::from(f)).unwrap_or(' ');
                let mut lower = c.to_lowercase();
                match (lower.next(), lower.next()) {
                    // Only one-for-one lower cases of the same UTF-8 length keep offsets.
                    (Some(l), None) if (l as u32) <= 0xFFFF && l.len_utf8() == c.len_utf8() => l as u16,
                    _ => f,
                }
            })
            .collect();
        let mut changes = vec![0u64; 1024].into_boxed_slice();
        for (cp, &f) in full.iter().enumerate() {
            if usize::from(f) != cp {
                changes[cp / 64] |= 1 << (cp % 64);
            }
        }
        FoldTable {
            script,
            full,
            changes,
            t2s_error,
        }
    }
}

/// Whether every fold is available: an error naming the cause when OpenCC's
/// traditional → simplified table could not be loaded, so no index is built or searched
/// with a fold that differs from the one its analyzer version promises.
pub fn check() -> Result<(), String> {
    match &TABLE.t2s_error {
        None => Ok(()),
        Some(e) => Err(format!("the traditional → simplified table cannot be loaded ({e})")),
    }
}

/// Forces the folding tables to be built now, so the first query does not pay for it.
pub fn warm_up() {
    LazyLock::force(&TABLE);
}

#[inline]
fn lookup(table: &[u16], c: char) -> char {
    let cp = c as u32;
    match table.get(cp as usize) {
        // Surrogates never occur in a `char`, so the table maps every BMP character to a
        // valid one; the fallback only guards against a corrupt table.
        Some(&f) => char::from_u32(u32::from(f)).unwrap_or(c),
        None => c,
    }
}

/// Folds one character's width and script, not its case (query syntax characters).
#[inline]
pub fn fold_char(c: char) -> char {
    if c.is_ascii() { c } else { lookup(&TABLE.script, c) }
}

/// Folds one character completely: width, traditional → simplified, and case.
#[inline]
pub fn fold_full(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        lookup(&TABLE.full, c)
    }
}

/// A folded text, with a way back to the original byte offsets.
#[derive(Debug, Clone)]
pub struct Folded<'a> {
    /// The folded text (as many characters as the original).
    pub text: Cow<'a, str>,
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

/// Whether `fold_full` changes `c`, from the bitmap.
#[inline]
fn changes(table: &FoldTable, c: char) -> bool {
    let cp = c as usize;
    match table.changes.get(cp / 64) {
        Some(bits) => bits & (1 << (cp % 64)) != 0,
        None => false,
    }
}

/// Folds `text` completely (what the analyzer segments and the highlighter searches).
pub fn fold_text(text: &str) -> Folded<'_> {
    // Most news text needs no change at all: find the first character that does, and
    // borrow the input when there is none.
    let table = &*TABLE;
    let Some(first) = text.char_indices().find(|&(_, c)| changes(table, c)).map(|(i, _)| i) else {
        return Folded {
            text: Cow::Borrowed(text),
            offsets: None,
        };
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..first]);
    let mut offsets: Option<Vec<u32>> = None;
    for (i, c) in text[first..].char_indices() {
        let i = first + i;
        let f = fold_full(c);
        if offsets.is_none() && f.len_utf8() != c.len_utf8() {
            // From here on the layouts differ: record the original offset of every folded
            // byte so far (identical up to this point).
            let mut map = Vec::with_capacity(text.len() + 1);
            map.extend((0..out.len()).map(|o| o as u32));
            offsets = Some(map);
        }
        if let Some(map) = offsets.as_mut() {
            map.extend(std::iter::repeat_n(i as u32, f.len_utf8()));
        }
        out.push(f);
    }
    if let Some(map) = offsets.as_mut() {
        map.push(text.len() as u32);
    }
    Folded {
        text: Cow::Owned(out),
        offsets,
    }
}

/// Folds a short value completely (tags, categories, query words): trimmed, width, script
/// and case folded, inner whitespace runs collapsed to one space.
pub fn fold_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value.split(char::is_whitespace) {
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
    fn the_traditional_table_is_loaded() {
        assert_eq!(check(), Ok(()));
        assert_eq!(fold_char('們'), '们');
    }

    #[test]
    fn full_width_letters_and_digits_fold_to_ascii() {
        let folded = fold_text("ＡＢＣ１２３ 上涨");
        assert_eq!(folded.text, "abc123 上涨");
        // "上" starts at byte 19 of the original and byte 7 of the folded text.
        assert_eq!(folded.original_offset(7), 19);
        assert_eq!(folded.original_offset(folded.text.len()), "ＡＢＣ１２３ 上涨".len());
    }

    #[test]
    fn traditional_folds_to_simplified_without_changing_offsets() {
        let folded = fold_text("臺灣經濟發展");
        assert_eq!(folded.text, "台湾经济发展");
        assert_eq!(folded.original_offset(6), 6);
    }

    #[test]
    fn simplified_text_is_borrowed_unchanged() {
        let folded = fold_text("贵州茅台600519，a股（涨停）：");
        assert!(matches!(folded.text, Cow::Borrowed(_)));
    }

    #[test]
    fn characters_valid_in_simplified_text_are_kept() {
        assert_eq!(fold_text("乾隆 哪吒 蒜薹").text, "乾隆 哪吒 蒜薹");
    }

    #[test]
    fn case_is_folded_and_punctuation_kept() {
        assert_eq!(fold_text("A股 ＮＯ.1，Ä").text, "a股 no.1，ä");
        assert_eq!(fold_char('Ａ'), 'A');
    }

    #[test]
    fn issue_10_full_width_percent_and_point_fold_like_ascii() {
        let folded = fold_text("增长６．２％，");
        assert_eq!(folded.text, "增长6.2%，");
        // "，" starts at byte 18 of the original and byte 10 of the folded text.
        assert_eq!(folded.original_offset(10), 18);
    }

    #[test]
    fn values_are_trimmed_and_collapsed() {
        assert_eq!(fold_value("  新能源\u{3000}汽车 "), "新能源 汽车");
        assert_eq!(fold_value("Ａ股"), "a股");
    }
}
