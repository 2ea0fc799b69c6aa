//! xinwen's parsed query → SphinxQL, never from the raw string. The concepts are the local
//! index's own ([`Builder::concepts`]: a word and the other ways its characters can be
//! indexed), so both backends look for the same things:
//! - a one-term alternative is that word in the `*_s` fields (sub-words included, as locally);
//! - a longer alternative (a quoted phrase, covering words, characters typed together, a
//!   phrase prefix) is the phrase of its characters in the `*_c` fields, each character
//!   at its local offset (a gap is a stopword): it matches wherever the local phrase does,
//!   and also where the article was segmented otherwise (literal matching);
//! - a concept with a literal string (a bare concept with a Chinese character, or quoted
//!   text) is, in the literal expression ([`Translator::match_expr`]), the phrase of its
//!   characters in the literal fields (`lit`, `title_l`): that decides membership, as
//!   locally, and with the least field weight a literal-only match ranks below any word
//!   match, as the local literal clause's 0.05; an excluded concept is its words or its
//!   literal;
//! - a concept is the OR of its alternatives, an item the AND of its concepts (OR when a
//!   search is relaxed), a group the OR of its items, a query the AND of its groups;
//!   `-item` is `-(…)`; `tag:x`/`category:x` are `keys` tokens; a query of exclusions
//!   only starts from the `_all` token every article has.
//!
//! Filters are attribute conditions (MVA ids, dates), the exact-title bonus is an
//! `IF(title_key = …)` column sorted first, recency multiplies `WEIGHT()` in the engine,
//! and paging is `LIMIT` with `max_matches` raised to reach it, the document id breaking
//! ties; cursors are refused (`invalid_cursor`).

use crate::analysis::ChineseAnalyzer;
use crate::config::{MAX_DEPTH, TAGS_BOOST, TITLE_BOOST};
use crate::error::QueryError;
use crate::local::facets::MAX_FACET_VALUES;
use crate::post::title_key;
use crate::schema::Fields;
use crate::search::build::{Builder, Concept, Mode};
use crate::search::query::{Item, ParsedQuery, Scope};
use crate::search::{Collapse, Filters, SearchRequest, Sort};

use super::document::{
    ALL, GAP, category_id, category_token, char_token, engine_word, literal_chars, tag_id, tag_token,
};
use super::sphinxql::{escape_match, quote};

/// The engine's ranker: phrase proximity per field (longest common subsequence with the
/// query) times the field weight, then the weighted `tf_idf` of the word fields; the same
/// expression on both engines. Not the document-level `bm25`: it counts every keyword, and
/// the literal characters' frequencies then reordered articles the words tie on (the
/// fixture 人工智能's first hit); the literal fields (weight 1) and `keys` are left out.
pub const RANKER: &str = "expr('sum(lcs*user_weight)*1000+sum(IF(user_weight>1,tf_idf*user_weight,0))*10')";

/// Groups a facet statement reads before xinwen orders them (count, then name) and keeps
/// the first [`MAX_FACET_VALUES`]: ties at the cut are decided as locally.
pub const FACET_GROUPS: usize = 1000;

/// Weight of the literal fields: the least the engine takes (weights are integers ≥ 1),
/// a tenth of the body's, so a literal-only match ranks below every word match.
const LITERAL_FIELD_WEIGHT: u32 = 1;

/// Field weights: the local title and tag boosts (3, 1.5) over the body's 1, as integers.
fn field_weights() -> String {
    let title = (TITLE_BOOST * 10.0).round() as u32;
    let tags = (TAGS_BOOST * 10.0).round() as u32;
    let lit = LITERAL_FIELD_WEIGHT;
    format!(
        "field_weights=(title_s={title}, tags_s={tags}, body_s=10, title_w={title}, body_w=10, \
         title_c={title}, tags_c={tags}, body_c=10, title_l={lit}, lit={lit}, keys=1)"
    )
}

/// What a query's text becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchExpr {
    /// No words: every article (that passes the filters); no `MATCH()`.
    All,
    /// Words were typed but none is searchable (only punctuation): nothing matches.
    Nothing,
    /// A full-text expression, before quoting.
    Text(String),
}

/// The statements of one search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchSql {
    /// The page of hits; `SHOW META` right after it gives the total and the warnings.
    pub hits: String,
    /// Tag and category counts, when asked for.
    pub facets: Option<[String; 2]>,
}

/// Translates queries for one cluster table; holds the analyzer the articles were
/// segmented with.
pub struct Translator {
    fields: Fields,
    analyzer: ChineseAnalyzer,
}

impl std::fmt::Debug for Translator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Translator").finish_non_exhaustive()
    }
}

