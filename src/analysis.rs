//! The Chinese analyzer: folding, jieba-rs segmentation and token positions, one
//! implementation for index time and query time, registered on every index we open.
//!
//! What it does to a text:
//! 1. folds it character by character ([`crate::fold`]): full-width → half-width,
//!    traditional → simplified, upper → lower case, so `ＡＢＣ１２３`, `臺灣` and `A股` meet
//!    `abc123`, `台湾` and `a股` (the dictionary has the lower-case forms of its words);
//! 2. segments the folded text with jieba-rs in search mode **without the HMM**: words
//!    come only from the dictionary, so a name jieba does not know (宏瑞通) is cut into
//!    the same single characters in every article and every query, and a query finds it as
//!    a phrase of those characters. With the HMM, the same unknown name is joined or split
//!    depending on its neighbours, and a query typed alone misses the articles where it
//!    was cut otherwise;
//! 3. keeps only tokens that contain a letter, digit or ideograph (no punctuation or
//!    whitespace tokens), and splits mixed Latin tokens (`iphone15` → also `iphone`, `15`);
//! 4. reports offsets in **bytes of the original text** (what highlighting slices with)
//!    and positions in **characters, not counting whitespace**: a sub-word sits at the
//!    position of its first character, so a phrase matches whichever way jieba cut it, and
//!    `iPhone 15` and `iPhone15` are the same phrase;
//! 5. emits tokens in offset order, a word before the shorter words inside it.

use std::sync::{Arc, LazyLock};

use jieba_rs::Jieba;
use tantivy::Index;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::fold;

/// The name the analyzer is registered under in every index.
pub const TOKENIZER: &str = "xinwen_zh";

/// Whether jieba's HMM guesses words outside the dictionary: no, see the module doc.
const USE_HMM: bool = false;

/// A Latin/digit token longer than this is split at letter/digit boundaries.
const MIN_MIXED_SPLIT_LEN: usize = 3;

static DEFAULT_JIEBA: LazyLock<Arc<Jieba>> = LazyLock::new(|| Arc::new(new_jieba()));

/// Lower-case forms of the default dictionary's words with upper-case letters (`a股`).
const LOWERCASE_WORDS: &str = include_str!("data/jieba_lowercase.txt");

/// jieba's default dictionary, plus the lower-case forms text is segmented in.
pub fn new_jieba() -> Jieba {
    let mut jieba = Jieba::new();
    for line in LOWERCASE_WORDS.lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.split_whitespace();
        if let Some(word) = parts.next() {
            let freq = parts.next().and_then(|f| f.parse().ok());
            jieba.add_word(word, freq, parts.next());
        }
    }
    jieba
}

/// One token of an analysed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The folded, lower-cased token text (what the index stores).
    pub text: String,
    /// Byte offset of the token's first character in the original text.
    pub start: usize,
    /// Byte offset just past the token's last character in the original text.
    pub end: usize,
    /// Position: characters before the token, not counting whitespace.
    pub position: usize,
    /// Length in characters, not counting whitespace.
    pub chars: usize,
    /// True for a word of the main segmentation; false for a shorter word inside one.
    pub main: bool,
}

/// The analyzer: a jieba dictionary plus the rules above. Cheap to clone.
#[derive(Clone)]
pub struct ChineseAnalyzer {
    jieba: Arc<Jieba>,
}

impl std::fmt::Debug for ChineseAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChineseAnalyzer").finish_non_exhaustive()
    }
}

impl Default for ChineseAnalyzer {
    fn default() -> Self {
        ChineseAnalyzer {
            jieba: Arc::clone(&DEFAULT_JIEBA),
        }
    }
}

impl ChineseAnalyzer {
    /// An analyzer over a custom jieba instance (the default dictionary plus user words).
    pub fn with_jieba(jieba: Jieba) -> Self {
        ChineseAnalyzer { jieba: Arc::new(jieba) }
    }

    /// Loads the dictionary and folding table now rather than on the first text.
    pub fn warm_up(&self) {
        fold::warm_up();
        let _ = self.analyze("预热");
    }

    /// Whether the dictionary knows `word` (folded form).
    pub fn knows(&self, word: &str) -> bool {
        self.jieba.has_word(word)
    }

    /// Analyses `text` into pieces in offset order (see the module doc).
    pub fn analyze(&self, text: &str) -> Vec<Piece> {
        let folded = fold::fold_text(text);
        let mut spans = Vec::new();
        self.spans(&folded, &mut spans);
        spans
            .iter()
            .map(|s| Piece {
                text: folded.text[s.folded.clone()].to_string(),
                start: s.start,
                end: s.end,
                position: s.position,
                chars: s.chars,
                main: s.main,
            })
            .collect()
    }

