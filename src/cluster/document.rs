//! The schema on the engine and [`Article`] → engine row. xinwen segments, the engine does
//! not: every text field holds xinwen's own tokens, space-separated and written in an
//! alphabet the engine's `charset_table` keeps whole ([`engine_word`]), so a word is the
//! same on one node and on the cluster by construction.
//!
//! Full-text fields (`rt_field`), for each of title, tags and body where it applies:
//! - `*_s`: every token, search-mode sub-words included (中国科学院 中国 科学院 科学 学院):
//!   a bag of words for single-word matches, as the local index's fields;
//! - `*_w`: the main segmentation's words only, in order: phrases of whole words;
//! - `*_c`: one token per character (whitespace dropped, punctuation a stopword gap), so
//!   a character sits at the position it has locally: phrases at character offsets
//!   (sub-words, covering words, prefixes) and literal matching of any string;
//! - `title_l`, `lit`: literal matching ([`crate::literal`]), the title alone and title,
//!   tags and body: each folded word character one token, punctuation and whitespace
//!   dropped, a gap between two values. A phrase of characters there is the local chain of
//!   literal bigrams (a one-character phrase is its one-character prefix), and never runs
//!   from one value into the next. The translation weighs these fields least: as locally,
//!   the literal match decides whether an article matches and the words how well it ranks;
//! - `keys`: `_all` (every article: what a query of exclusions only starts from) and one
//!   token per folded tag (`t…`) and category (`c…`), for `tag:`/`category:` items.
//!
//! Attributes: the string id, title, body, url, source and tags/categories (JSON lists as
//! written) to rebuild hits and re-make snippets; the date (signed seconds and a `dated`
//! flag: dates before 1970 exist in archives); the content hash (incremental jobs); the
//! title key (exact-title ranking, collapse); folded tag and category ids as 64-bit MVAs
//! (filters, facets). Document ids are a stable 63-bit hash of the string id.

use xxhash_rust::xxh3::xxh3_64;

use crate::analysis::ChineseAnalyzer;
use crate::fold;
use crate::literal;
use crate::post::Article;
use crate::post::title_key;

/// The engine keeps at most this many characters of a word (both engines truncate).
pub const MAX_ENGINE_WORD_CHARS: usize = 42;

/// The token of a stopword gap in `*_c` fields (the engine's stopword list is this one word).
pub const GAP: &str = "_";

/// The token every article has in `keys`.
pub const ALL: &str = "_all";

/// The full-text fields, in table order.
pub const FIELDS: [&str; 11] = [
    "title_s", "tags_s", "body_s", "title_w", "body_w", "title_c", "tags_c", "body_c", "title_l", "lit", "keys",
];

/// String attributes, in table order.
pub const STRING_ATTRS: [&str; 7] = ["xid", "title", "body", "url", "source", "tags", "categories"];

/// 64-bit integer attributes (signed on the engine), in table order.
pub const BIGINT_ATTRS: [&str; 3] = ["date", "hash", "title_key"];

/// Unsigned 32-bit attributes.
pub const UINT_ATTRS: [&str; 1] = ["dated"];

/// 64-bit multi-value attributes.
pub const MVA_ATTRS: [&str; 2] = ["tag_ids", "category_ids"];

/// The characters written as themselves; everything else is escaped. Kept in sync with the
/// generated `charset_table` (see [`CHARSET_TABLE`]).
fn is_plain(c: char) -> bool {
    matches!(c, '0'..='9' | 'a'..='z' | '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7A3}')
}

/// The engine's word characters: exactly [`is_plain`] plus `_` (the escape and the gap).
pub const CHARSET_TABLE: &str = "0..9, a..z, _, U+3040..U+30FF, U+3400..U+4DBF, U+4E00..U+9FFF, U+AC00..U+D7A3";

/// A token as the engine stores it: plain characters as they are, any other character as
/// `_` + hex code point + `_` (`3.5%` → `3_2e_5_25_`), so every token is one engine word
/// and no query operator can appear in one. A word longer than the engine keeps becomes
/// `_h` + its hash (an escape never starts `_h`), so long words never merge.
pub fn engine_word(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    for c in token.chars() {
        if is_plain(c) {
            out.push(c);
        } else {
            out.push('_');
            out.push_str(&format!("{:x}", c as u32));
            out.push('_');
        }
    }
    if out.chars().count() > MAX_ENGINE_WORD_CHARS {
        return format!("_h{:016x}", xxh3_64(token.as_bytes()));
    }
    out
}

