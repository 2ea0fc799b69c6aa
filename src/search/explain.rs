//! What `analyze` and `explain` answer, whatever backend answers them: the tokens of a
//! text as an index sees them ([`Analysis`]), the plan a query becomes ([`QueryPlan`]),
//! and a hit's score broken into the parts that add up to it ([`Explain`]). Plain values
//! a front door renders; the local engine fills them in (`local::explain`).

use serde::Serialize;

use crate::error::QueryError;
use crate::search::aliases::AliasSource;

/// How `analyze` reads a text: as an article is indexed, or as a query is searched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnalyzeMode {
    /// The tokens an article's text is indexed as.
    #[default]
    Index,
    /// The tokens of a query text, and the plan the query becomes.
    Query,
}

impl std::str::FromStr for AnalyzeMode {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, QueryError> {
        match s {
            "index" | "" => Ok(AnalyzeMode::Index),
            "query" => Ok(AnalyzeMode::Query),
            other => Err(QueryError::InvalidMode {
                given: other.to_string(),
            }),
        }
    }
}

/// What `analyze` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The text as given.
    pub text: String,
    /// How it was read.
    pub mode: AnalyzeMode,
    /// The word tokens (title, tags and body fields), then the literal tokens, each in
    /// offset order.
    pub tokens: Vec<AnalyzedToken>,
    /// With [`AnalyzeMode::Query`]: what a search for the text looks for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<QueryPlan>,
}

/// One token of an analysed text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalyzedToken {
    /// The token as indexed (folded: half-width, simplified, lower case).
    pub text: String,
    /// Byte offset of its first character in the text given.
    pub byte_start: usize,
    /// Byte offset past its last character.
    pub byte_end: usize,
    /// Character offset of its first character.
    pub char_start: usize,
    /// Character offset past its last character.
    pub char_end: usize,
    /// Its position (what phrases compare): for words, characters before it not counting
    /// whitespace; for literal tokens, word characters before it.
    pub position: usize,
    /// What kind of token it is.
    pub kind: TokenKind,
    /// The text it was folded from.
    pub original: String,
}

/// The kinds of tokens an index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TokenKind {
    /// A word of the main segmentation.
    #[serde(rename = "word")]
    Word,
    /// A shorter word inside a word (jieba's search mode; a letter or digit run of a mixed
    /// word), indexed too so partial queries find it.
    #[serde(rename = "sub-word")]
    SubWord,
    /// Two word characters of the literal field: what decides whether a string matches.
    #[serde(rename = "bigram")]
    Bigram,
    /// The last word character of a text, alone, in the literal field.
    #[serde(rename = "character")]
    Character,
}

/// The plan a query becomes: every group must match (one of its items), no excluded item
/// may.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryPlan {
    /// AND of ORs: each group lists its alternatives (`A OR B`).
    pub groups: Vec<Vec<PlanItem>>,
    /// Items whose articles are left out.
    pub excluded: Vec<PlanItem>,
    /// Phrases of words typed together that add to the score of the best candidates.
    pub proximity: Vec<PlanPhrase>,
    /// The text a whole title must be to earn the exact-title bonus, when the query can.
    pub exact_title: Option<String>,
    /// Words searched for once segmented, and the most a query may have.
    pub words: usize,
    /// See [`QueryPlan::words`].
    pub max_words: usize,
    /// The no-results rescue.
    pub relaxed: RelaxPlan,
}

/// Whether the relaxed search (any word, lone characters left out) would run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RelaxPlan {
    /// The query has more than one thing a relaxed search would still look for.
    pub possible: bool,
    /// No article matches every group now, so a search would run the relaxed one.
    pub would_run: bool,
}

/// One item of a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanItem {
    /// Words or a quoted phrase.
    Text {
        /// The text as typed.
        text: String,
        /// `all` (title, tags, body) or `title` (a `title:` prefix).
        scope: &'static str,
        /// Quoted: its words must stand together, in order.
        phrase: bool,
        /// The fields searched and their weights.
        fields: Vec<PlanField>,
        /// The units that must each match.
        concepts: Vec<PlanConcept>,
    },
    /// An exact tag (`tag:`), folded as matched.
    Tag {
        /// The tag as typed.
        text: String,
        /// The value compared.
        folded: String,
    },
    /// An exact category (`category:`), folded as matched.
    Category {
        /// The category as typed.
        text: String,
        /// The value compared.
        folded: String,
    },
}

/// A field a text is searched in, with the weight its matches get.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanField {
    /// The field's name.
    pub field: String,
    /// Multiplier of its matches' scores.
    pub weight: f32,
}

/// One unit that must match: a word and the other ways it may be indexed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanConcept {
    /// What was typed for it.
    pub text: String,
    /// The string an article must contain (folded word characters), or `None` for a word
    /// of Latin letters and digits, matched as a word.
    pub literal: Option<String>,
    /// The ways it scores: each a sequence of tokens (a phrase when more than one).
    pub alternatives: Vec<PlanAlternative>,
    /// Phrases whose last token is a prefix (`专项` + `债…`).
    pub prefixes: Vec<PlanAlternative>,
    /// `searched`, or why it is not: `stop_word` (a function word, dropped because the
    /// query has other words).
    pub status: &'static str,
    /// A lone Han character: left out of the relaxed search.
    pub weak: bool,
    /// Alternatives left out as too costly for what they add.
    pub dropped: Vec<PlanDropped>,
    /// The other forms it is widened to (synonyms, company aliases, a number's other
    /// written forms), grouped by what made them forms, in the order they are searched.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expansions: Vec<PlanExpansion>,
    /// Other written forms of a number typed (`1000亿` for `一千亿`), each also found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<PlanNumber>,
}