    /// The token spans of a folded text, in offset order: the whole analysis but for the
    /// token texts, which callers cut from the folded text (no allocation per token).
    fn spans(&self, folded: &fold::Folded<'_>, spans: &mut Vec<Span>) {
        spans.clear();
        let mut words = self.jieba.cut_for_search(&folded.text, USE_HMM);
        put_in_offset_order(&mut words);
        let mut whitespace = 0usize;
        let mut main_end = 0usize;
        let mut latin_words = 0usize;
        for w in &words {
            let Some(first) = w.word.chars().next() else { continue };
            if first.is_whitespace() {
                // jieba emits whitespace one character (or one "\r\n") at a time.
                whitespace += w.end - w.start;
                main_end = main_end.max(w.byte_end);
                continue;
            }
            let main = w.byte_start >= main_end;
            if main {
                main_end = w.byte_end;
            }
            // Punctuation comes one character at a time; a longer token is a word unless it
            // is all punctuation (jieba keeps `.net`, `C++` together with their symbols).
            if !is_word_char(first) && (w.end - w.start == 1 || !w.word.chars().any(is_word_char)) {
                continue;
            }
            let span = Span {
                folded: w.byte_start..w.byte_end,
                start: folded.original_offset(w.byte_start),
                end: folded.original_offset(w.byte_end),
                position: w.start - whitespace,
                chars: w.end - w.start,
                main,
            };
            let ascii = first.is_ascii() && w.word.is_ascii();
            latin_words += usize::from(main && ascii);
            let position = span.position;
            spans.push(span);
            if main && ascii && w.word.len() > MIN_MIXED_SPLIT_LEN {
                push_mixed_parts(w.word, w.byte_start, position, folded, spans);
            }
        }
        if latin_words > 0 {
            join_compounds(folded, spans);
        }
    }

    /// A tantivy tokenizer over this analyzer.
    pub fn tokenizer(&self) -> ChineseTokenizer {
        ChineseTokenizer {
            analyzer: self.clone(),
            spans: Vec::new(),
        }
    }

    /// Registers this analyzer under [`TOKENIZER`]; called on create and on every open,
    /// since tantivy does not persist tokenizers.
    pub fn register(&self, index: &Index) {
        index.tokenizers().register(TOKENIZER, self.tokenizer());
        index
            .tokenizers()
            .register(crate::literal::TOKENIZER, crate::literal::LiteralTokenizer::default());
    }
}