impl Translator {
    /// A translator using `analyzer` (the one the cluster's articles were written with).
    pub fn new(analyzer: ChineseAnalyzer) -> Translator {
        let schema = crate::schema::build();
        // The local schema is built in code: resolving its own fields cannot fail.
        let fields = Fields::resolve(&schema).unwrap_or_else(|| unreachable!("the built schema has every field"));
        Translator { fields, analyzer }
    }

    /// The analyzer.
    pub fn analyzer(&self) -> &ChineseAnalyzer {
        &self.analyzer
    }

    /// A concept builder for one search (no index statistics: nothing is left out).
    pub fn builder(&self) -> Builder<'_> {
        Builder::new(&self.fields, &self.analyzer, None)
    }

    /// The full-text expression of a parsed query: `(literal) | (words)`. The literal
    /// expression (each concept's literal string, or its words when it has none) decides
    /// which articles match, as locally: a word match has its literal strings too. The
    /// word expression is the translation before literal recall and, weighing more,
    /// decides the rank. It comes second and whole so that its keywords keep consecutive
    /// query positions: the engine's proximity (`lcs`) counts only words as far apart in
    /// the query as in the article, and a literal between two concepts' words broke every
    /// such run (overlap@10 0.797 against 0.814 with the `bm25` ranker, `benches/README.md`).
    pub fn match_expr(&self, builder: &Builder<'_>, parsed: &ParsedQuery, mode: Mode) -> MatchExpr {
        let literal = self.expr(builder, parsed, mode, Form::Literal);
        let words = self.expr(builder, parsed, mode, Form::Words);
        match (literal, words) {
            (MatchExpr::Text(literal), MatchExpr::Text(words)) if literal != words => {
                MatchExpr::Text(format!("({literal}) | ({words})"))
            }
            (literal, _) => literal,
        }
    }

    fn expr(&self, builder: &Builder<'_>, parsed: &ParsedQuery, mode: Mode, form: Form) -> MatchExpr {
        let mut parts: Vec<String> = Vec::new();
        match mode {
            Mode::AllWords => {
                for group in &parsed.groups {
                    let items: Vec<String> = group.iter().filter_map(|i| self.item(builder, i, mode, form)).collect();
                    match items.len() {
                        0 => {}
                        1 => parts.extend(items),
                        _ => parts.push(format!("({})", items.join(" | "))),
                    }
                }
            }
            Mode::AnyWord => {
                let mut optional = Vec::new();
                for item in parsed.positive_items() {
                    match item {
                        Item::Text { scope, text, phrase } => {
                            optional.extend(self.text_concepts(builder, *scope, text, *phrase, true, form));
                        }
                        other => parts.extend(self.item(builder, other, mode, form)),
                    }
                }
                if !optional.is_empty() {
                    parts.push(format!("({})", optional.join(" | ")));
                }
            }
        }
        if parts.is_empty() {
            if !parsed.is_match_all() {
                return MatchExpr::Nothing;
            }
            let excluded: Vec<String> = parsed
                .excluded
                .iter()
                .filter_map(|i| self.item(builder, i, Mode::AnyWord, Form::Both))
                .collect();
            if excluded.is_empty() {
                return MatchExpr::All;
            }
            parts.push(format!("@keys {ALL}"));
            parts.extend(excluded.into_iter().map(|e| format!("-({e})")));
            return MatchExpr::Text(parts.join(" "));
        }
        for item in &parsed.excluded {
            if let Some(e) = self.item(builder, item, Mode::AnyWord, Form::Both) {
                parts.push(format!("-({e})"));
            }
        }
        MatchExpr::Text(parts.join(" "))
    }

    fn item(&self, builder: &Builder<'_>, item: &Item, mode: Mode, form: Form) -> Option<String> {
        match item {
            Item::Text { scope, text, phrase } => {
                let concepts = self.text_concepts(builder, *scope, text, *phrase, false, form);
                let join = if mode == Mode::AllWords { " " } else { " | " };
                match concepts.len() {
                    0 => None,
                    1 => concepts.into_iter().next(),
                    _ => Some(format!("({})", concepts.join(join))),
                }
            }
            Item::Tag(tag) => Some(format!("@keys {}", tag_token(tag))),
            Item::Category(category) => Some(format!("@keys {}", category_token(category))),
        }
    }

    /// The expressions of a text item's concepts: function words left out unless there is
    /// nothing else, and (relaxed) lone characters too, as locally.
    fn text_concepts(
        &self,
        builder: &Builder<'_>,
        scope: Scope,
        text: &str,
        phrase: bool,
        relaxed: bool,
        form: Form,
    ) -> Vec<String> {
        let mut concepts = builder.concepts(text, phrase);
        if concepts.iter().any(|c| !c.stop) {
            concepts.retain(|c| !c.stop);
        }
        if relaxed && concepts.iter().any(|c| !c.weak) {
            concepts.retain(|c| !c.weak);
        }
        concepts.iter().filter_map(|c| concept_expr(c, scope, form)).collect()
    }

    /// The statements of a search, or `None` when nothing can match.
    pub fn search(
        &self,
        request: &SearchRequest,
        parsed: &ParsedQuery,
        table: &str,
        mode: Mode,
    ) -> Result<Option<SearchSql>, QueryError> {
        if request.collapse == Collapse::Story {
            // Stories are assigned by the local indexer; a cluster's documents carry none.
            return Err(QueryError::NotSupported(
                "a cluster backend collapses by `title` only; `collapse=story` needs a local index".into(),
            ));
        }
        if request.cursor.is_some() {
            // Not built yet: the engine's order has no article-id tie-break to resume at.
            return Err(QueryError::InvalidCursor {
                reason: "a cluster backend pages with `page` only".into(),
            });
        }
        let builder = self.builder();
        builder.check_words(parsed)?;
        let matching = match self.match_expr(&builder, parsed, mode) {
            MatchExpr::Nothing => return Ok(None),
            other => other,
        };
        let by_date = request.sort == Sort::Date || parsed.is_match_all();
        let filter = where_clause(&matching, &request.filters);
        let exact = (!by_date && matching != MatchExpr::All)
            .then(|| exact_title_key(parsed))
            .flatten();
        let hits = hits_statement(request, table, &filter, by_date, exact);
        let facets = request.facets.then(|| facet_statements(table, &filter));
        Ok(Some(SearchSql { hits, facets }))
    }
}

