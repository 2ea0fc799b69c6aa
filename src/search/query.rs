//! The query language, parsed leniently: any string a user types becomes a [`ParsedQuery`]
//! or a one-line [`QueryError`], never a panic. tantivy's own query parser never sees user
//! input.
//!
//! - words: all must match (`上海 股市`); a word written without spaces (`上海股市`) is
//!   segmented and each of its words must match;
//! - `"exact phrase"` (also `“…”` and `「…」`): the words in this order, adjacent;
//! - `-word`, `-"phrase"`, `-tag:x` after a space or at the start: articles with it are left
//!   out (`-2.3`, `”——携手` are text);
//! - `A OR B` (also `||`): either; binds the words next to it (`A B OR C` is A and (B or C));
//!   a single `|` is text, since headlines use it as a separator;
//! - `title:word`, `title:"phrase"`: in the headline only; `tag:x`, `category:x`: articles
//!   with that exact tag or category (case, width and script folded); Chinese prefixes
//!   `标题:`, `标签:`, `分类:` work too, and so does the full-width colon `：`;
//! - anything else (unknown `prefix:`, stray quotes, brackets, `AND`, `+`) is read as
//!   plain words or ignored.

use crate::config::{MAX_QUERY_CHARS, MAX_QUERY_TERMS};
use crate::error::QueryError;
use crate::fold;

/// Where a text item is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Title, tags and body.
    All,
    /// Title only.
    Title,
}

/// One thing to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Words or a phrase.
    Text {
        /// The fields it is searched in (`title:` limits it to titles).
        scope: Scope,
        /// The text as typed.
        text: String,
        /// Quoted: the words must be adjacent and in order.
        phrase: bool,
    },
    /// An exact tag.
    Tag(String),
    /// An exact category.
    Category(String),
}

/// A parsed query: every group must match (a group is a list of alternatives), and no
/// excluded item may.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// AND of ORs.
    pub groups: Vec<Vec<Item>>,
    /// Items that must not match.
    pub excluded: Vec<Item>,
}

impl ParsedQuery {
    /// True when there is nothing to match (no words, only exclusions or nothing).
    pub fn is_match_all(&self) -> bool {
        self.groups.is_empty()
    }

    /// The items whose words should be highlighted: every positive text item.
    pub fn positive_items(&self) -> impl Iterator<Item = &Item> {
        self.groups.iter().flatten()
    }

    /// The text a pasted headline would be, for the exact-title bonus every backend gives:
    /// every positive text item joined; `None` with a tag or category item, or when it has
    /// fewer than [`EXACT_TITLE_MIN_CHARS`] letters, digits and ideographs.
    pub fn pasted_title(&self) -> Option<String> {
        let mut text = String::new();
        for item in self.positive_items() {
            match item {
                Item::Text { text: t, .. } => text.push_str(t),
                _ => return None,
            }
        }
        let long_enough = text.chars().filter(|c| c.is_alphanumeric()).count() >= EXACT_TITLE_MIN_CHARS;
        long_enough.then_some(text)
    }
}

/// Queries shorter than this (letters, digits, ideographs) get no exact-title bonus: a
/// one-word title is not a headline someone pasted.
pub const EXACT_TITLE_MIN_CHARS: usize = 4;

#[derive(Debug)]
enum Lexeme {
    Item { negated: bool, item: Item },
    Or,
}

/// Parses a query string.
pub fn parse(input: &str) -> Result<ParsedQuery, QueryError> {
    let len = input.chars().count();
    if len > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong {
            len,
            max: MAX_QUERY_CHARS,
        });
    }
    let lexemes = lex(input);
    let count = lexemes.iter().filter(|l| matches!(l, Lexeme::Item { .. })).count();
    if count > MAX_QUERY_TERMS {
        return Err(QueryError::TooComplex {
            count,
            max: MAX_QUERY_TERMS,
        });
    }
    let mut query = ParsedQuery::default();
    let mut join_next = false;
    for lexeme in lexemes {
        match lexeme {
            Lexeme::Or => join_next = !query.groups.is_empty(),
            Lexeme::Item { negated: true, item } => {
                query.excluded.push(item);
            }
            Lexeme::Item { negated: false, item } => {
                match query.groups.last_mut() {
                    Some(group) if join_next => group.push(item),
                    _ => query.groups.push(vec![item]),
                }
                join_next = false;
            }
        }
    }
    Ok(query)
}

fn is_quote_open(c: char) -> Option<char> {
    match c {
        '"' => Some('"'),
        '“' => Some('”'),
        '「' => Some('」'),
        '＂' => Some('＂'),
        _ => None,
    }
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '（' | '）')
}