/// Search mode emits the short words inside a long word before the long word; highlighting
/// and phrase positions want offset order, the long word first. Each long word comes right
/// after its short words, so one backward pass finds the groups and only the few short
/// words of each group need sorting (a full sort cost more than the rest of the analysis).
fn put_in_offset_order(words: &mut [jieba_rs::Token<'_>]) {
    let mut end = words.len();
    while end > 0 {
        let main = end - 1;
        let (start_byte, end_byte) = (words[main].byte_start, words[main].byte_end);
        let mut first = main;
        while first > 0 && words[first - 1].byte_start >= start_byte && words[first - 1].byte_end <= end_byte {
            first -= 1;
        }
        if first < main {
            let group = &mut words[first..end];
            // The long word first, then its short words by start (longer first).
            group.rotate_right(1);
            group[1..].sort_unstable_by_key(|w| (w.byte_start, std::cmp::Reverse(w.byte_end)));
        }
        end = first;
    }
}

/// Latin and digit words joined by a connector (`00700.HK`, `3.5`, `NO.1`, `WES-5.4.5`) or
/// followed by `%` (`3.5%`) also become one word, spanning them, of which they are parts.
/// Without the HMM jieba cuts `3.5` into `3` `.` `5`, and a phrase of the parts would
/// also match `3月5日`: the whole word keeps a number a number.
fn join_compounds(folded: &fold::Folded<'_>, spans: &mut Vec<Span>) {
    let text: &str = &folded.text;
    let is_part = |s: &Span| {
        s.main
            && text
                .get(s.folded.clone())
                .is_some_and(|t| t.bytes().all(|b| b.is_ascii_alphanumeric()))
    };
    let mains: Vec<usize> = (0..spans.len()).filter(|&i| spans[i].main).collect();
    let mut compounds: Vec<(usize, Vec<Span>)> = Vec::new();
    let mut k = 0;
    while k < mains.len() {
        if !is_part(&spans[mains[k]]) {
            k += 1;
            continue;
        }
        let mut end = k;
        while end + 1 < mains.len()
            && is_part(&spans[mains[end + 1]])
            && matches!(
                text.get(spans[mains[end]].folded.end..spans[mains[end + 1]].folded.start),
                Some("." | "-" | "_" | "/" | ":" | "+" | "&")
            )
        {
            end += 1;
        }
        let (first, last) = (&spans[mains[k]], &spans[mains[end]]);
        let percent = text.get(last.folded.end..).is_some_and(|rest| rest.starts_with('%'));
        if end > k || percent {
            let whole = |folded_end: usize| Span {
                folded: first.folded.start..folded_end,
                start: first.start,
                end: folded.original_offset(folded_end),
                position: first.position,
                chars: text
                    .get(first.folded.start..folded_end)
                    .map_or(0, |t| t.chars().count()),
                main: true,
            };
            let mut new = vec![whole(last.folded.end + usize::from(percent))];
            if percent && end > k {
                let mut without = whole(last.folded.end);
                without.main = false;
                new.push(without);
            }
            compounds.push((mains[k], new));
            for &m in &mains[k..=end] {
                spans[m].main = false;
            }
        }
        k = end + 1;
    }
    // Insert each compound before its first part (offset order: the longer word first).
    for (at, new) in compounds.into_iter().rev() {
        spans.splice(at..at, new);
    }
}

/// Whether a character can make a token: a letter, digit or ideograph. The common
/// ranges are decided without the Unicode tables, which cost more than jieba per token.
#[inline]
pub(crate) fn is_word_char(c: char) -> bool {
    match c as u32 {
        0..=0x7F => c.is_ascii_alphanumeric(),
        // CJK punctuation, symbols, and full-width punctuation.
        0x3000..=0x303F | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 => false,
        // CJK ideographs (extension A and the main block), kana, Hangul syllables.
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0x3040..=0x30FF | 0xAC00..=0xD7A3 => true,
        _ => c.is_alphanumeric(),
    }
}

/// For a Latin/digit token such as `iphone15` or `gpt4o`, adds its letter and digit runs of
/// two or more characters as sub-words, so `iPhone15` is found by `iPhone 15` and `15`.
fn push_mixed_parts(word: &str, byte_start: usize, position: usize, folded: &fold::Folded<'_>, out: &mut Vec<Span>) {
    let bytes = word.as_bytes();
    if !(bytes.iter().any(u8::is_ascii_alphabetic) && bytes.iter().any(u8::is_ascii_digit)) {
        return;
    }
    let mut run_start = 0;
    for i in 1..=bytes.len() {
        let boundary = i == bytes.len() || bytes[i].is_ascii_digit() != bytes[run_start].is_ascii_digit();
        if !boundary {
            continue;
        }
        let run = &word[run_start..i];
        if run.len() >= 2 && run.len() < word.len() && run.bytes().all(|b| b.is_ascii_alphanumeric()) {
            out.push(Span {
                folded: byte_start + run_start..byte_start + i,
                start: folded.original_offset(byte_start + run_start),
                end: folded.original_offset(byte_start + i),
                position: position + run_start,
                chars: run.len(),
                main: false,
            });
        }
        run_start = i;
    }
}

/// A token without its text: where it is in the folded and the original text.
#[derive(Debug, Clone)]
struct Span {
    folded: std::ops::Range<usize>,
    start: usize,
    end: usize,
    position: usize,
    chars: usize,
    main: bool,
}

/// The tantivy face of [`ChineseAnalyzer`].
#[derive(Clone)]
pub struct ChineseTokenizer {
    analyzer: ChineseAnalyzer,
    spans: Vec<Span>,
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = ChineseTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ChineseTokenStream<'a> {
        let folded = fold::fold_text(text);
        self.analyzer.spans(&folded, &mut self.spans);
        ChineseTokenStream {
            folded,
            spans: &self.spans,
            next: 0,
            token: Token::default(),
        }
    }
}

/// Token stream over the spans of one text.
pub struct ChineseTokenStream<'a> {
    folded: fold::Folded<'a>,
    spans: &'a [Span],
    next: usize,
    token: Token,
}