/// The page of hits: the stored columns, the order (exact title, score or recency, date),
/// collapse, paging and the ranker.
fn hits_statement(request: &SearchRequest, table: &str, filter: &str, by_date: bool, exact: Option<i64>) -> String {
    let mut columns = String::from("id, xid, title, body, url, tags, categories, date, dated, WEIGHT() AS w");
    let mut order = Vec::new();
    if let Some(key) = exact {
        columns.push_str(&format!(", IF(title_key={key},1,0) AS exact"));
        order.push("exact DESC".to_string());
    }
    if by_date {
        order.push("dated DESC, date DESC".into());
    } else {
        if let Some(days) = request.recency_days {
            let now = request
                .now
                .unwrap_or_else(time::OffsetDateTime::now_utc)
                .unix_timestamp();
            // As locally: up to double for a brand-new article, halving every `days` of
            // age; future dates count as new, undated articles keep their score.
            columns.push_str(&format!(
                ", WEIGHT()*(1+IF(dated=1,POW(0.5,IF(date>{now},0,{now}-date)/{}),0)) AS score",
                (days * 86_400.0).round() as i64
            ));
            order.push("score DESC".into());
        } else {
            order.push("w DESC".into());
        }
        order.push("date DESC".into());
    }
    // The document id (a hash of the article id) last: equal weights and dates keep one
    // order on every shard and every request, so pages neither repeat nor skip hits.
    order.push("id ASC".into());
    let depth = (request.offset + request.limit).clamp(1, MAX_DEPTH);
    let mut options = vec![format!("max_matches={}", depth.max(FACET_GROUPS))];
    if by_date {
        options.push("ranker=none".into());
    } else {
        options.push(format!("ranker={RANKER}"));
        options.push(field_weights());
    }
    let group = if request.collapse == Collapse::Title {
        columns.push_str(", COUNT(*) AS copies");
        format!(" GROUP BY title_key WITHIN GROUP ORDER BY {}", order.join(", "))
    } else {
        String::new()
    };
    format!(
        "SELECT {columns} FROM {table}{filter}{group} ORDER BY {} LIMIT {}, {} OPTION {}",
        order.join(", "),
        request.offset,
        request.limit,
        options.join(", ")
    )
}

/// Tag and category counts over every match.
fn facet_statements(table: &str, filter: &str) -> [String; 2] {
    [("tag_ids", "tags"), ("category_ids", "categories")].map(|(mva, names)| {
        format!(
            "SELECT GROUPBY() AS k, COUNT(*) AS n, {names} FROM {table}{filter} GROUP BY {mva} \
             ORDER BY n DESC LIMIT {FACET_GROUPS} OPTION max_matches={FACET_GROUPS}, ranker=none"
        )
    })
}

