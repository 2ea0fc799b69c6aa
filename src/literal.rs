//! Literal matching, backend-neutral: a text becomes overlapping character bigrams of its
//! folded word characters, and a literal string becomes the bigrams a match must have at
//! consecutive positions. Segmentation never decides whether a string is found; the jieba
//! analyzer ([`crate::analysis`]) still decides how well it ranks.
//!
//! The rules, shared by the index and the query side:
//! - a text is folded ([`crate::fold`]) and only its word characters (letters, digits,
//!   ideographs) are kept: whitespace and punctuation between them do not count, so
//!   `国务院 院长`, `iPhone 15` and `6.2％` are `国务院院长`, `iphone15` and `62`;
//! - every character but the last starts a bigram at its position (word characters before
//!   it); the last character of a text is also a unigram, so every character of the text
//!   starts a token and a one-character literal `X` is the terms in [`X`, X+1);
//! - a literal of n ≥ 2 characters is its bigrams at positions 0, 2, 4 … and n − 2: those
//!   cover every character, so the bigrams between them add no condition, only lookups
//!   (a 10-character name is 5 terms, not 9). A match never spans two values of a field
//!   (title and tags are separate values): no bigram joins the last character of a value
//!   to the next, and tantivy leaves a position free between values.
//!
//! What it leaves to others: which field holds the tokens, and how a match is scored.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::fold;

/// The name the literal tokenizer is registered under in every index.
pub const TOKENIZER: &str = "xinwen_lit";

/// One token of the literal analysis: a bigram, or the last character as a unigram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiteralToken {
    /// The folded characters.
    pub text: String,
    /// Word characters before it.
    pub position: usize,
    /// Byte offset of its first character in the original text.
    pub start: usize,
    /// Byte offset past its last character in the original text.
    pub end: usize,
}

/// Whether `c` is a word character: a letter, digit or ideograph (what the jieba analyzer
/// makes tokens of).
pub fn is_word_char(c: char) -> bool {
    crate::analysis::is_word_char(c)
}

/// The folded word characters of `text` (what a literal match compares).
pub fn normalize(text: &str) -> String {
    text.chars().map(fold::fold_full).filter(|&c| is_word_char(c)).collect()
}

/// The literal tokens of a text, in position order (see the module doc).
pub fn tokens(text: &str) -> Vec<LiteralToken> {
    let mut out = Vec::new();
    for_each_token(text, |text, position, start, end| {
        out.push(LiteralToken {
            text: text.to_string(),
            position,
            start,
            end,
        });
    });
    out
}

/// Calls `f(text, position, start, end)` for each token of `text`, with no allocation per
/// token (the indexing path).
fn for_each_token(text: &str, mut f: impl FnMut(&str, usize, usize, usize)) {
    let mut chars = text
        .char_indices()
        .map(|(i, c)| (i, i + c.len_utf8(), fold::fold_full(c)))
        .filter(|&(_, _, c)| is_word_char(c));
    let Some(mut previous) = chars.next() else { return };
    let mut buf = String::with_capacity(8);
    let mut position = 0;
    for current in chars {
        buf.clear();
        buf.push(previous.2);
        buf.push(current.2);
        f(&buf, position, previous.0, current.1);
        position += 1;
        previous = current;
    }
    buf.clear();
    buf.push(previous.2);
    f(&buf, position, previous.0, previous.1);
}

/// What a literal string must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// No word characters: matches nothing.
    Empty,
    /// One character: any token starting with it (the term range [`X`, X+1)).
    Prefix(String),
    /// These terms at these positions, relative to the first.
    Terms(Vec<(usize, String)>),
}

/// The pattern of a literal string (see the module doc).
pub fn pattern(text: &str) -> Pattern {
    let chars: Vec<char> = normalize(text).chars().collect();
    match chars.len() {
        0 => Pattern::Empty,
        1 => Pattern::Prefix(chars[0].to_string()),
        n => {
            let last = n - 2;
            let at = (0..=last).step_by(2).chain((last % 2 == 1).then_some(last));
            Pattern::Terms(at.map(|i| (i, chars[i..i + 2].iter().collect())).collect())
        }
    }
}