/// What made a form another form of a query word (serialised as its `kind`, with the
/// `source` of an alias).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FormKind {
    /// Another entry of the word's synonym group.
    Synonym,
    /// A company's name for its stock code, or its code for its name.
    Alias {
        /// Learned from the articles, or added by the operator's file.
        source: AliasSource,
    },
    /// Another way to write the number typed (`1000亿` for `一千亿`).
    Number,
}

/// A query word widened to other forms: an article with any of them matches too, ranked
/// below one with the form typed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanExpansion {
    /// The word as typed.
    pub from: String,
    /// The forms it also finds, in the order they are searched.
    pub to: Vec<String>,
    /// What made them its forms.
    #[serde(flatten)]
    pub kind: FormKind,
}

/// The query word a score part's form was widened from (see [`PlanExpansion`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartExpansion {
    /// The word as typed.
    pub from: String,
    /// What made the part's form one of its forms.
    #[serde(flatten)]
    pub kind: FormKind,
}

/// Another written form of a number typed, and how it is matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanNumber {
    /// The form.
    pub form: String,
    /// The string an article must contain (folded word characters), or `None` when it is
    /// matched as words.
    pub literal: Option<String>,
    /// Its digit words, which must be words of the article too (`1000` of `1000亿`).
    pub words: Vec<String>,
    /// What an article with it scores for this concept.
    pub score: f32,
}

/// A sequence of tokens at character offsets from the first, with a weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanAlternative {
    /// The tokens as indexed.
    pub terms: Vec<String>,
    /// Each token's offset from the first (characters).
    pub offsets: Vec<usize>,
    /// Multiplier of its score.
    pub weight: f32,
}

/// An alternative the plan leaves out, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanDropped {
    /// The tokens it would have searched.
    pub terms: Vec<String>,
    /// Why: `too_costly` (its rarest word is in more articles than `max_doc_freq`).
    pub reason: &'static str,
    /// Articles with its rarest word.
    pub doc_freq: u64,
    /// The most a phrase's rarest word may be in.
    pub max_doc_freq: u64,
}

/// A phrase whose presence adds to a candidate's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanPhrase {
    /// The field searched.
    pub field: String,
    /// The tokens.
    pub terms: Vec<String>,
    /// Each token's offset from the first.
    pub offsets: Vec<usize>,
    /// How far each token may stray from its offset.
    pub slop: u32,
    /// Multiplier of the phrase's BM25 score.
    pub weight: f32,
}

/// Why a hit scored what it did: parts that add up to [`Explain::score`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explain {
    /// The hit's score.
    pub score: f32,
    /// The score of the match itself, before the reranking parts (proximity, recency).
    pub base: f32,
    /// Every part, in the order they are added; their `value`s sum to `score`.
    pub parts: Vec<ScorePart>,
    /// Where each query part matched: the fields and the indexed text.
    pub matched: Vec<Matched>,
    /// With `collapse`: the copies this hit stands for (the best-scoring one is shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copies: Option<u32>,
    /// Why there is no breakdown (date order has no scores), when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The kinds of score parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// BM25 of one token in one field.
    Word,
    /// BM25 of a sequence of tokens standing together (covering words, a quoted phrase).
    Phrase,
    /// A phrase whose last token is a prefix.
    Prefix,
    /// The literal string found (small: it decides the match, words decide the order).
    Literal,
    /// The whole title is the query text.
    ExactTitle,
    /// Words typed together standing together in the article.
    Proximity,
    /// Freshness: the score so far times (factor − 1).
    Recency,
    /// Another written form of a number typed, found: a fixed score, as the forms' words
    /// do not compare.
    NumberForm,
    /// The form of a number typed, found where its words score less: the fixed floor
    /// that keeps it above its other forms.
    NumberTyped,
    /// A part of the score no clause names (a safeguard: the parts still add up).
    Other,
}

/// One part of a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorePart {
    /// What kind of part.
    pub kind: PartKind,
    /// The query part it belongs to (a concept's text), when it belongs to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concept: Option<String>,
    /// The field it matched in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The indexed tokens it matched.
    pub terms: Vec<String>,
    /// What it adds to the score.
    pub value: f32,
    /// The multiplier in `value`: field weight × alternative weight (title 3, tags 1.5).
    pub weight: f32,
    /// The BM25 figures behind `value`, for word, phrase and literal parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bm25: Option<Bm25Part>,
    /// For recency: the factor the score was multiplied by, and the article's age.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recency: Option<RecencyPart>,
    /// When the part matched another form of a query word (a synonym, an alias, a
    /// number's other form): the word typed, and what made this its form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expansion: Option<PartExpansion>,
}

/// The figures of one BM25 score: `value = weight × idf × (k1 + 1) × tf / (tf + norm)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bm25Part {
    /// Occurrences in the field (of the phrase, for a phrase).
    pub tf: f32,
    /// Inverse document frequency (summed over a phrase's tokens).
    pub idf: f32,
    /// The length norm: k1 × (1 − b + b × length / average length).
    pub norm: f32,
    /// The field's length in tokens (as the index stores it, rounded).
    pub length: f32,
    /// The field's average length.
    pub average_length: f32,
}

/// What recency did to a score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RecencyPart {
    /// The score was multiplied by this.
    pub factor: f32,
    /// The article's age in days.
    pub age_days: f64,
    /// The half-life asked for.
    pub half_life_days: f64,
}

/// Where one query part matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matched {
    /// The query part (a concept's text).
    pub concept: String,
    /// The field.
    pub field: String,
    /// The indexed tokens found there.
    pub text: String,
}