/// The `*_c` token of one folded character: the character itself (escaped if need be) when
/// it can be part of a word, else a gap, which keeps the positions of what follows.
pub fn char_token(c: char) -> String {
    if c.is_alphanumeric() {
        engine_word(c.encode_utf8(&mut [0; 4]))
    } else {
        GAP.to_string()
    }
}

/// The document id of an article id: a stable hash, 63 bits (both engines take it as a
/// positive signed integer), never 0.
pub fn doc_id(id: &str) -> u64 {
    (xxh3_64(id.as_bytes()) & (i64::MAX as u64)).max(1)
}

/// The shard (node index) that holds an article id.
pub fn shard_of(id: &str, shards: usize) -> usize {
    (doc_id(id) % shards.max(1) as u64) as usize
}

/// The MVA id of a folded tag (63 bits: no collisions in practice, unlike 32-bit ids).
pub fn tag_id(tag: &str) -> u64 {
    key_hash("tag", tag)
}

/// The MVA id of a folded category.
pub fn category_id(category: &str) -> u64 {
    key_hash("category", category)
}

fn key_hash(kind: &str, value: &str) -> u64 {
    let folded = fold::fold_value(value);
    let mut bytes = Vec::with_capacity(kind.len() + 1 + folded.len());
    bytes.extend_from_slice(kind.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(folded.as_bytes());
    (xxh3_64(&bytes) & (i64::MAX as u64)).max(1)
}

/// The `keys` token of a tag (`tag:x` items).
pub fn tag_token(tag: &str) -> String {
    format!("t{:016x}", tag_id(tag))
}

/// The `keys` token of a category.
pub fn category_token(category: &str) -> String {
    format!("c{:016x}", category_id(category))
}

/// The three token fields of one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenFields {
    /// Every token (`*_s`).
    pub search: String,
    /// Main words only (`*_w`).
    pub words: String,
    /// One token per character (`*_c`).
    pub chars: String,
}

/// Analyses a text into its token fields.
pub fn token_fields(analyzer: &ChineseAnalyzer, text: &str) -> TokenFields {
    let pieces = analyzer.analyze(text);
    let join = |main_only: bool| {
        pieces
            .iter()
            .filter(|p| p.main || !main_only)
            .map(|p| engine_word(&p.text))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let folded = fold::fold_text(text);
    let chars: Vec<String> = folded
        .text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(char_token)
        .collect();
    TokenFields {
        search: join(false),
        words: join(true),
        chars: chars.join(" "),
    }
}

/// What starts every literal token. The engine computes a keyword's ranking factors from
/// its hits in every field, whatever field the query names: a literal `稳` spelled as the
/// `*_c` token `稳` would score its title characters at the title's weight. No other token
/// starts `_l` (escapes are `_` + hex digits, long words `_h`).
pub const LITERAL_PREFIX: &str = "_l";

/// The literal tokens of a string as the engine stores them: its folded word characters
/// ([`literal::normalize`]), one token each, [`LITERAL_PREFIX`] first. A literal string is
/// the phrase of these.
pub fn literal_chars(text: &str) -> Vec<String> {
    literal::normalize(text)
        .chars()
        .map(|c| format!("{LITERAL_PREFIX}{}", engine_word(c.encode_utf8(&mut [0; 4]))))
        .collect()
}

/// A literal field: the values' [`literal_chars`], a gap between two values (it keeps its
/// position, so no phrase bridges them, as the local field's separate values).
pub fn literal_field(values: &[&str]) -> String {
    let chains: Vec<String> = values
        .iter()
        .map(|v| literal_chars(v).join(" "))
        .filter(|chain| !chain.is_empty())
        .collect();
    chains.join(&format!(" {GAP} "))
}

/// An article as one engine row.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineRow {
    /// The document id ([`doc_id`]).
    pub doc_id: u64,
    /// The content hash ([`Article::content_hash`]): an unchanged article is not written again.
    pub hash: u64,
    /// The row as `(col, col, …)` values in [`columns`] order, SphinxQL literals.
    pub values: String,
}

/// The column list every `REPLACE` names, in [`EngineRow::values`] order.
pub fn columns() -> String {
    let mut cols = vec!["id"];
    cols.extend(FIELDS);
    cols.extend(STRING_ATTRS);
    cols.extend(BIGINT_ATTRS);
    cols.extend(UINT_ATTRS);
    cols.extend(MVA_ATTRS);
    cols.join(", ")
}