impl TokenStream for ChineseTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(span) = self.spans.get(self.next) else {
            return false;
        };
        self.next += 1;
        self.token.offset_from = span.start;
        self.token.offset_to = span.end;
        self.token.position = span.position;
        self.token.position_length = span.chars.max(1);
        self.token.text.clear();
        self.token
            .text
            .push_str(self.folded.text.get(span.folded.clone()).unwrap_or_default());
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        ChineseAnalyzer::default()
            .analyze(text)
            .into_iter()
            .map(|p| p.text)
            .collect()
    }

    /// Every piece's offsets slice the original text to the piece before folding.
    fn assert_offsets_slice_original(text: &str) {
        for piece in ChineseAnalyzer::default().analyze(text) {
            let original = &text[piece.start..piece.end];
            let refolded: String = original.chars().map(fold::fold_full).collect();
            assert_eq!(refolded, piece.text, "piece {piece:?} of {text:?}");
        }
    }

    #[test]
    fn long_word_comes_before_the_words_inside_it() {
        let pieces = ChineseAnalyzer::default().analyze("中国科学院");
        let got: Vec<(&str, usize, bool)> = pieces.iter().map(|p| (p.text.as_str(), p.position, p.main)).collect();
        assert_eq!(
            got,
            [
                ("中国科学院", 0, true),
                ("中国", 0, false),
                ("科学院", 2, false),
                ("科学", 2, false),
                ("学院", 3, false)
            ]
        );
    }

    #[test]
    fn offsets_are_bytes_of_the_original() {
        let pieces = ChineseAnalyzer::default().analyze("今天，上海股市上涨");
        let shanghai = pieces.iter().find(|p| p.text == "上海").expect("上海 is a token");
        assert_eq!((shanghai.start, shanghai.end), (9, 15));
        assert_eq!(shanghai.position, 3);
        for text in [
            "今天，上海股市上涨3.5%",
            "苹果iPhone 15发布，５Ｇ手机",
            "ＡＢＣ１２３和臺灣經濟",
            "A股NO.1 00700.HK\r\n中国",
        ] {
            assert_offsets_slice_original(text);
        }
    }

    #[test]
    fn punctuation_and_whitespace_make_no_tokens() {
        assert_eq!(texts("“你好”，世界！ …… \r\n"), ["你好", "世界"]);
        assert!(texts("，。！？、 \t\n——").is_empty());
    }

    #[test]
    fn full_width_and_case_fold() {
        assert_eq!(texts("ＡＢＣ１２３"), ["abc123", "abc", "123"]);
        assert_eq!(texts("GDP增长"), ["gdp", "增长"]);
    }

    #[test]
    fn mixed_tokens_stay_searchable() {
        assert_eq!(texts("A股"), ["a股"]);
        assert_eq!(texts("5G手机"), ["5g", "手机"]);
        assert_eq!(texts("贵州茅台600519"), ["贵州", "茅台", "600519"]);
        assert_eq!(texts("1688平台"), ["1688", "平台"]);
        assert_eq!(texts("NO.1"), ["no.1", "no", "1"]);
        assert_eq!(texts("上调至3.5%"), ["上调", "至", "3.5%", "3.5", "3", "5"]);
        assert_eq!(texts("3月5日"), ["3", "月", "5", "日"]);
        assert_eq!(texts("iPhone15"), ["iphone15", "iphone", "15"]);
    }

    #[test]
    fn whitespace_does_not_count_in_positions() {
        let spaced = ChineseAnalyzer::default().analyze("iPhone 15");
        let joined = ChineseAnalyzer::default().analyze("iPhone15");
        let pos = |pieces: &[Piece], t: &str| pieces.iter().find(|p| p.text == t).map(|p| p.position);
        assert_eq!(pos(&spaced, "15"), Some(6));
        assert_eq!(pos(&joined, "15"), Some(6));
    }

    #[test]
    fn traditional_text_yields_simplified_tokens_on_original_offsets() {
        let pieces = ChineseAnalyzer::default().analyze("臺灣經濟");
        let got: Vec<(&str, usize, usize)> = pieces.iter().map(|p| (p.text.as_str(), p.start, p.end)).collect();
        assert_eq!(got, [("台湾", 0, 6), ("经济", 6, 12)]);
    }

    #[test]
    fn tokenizer_positions_never_go_backwards_for_a_term() {
        let mut tokenizer = ChineseAnalyzer::default().tokenizer();
        let text = "中国科学院院士在中国科学院召开会议，中华人民共和国国务院";
        let mut stream = tokenizer.token_stream(text);
        let mut last = std::collections::HashMap::new();
        let mut last_offset = 0;
        while stream.advance() {
            let t = stream.token();
            assert!(t.offset_from >= last_offset, "offset order");
            last_offset = t.offset_from;
            let prev = last.insert(t.text.clone(), t.position).unwrap_or(0);
            assert!(t.position >= prev);
            assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
        }
    }

    #[test]
    fn any_string_analyzes_without_panic() {
        let alphabet = [
            "中", "国", "Ａ", "a", "1", " ", "\r\n", "。", "臺", "😀", "\u{0}", "İ", "ß", "-", ".", "%",
        ];
        let mut state = 0x2545F4914F6CDD1Du64;
        let analyzer = ChineseAnalyzer::default();
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..(state % 24) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                s.push_str(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            for p in analyzer.analyze(&s) {
                assert!(s.is_char_boundary(p.start) && s.is_char_boundary(p.end) && p.start < p.end);
            }
        }
    }
}