fn lex(input: &str) -> Vec<Lexeme> {
    let chars: Vec<char> = input.chars().filter(|c| !c.is_control() || c.is_whitespace()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_space(chars[i]) {
            i += 1;
            continue;
        }
        // A minus excludes only at the start of a word typed after a space (not right after
        // a closing quote: titles read “…”——…) and not before a digit (-2.3 is a number).
        let after_space = i == 0 || is_space(chars[i - 1]);
        let mut negated = false;
        if matches!(chars[i], '-' | '－')
            && after_space
            && !chars
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_digit() || fold::fold_char(*c).is_ascii_digit())
        {
            negated = true;
            i += 1;
            if i >= chars.len() || is_space(chars[i]) {
                continue;
            }
        } else if matches!(chars[i], '+' | '＋') {
            i += 1;
            if i >= chars.len() || is_space(chars[i]) {
                continue;
            }
        }
        if let Some(close) = is_quote_open(chars[i]) {
            let (text, next) = read_quoted(&chars, i + 1, close);
            i = next;
            push_text(&mut out, negated, Scope::All, text, true);
            continue;
        }
        // A bare word: up to whitespace or an opening quote.
        let start = i;
        while i < chars.len() && !is_space(chars[i]) && is_quote_open(chars[i]).is_none() {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if !negated && (word == "OR" || word == "||") {
            out.push(Lexeme::Or);
            continue;
        }
        if word == "AND" || word == "&&" {
            continue;
        }
        if let Some((field, value)) = split_field(&word) {
            // `title:"a phrase"` — the value is the quoted text that follows.
            let (value, phrase) = if value.is_empty() && i < chars.len() {
                if let Some(close) = is_quote_open(chars[i]) {
                    let (text, next) = read_quoted(&chars, i + 1, close);
                    i = next;
                    (text, true)
                } else {
                    (String::new(), false)
                }
            } else {
                (value.to_string(), false)
            };
            if value.trim().is_empty() {
                continue;
            }
            let item = match field {
                Field::Title => Item::Text {
                    scope: Scope::Title,
                    text: value,
                    phrase,
                },
                Field::Tag => Item::Tag(value.trim().to_string()),
                Field::Category => Item::Category(value.trim().to_string()),
            };
            out.push(Lexeme::Item { negated, item });
            continue;
        }
        push_text(&mut out, negated, Scope::All, word, false);
    }
    out
}

fn push_text(out: &mut Vec<Lexeme>, negated: bool, scope: Scope, text: String, phrase: bool) {
    if text.chars().any(char::is_alphanumeric) {
        out.push(Lexeme::Item {
            negated,
            item: Item::Text { scope, text, phrase },
        });
    }
}

/// Reads a quoted phrase from `start` to the closing quote (or the end of input when the
/// user forgot it); returns the text and the index after the closing quote.
fn read_quoted(chars: &[char], start: usize, close: char) -> (String, usize) {
    let mut i = start;
    while i < chars.len() && chars[i] != close {
        i += 1;
    }
    let text: String = chars[start..i].iter().collect();
    (text, i + 1)
}

enum Field {
    Title,
    Tag,
    Category,
}

fn split_field(word: &str) -> Option<(Field, &str)> {
    let (name, value) = word.split_once([':', '：'])?;
    let field = match name.to_ascii_lowercase().as_str() {
        "title" | "标题" => Field::Title,
        "tag" | "tags" | "标签" => Field::Tag,
        "category" | "categories" | "cat" | "分类" | "栏目" => Field::Category,
        _ => return None,
    };
    Some((field, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_title_is_the_text_items_joined_when_long_enough() {
        let title = |q: &str| parse(q).expect("parses").pasted_title();
        assert_eq!(title("国务院 常务会议"), Some("国务院常务会议".into()));
        assert_eq!(title("上海股市 -期货"), Some("上海股市".into()));
        assert_eq!(title("上海"), None, "under 4 characters");
        assert_eq!(title("上海股市 tag:财经"), None, "a tag item is not a headline");
    }

    fn text(t: &str) -> Item {
        Item::Text {
            scope: Scope::All,
            text: t.into(),
            phrase: false,
        }
    }

    #[test]
    fn words_phrases_exclusions_and_or() {
        let q = parse(r#"上海 "人工 智能" -期货 A OR B"#).expect("parses");
        assert_eq!(
            q.groups,
            vec![
                vec![text("上海")],
                vec![Item::Text {
                    scope: Scope::All,
                    text: "人工 智能".into(),
                    phrase: true
                }],
                vec![text("A"), text("B")],
            ]
        );
        assert_eq!(q.excluded, vec![text("期货")]);
    }

    #[test]
    fn field_prefixes_including_full_width_colon() {
        let q = parse("title：人工智能 tag:A股 category:\"keji\" 标签:足球").expect("parses");
        assert_eq!(
            q.groups,
            vec![
                vec![Item::Text {
                    scope: Scope::Title,
                    text: "人工智能".into(),
                    phrase: false
                }],
                vec![Item::Tag("A股".into())],
                vec![Item::Category("keji".into())],
                vec![Item::Tag("足球".into())],
            ]
        );
    }

    #[test]
    fn hostile_strings_never_fail_except_on_limits() {
        for s in [
            "title:(",
            "\"",
            "-",
            "OR",
            "OR OR",
            ":",
            "tag:",
            "((()))",
            "\"unclosed",
            "a -",
            "－",
            "\u{0}",
            "title:\"",
            "“中国",
            "—",
        ] {
            parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        }
        assert!(matches!(
            parse(&"字".repeat(MAX_QUERY_CHARS + 1)),
            Err(QueryError::TooLong { .. })
        ));
        assert!(matches!(
            parse(&"a ".repeat(MAX_QUERY_TERMS + 1)),
            Err(QueryError::TooComplex { .. })
        ));
    }

    #[test]
    fn dashes_inside_titles_and_before_numbers_are_text() {
        let q = parse("中国抗疫“现场直播”——携手全球抗疫 前值 -2.3 直击股东会 | 公告").expect("parses");
        assert!(q.excluded.is_empty(), "{q:?}");
        assert_eq!(q.groups.len(), 7, "{q:?}");
    }

    #[test]
    fn unknown_prefixes_are_words() {
        let q = parse("时间:10:30").expect("parses");
        assert_eq!(q.groups, vec![vec![text("时间:10:30")]]);
    }
}