/// `WHERE MATCH(…) AND …` for the text and the filters (empty when there are neither).
pub fn where_clause(matching: &MatchExpr, filters: &Filters) -> String {
    let mut conditions = Vec::new();
    if let MatchExpr::Text(text) = matching {
        conditions.push(format!("MATCH({})", quote(text)));
    }
    let ids = |values: &[String], id: fn(&str) -> u64| {
        let ids: Vec<String> = values.iter().map(|v| id(v).to_string()).collect();
        ids.join(",")
    };
    if !filters.tags.is_empty() {
        conditions.push(format!("tag_ids IN ({})", ids(&filters.tags, tag_id)));
    }
    if !filters.categories.is_empty() {
        conditions.push(format!("category_ids IN ({})", ids(&filters.categories, category_id)));
    }
    if filters.from.is_some() || filters.to.is_some() {
        // As locally, a date range leaves out undated articles.
        conditions.push("dated=1".into());
        match (filters.from, filters.to) {
            (Some(from), Some(to)) => conditions.push(format!(
                "date BETWEEN {} AND {}",
                from.unix_timestamp(),
                to.unix_timestamp()
            )),
            (Some(from), None) => conditions.push(format!("date>={}", from.unix_timestamp())),
            (None, Some(to)) => conditions.push(format!("date<={}", to.unix_timestamp())),
            (None, None) => {}
        }
    }
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// The title key a pasted headline would have, as the local index's exact-title bonus.
fn exact_title_key(parsed: &ParsedQuery) -> Option<i64> {
    parsed.pasted_title().map(|text| title_key(&text) as i64)
}

/// The fields a scope searches: (words, characters, literal).
fn scope_fields(scope: Scope) -> (&'static str, &'static str, &'static str) {
    match scope {
        Scope::All => ("@(title_s,tags_s,body_s)", "@(title_c,tags_c,body_c)", "@lit"),
        Scope::Title => ("@title_s", "@title_c", "@title_l"),
    }
}

/// Which alternatives of a concept an expression has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Its literal string alone, when it has one (what decides membership), else its words.
    Literal,
    /// Its words alone (what ranks).
    Words,
    /// Both: an excluded item leaves out an article with either, as locally.
    Both,
}

/// One concept: the OR of its alternatives in `form` (see the module doc).
fn concept_expr(concept: &Concept, scope: Scope, form: Form) -> Option<String> {
    // A word with synonyms: any of its forms (xinwen's expansion, before translation).
    let forms: Vec<String> = std::iter::once(concept)
        .chain(concept.synonyms.iter().map(|s| &s.concept))
        .filter_map(|c| form_expr(c, scope, form))
        .collect();
    match forms.len() {
        0 => None,
        1 => forms.into_iter().next(),
        _ => Some(format!("({})", forms.join(" | "))),
    }
}

/// The expression of one form of a concept.
fn form_expr(concept: &Concept, scope: Scope, form: Form) -> Option<String> {
    let (words, chars, literal) = scope_fields(scope);
    let literal_tokens = match form {
        Form::Words => Vec::new(),
        Form::Literal | Form::Both => concept.literal.as_deref().map(literal_chars).unwrap_or_default(),
    };
    if form == Form::Literal && !literal_tokens.is_empty() {
        let tokens: Vec<String> = literal_tokens.iter().map(|t| escape_match(t)).collect();
        return Some(format!("{literal} \"{}\"", tokens.join(" ")));
    }
    let mut alternatives: Vec<String> = Vec::new();
    let mut push = |e: String| {
        if !alternatives.contains(&e) {
            alternatives.push(e);
        }
    };
    for (terms, _) in &concept.alternatives {
        match terms.as_slice() {
            [] => {}
            [(_, word)] => push(format!("{words} {}", escape_match(&engine_word(word)))),
            _ => push(format!("{chars} \"{}\"", char_phrase(terms))),
        }
    }
    for terms in &concept.prefixes {
        push(format!("{chars} \"{}\"", char_phrase(terms)));
    }
    if !literal_tokens.is_empty() {
        let tokens: Vec<String> = literal_tokens.iter().map(|t| escape_match(t)).collect();
        push(format!("{literal} \"{}\"", tokens.join(" ")));
    }
    match alternatives.len() {
        0 => None,
        1 => alternatives.pop(),
        _ => Some(format!("({})", alternatives.join(" | "))),
    }
}

/// The characters of terms at character offsets, gaps as stopwords: `(0,中国) (3,经济)` →
/// `中 国 _ 经 济`. Later terms overwrite nothing: offsets come from one segmentation.
fn char_phrase(terms: &[(usize, String)]) -> String {
    let mut slots: Vec<Option<String>> = Vec::new();
    for (offset, text) in terms {
        for (i, c) in text.chars().enumerate() {
            let at = offset + i;
            if slots.len() <= at {
                slots.resize(at + 1, None);
            }
            slots[at].get_or_insert_with(|| char_token(c));
        }
    }
    let tokens: Vec<String> = slots
        .into_iter()
        .map(|s| escape_match(&s.unwrap_or_else(|| GAP.to_string())))
        .collect();
    tokens.join(" ")
}

/// The first [`MAX_FACET_VALUES`] of a facet's groups, by count then name, as locally.
pub fn top_facets(mut groups: Vec<(String, u64)>) -> Vec<(String, u64)> {
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    groups.truncate(MAX_FACET_VALUES);
    groups
}