/// The tantivy tokenizer of the literal field.
#[derive(Debug, Clone, Default)]
pub struct LiteralTokenizer {
    tokens: Vec<Token>,
}

impl Tokenizer for LiteralTokenizer {
    type TokenStream<'a> = LiteralTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> LiteralTokenStream<'a> {
        // Reuse the tokens' strings from one text to the next: a body is tens of thousands
        // of tokens, and a String per token was the cost that showed.
        let mut used = 0;
        let tokens = &mut self.tokens;
        for_each_token(text, |t, position, start, end| {
            if used == tokens.len() {
                tokens.push(Token::default());
            }
            let token = &mut tokens[used];
            token.text.clear();
            token.text.push_str(t);
            token.position = position;
            token.position_length = 1;
            token.offset_from = start;
            token.offset_to = end;
            used += 1;
        });
        if tokens.is_empty() {
            // token() must have something to return even before the first advance().
            tokens.push(Token::default());
        }
        LiteralTokenStream {
            tokens: &mut self.tokens[..used.max(1)],
            used,
            next: 0,
        }
    }
}

/// Token stream over the literal tokens of one text.
#[derive(Debug)]
pub struct LiteralTokenStream<'a> {
    /// At least one token (a placeholder when the text has none).
    tokens: &'a mut [Token],
    used: usize,
    next: usize,
}

impl LiteralTokenStream<'_> {
    fn current(&self) -> usize {
        self.next.saturating_sub(1).min(self.tokens.len() - 1)
    }
}

impl TokenStream for LiteralTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.used {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.current()]
    }

    fn token_mut(&mut self) -> &mut Token {
        let i = self.current();
        &mut self.tokens[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<(String, usize)> {
        tokens(text).into_iter().map(|t| (t.text, t.position)).collect()
    }

    #[test]
    fn bigrams_skip_punctuation_and_space_and_end_with_a_unigram() {
        assert_eq!(
            texts("国务院，院长 A1"),
            [
                ("国务".to_string(), 0),
                ("务院".to_string(), 1),
                ("院院".to_string(), 2),
                ("院长".to_string(), 3),
                ("长a".to_string(), 4),
                ("a1".to_string(), 5),
                ("1".to_string(), 6),
            ]
        );
    }

    #[test]
    fn offsets_are_bytes_of_the_original_text() {
        let text = "臺灣ＡＢ";
        for t in tokens(text) {
            assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end), "{t:?}");
        }
        assert_eq!(tokens(text)[0].text, "台湾");
        assert_eq!(&text[tokens(text)[1].start..tokens(text)[1].end], "灣Ａ");
    }

    #[test]
    fn patterns_are_every_other_bigram_and_the_last_or_a_prefix() {
        assert_eq!(pattern("，。 "), Pattern::Empty);
        assert_eq!(pattern("湾"), Pattern::Prefix("湾".into()));
        assert_eq!(pattern("席欢"), Pattern::Terms(vec![(0, "席欢".into())]));
        assert_eq!(
            pattern("习近平"),
            Pattern::Terms(vec![(0, "习近".into()), (1, "近平".into())])
        );
        assert_eq!(
            pattern("席欢迎仪"),
            Pattern::Terms(vec![(0, "席欢".into()), (2, "迎仪".into())])
        );
        assert_eq!(
            pattern("北京冬奥组委"),
            Pattern::Terms(vec![(0, "北京".into()), (2, "冬奥".into()), (4, "组委".into())])
        );
        assert_eq!(
            pattern("全国人大常委会委员长"),
            Pattern::Terms(vec![
                (0, "全国".into()),
                (2, "人大".into()),
                (4, "常委".into()),
                (6, "会委".into()),
                (8, "员长".into())
            ])
        );
        assert_eq!(
            pattern("国务院院长"),
            Pattern::Terms(vec![(0, "国务".into()), (2, "院院".into()), (3, "院长".into())])
        );
        assert_eq!(pattern("6.2％"), pattern("6.2%"));
    }

    #[test]
    fn empty_and_punctuation_only_texts_have_no_tokens() {
        assert!(tokens("").is_empty());
        assert!(tokens("，。！ \n").is_empty());
        assert_eq!(texts("新"), [("新".to_string(), 0)]);
    }
}