/// The engine row of an article.
pub fn row(analyzer: &ChineseAnalyzer, article: &Article) -> EngineRow {
    use super::sphinxql::quote;
    let title = token_fields(analyzer, &article.title);
    let body = token_fields(analyzer, &article.body);
    // As the local index: tags the headline already says are not searched as text again.
    let folded_title = fold::fold_value(&article.title);
    let searchable: Vec<&str> = article
        .tags
        .iter()
        .map(String::as_str)
        .filter(|t| !folded_title.contains(&fold::fold_value(t)))
        .collect();
    // A full-width comma between tags is a gap: a phrase never runs from one tag into the next.
    let tags = token_fields(analyzer, &searchable.join("，"));
    let mut literal_values = vec![article.title.as_str()];
    literal_values.extend(searchable.iter().copied());
    literal_values.push(&article.body);
    let mut keys = vec![ALL.to_string()];
    keys.extend(article.tags.iter().map(|t| tag_token(t)));
    keys.extend(article.categories.iter().map(|c| category_token(c)));
    let hash = article.content_hash();
    let json = |list: &[String]| serde_json::Value::from(list.to_vec()).to_string();
    let mva = |ids: Vec<u64>| {
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        format!("({})", ids.join(","))
    };
    let doc = doc_id(&article.id);
    let values = [
        doc.to_string(),
        quote(&title.search),
        quote(&tags.search),
        quote(&body.search),
        quote(&title.words),
        quote(&body.words),
        quote(&title.chars),
        quote(&tags.chars),
        quote(&body.chars),
        quote(&literal_field(&[&article.title])),
        quote(&literal_field(&literal_values)),
        quote(&keys.join(" ")),
        quote(&article.id),
        quote(&article.title),
        quote(&article.body),
        quote(article.url.as_deref().unwrap_or_default()),
        quote(article.source.as_deref().unwrap_or_default()),
        quote(&json(&article.tags)),
        quote(&json(&article.categories)),
        article.date.map_or(0, |d| d.unix_timestamp()).to_string(),
        (hash as i64).to_string(),
        (title_key(&article.title) as i64).to_string(),
        u8::from(article.date.is_some()).to_string(),
        mva(article.tags.iter().map(|t| tag_id(t)).collect()),
        mva(article.categories.iter().map(|c| category_id(c)).collect()),
    ];
    EngineRow {
        doc_id: doc,
        hash,
        values: format!("({})", values.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_outside_the_charset_are_escaped_into_one_engine_word() {
        assert_eq!(engine_word("科学院"), "科学院");
        assert_eq!(engine_word("3.5%"), "3_2e_5_25_");
        assert_eq!(engine_word("00700.hk"), "00700_2e_hk");
        assert_eq!(engine_word("_"), "_5f_");
        assert_eq!(engine_word("ä"), "_e4_");
        let long = "a".repeat(60);
        assert_eq!(engine_word(&long), format!("_h{:016x}", xxh3_64(long.as_bytes())));
        // Every query operator of both engines is escaped.
        for c in "\\()|-!@~\"&/^$=<>*'?%.,;:[]{}# \t\n".chars() {
            let w = engine_word(&c.to_string());
            assert!(w.chars().all(|c| c == '_' || c.is_ascii_hexdigit()), "{c:?} → {w}");
        }
    }

    #[test]
    fn characters_keep_their_local_positions() {
        let analyzer = ChineseAnalyzer::default();
        let fields = token_fields(&analyzer, "中国科学院，院士 iPhone15");
        assert_eq!(fields.words, "中国科学院 院士 iphone15");
        assert_eq!(
            fields.search,
            "中国科学院 中国 科学院 科学 学院 院士 iphone15 iphone 15"
        );
        assert_eq!(fields.chars, "中 国 科 学 院 _ 院 士 i p h o n e 1 5");
    }

    #[test]
    fn literal_fields_keep_word_characters_and_gap_between_values() {
        // Punctuation and whitespace do not count, as in `literal::normalize`; a value
        // boundary is a gap, so `院士` + `中国` never make the phrase `士 中`.
        assert_eq!(
            literal_field(&["科学院，院士", "", "iPhone"]),
            "_l科 _l学 _l院 _l院 _l士 _ _li _lp _lh _lo _ln _le"
        );
        assert_eq!(literal_chars("6.2％"), ["_l6", "_l2"]);
    }

    #[test]
    fn ids_and_shards_are_stable() {
        assert_eq!(doc_id("sh-close"), doc_id("sh-close"));
        assert!(doc_id("sh-close") <= i64::MAX as u64);
        assert_eq!(tag_id("A股"), tag_id("ａ股"), "tags are folded before hashing");
        assert!(shard_of("sh-close", 2) < 2);
    }
}
