//! Query-side word lists, the same for every backend: the stop words a query leaves out and
//! the synonym groups a query word expands to. Parsing an operator's file (limits enforced
//! while reading, a bad line named by its number) and the settings saved with an index live
//! here; using them to build queries is [`crate::local::build`]'s job.
//!
//! Both lists act only when a query is built, never when an article is indexed: changing
//! them needs no rebuild.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::fold;
use crate::search::aliases::{self, AliasEdits, Aliases};
use crate::search::categories::{self, CategoryNames};
use crate::search::explain::FormKind;

/// Largest stop-word or synonyms file read.
pub const MAX_WORDS_FILE_BYTES: u64 = 1024 * 1024;
/// Most synonym groups in one list.
pub const MAX_SYNONYM_GROUPS: usize = 10_000;
/// Most entries in one synonym group.
pub const MAX_GROUP_ENTRIES: usize = 32;
/// Most characters in one synonym entry or stop word.
pub const MAX_ENTRY_CHARS: usize = 64;
/// Most stop words in one list.
pub const MAX_STOPWORDS: usize = 10_000;

/// The built-in stop words: function words and question words no reader searches for.
const BUILTIN_STOPWORDS: &str = include_str!("../data/stopwords.txt");
/// The built-in synonyms: news abbreviations and the names they stand for.
const BUILTIN_SYNONYMS: &str = include_str!("../data/synonyms.txt");

/// Why a word list cannot be used. Messages name the line; the caller names the file.
#[derive(Debug, thiserror::Error)]
pub enum WordsError {
    /// The file could not be read.
    #[error("cannot read it")]
    Read(#[source] std::io::Error),
    /// Larger than [`MAX_WORDS_FILE_BYTES`].
    #[error("larger than {max} bytes")]
    TooLarge {
        /// The limit.
        max: u64,
    },
    /// Not UTF-8.
    #[error("line {line}: not valid UTF-8")]
    InvalidUtf8 {
        /// The first line with a bad byte.
        line: usize,
    },
    /// A line that breaks a rule.
    #[error("line {line}: {reason}")]
    Line {
        /// Its number, from 1.
        line: usize,
        /// The rule broken.
        reason: String,
    },
}

/// Which list a setting uses, and (from a file) what the file held, folded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum WordList<T> {
    /// The list built into xinwen.
    #[default]
    Builtin,
    /// No list.
    Off,
    /// An operator's file, as it was read.
    File {
        /// The file given (absolute when it could be made so).
        path: PathBuf,
        /// Its entries, folded.
        list: T,
    },
}

impl<T> WordList<T> {
    /// Where the list came from, for `stats`: `builtin`, `off` or the file.
    pub fn source(&self) -> String {
        match self {
            WordList::Builtin => "builtin".into(),
            WordList::Off => "off".into(),
            WordList::File { path, .. } => path.display().to_string(),
        }
    }
}

/// The word settings an index keeps (in its manifest): stop words and synonyms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordSettings {
    /// The stop words.
    #[serde(default)]
    pub stopwords: WordList<Vec<String>>,
    /// The synonym groups.
    #[serde(default)]
    pub synonyms: WordList<Vec<Vec<String>>>,
    /// Company aliases: `builtin` uses the pairs learned from the articles, `off` none, a
    /// file the learned pairs with its additions and vetoes.
    #[serde(default)]
    pub aliases: WordList<AliasEdits>,
    /// Readable names of category codes: `builtin` the built-in table, a file the table
    /// with the file's names over it (only shown, never searched).
    #[serde(default)]
    pub categories: WordList<CategoryNames>,
}

/// A change to [`WordSettings`] asked for by a job; `None` keeps what the index has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordsUpdate {
    /// New stop words.
    pub stopwords: Option<WordList<Vec<String>>>,
    /// New synonyms.
    pub synonyms: Option<WordList<Vec<Vec<String>>>>,
    /// New alias edits.
    pub aliases: Option<WordList<AliasEdits>>,
    /// New category names.
    pub categories: Option<WordList<CategoryNames>>,
}

impl WordsUpdate {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.stopwords.is_none() && self.synonyms.is_none() && self.aliases.is_none() && self.categories.is_none()
    }

    /// `settings` with this change applied.
    pub fn apply(&self, settings: &WordSettings) -> WordSettings {
        WordSettings {
            stopwords: self.stopwords.clone().unwrap_or_else(|| settings.stopwords.clone()),
            synonyms: self.synonyms.clone().unwrap_or_else(|| settings.synonyms.clone()),
            aliases: self.aliases.clone().unwrap_or_else(|| settings.aliases.clone()),
            categories: self.categories.clone().unwrap_or_else(|| settings.categories.clone()),
        }
    }
}

/// What `stats` shows of the word settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WordStats {
    /// Where the stop words came from.
    pub stopwords_source: String,
    /// How many stop words.
    pub stopwords: usize,
    /// Where the synonyms came from.
    pub synonyms_source: String,
    /// How many synonym groups.
    pub synonym_groups: usize,
    /// How many entries in them.
    pub synonym_entries: usize,
}

/// The word lists a query is built with.
#[derive(Debug, Clone, Default)]
pub struct Words {
    stop: HashSet<String>,
    /// The built-in list also leaves out 哪 + a measure word (哪家, 哪一位).
    builtin_stop: bool,
    groups: Vec<Vec<String>>,
    by_entry: HashMap<String, usize>,
    stats: Option<WordStats>,
    /// The alias edits in force (`None`: aliases off) and the table they make.
    alias_edits: Option<AliasEdits>,
    aliases: Aliases,
    alias_source: String,
}

/// What `stats` shows of the company aliases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AliasStats {
    /// `builtin` (learned only), `off`, or the edits file.
    pub source: String,
    /// Name ↔ code pairs a query expands with.
    pub pairs: usize,
}

static BUILTIN: LazyLock<Words> = LazyLock::new(|| {
    // Both built-in files are ours; a test parses them, so this cannot fail.
    Words::from_settings(&WordSettings::default())
        .unwrap_or_else(|e| unreachable!("the built-in word lists parse (tested): {e}"))
});

impl Words {
    /// The built-in lists: xinwen's stop words and news abbreviations.
    pub fn builtin() -> &'static Words {
        &BUILTIN
    }

    /// The lists of saved settings (entries checked again, as a file's are).
    pub fn from_settings(settings: &WordSettings) -> Result<Words, WordsError> {
        let (stop, builtin_stop) = match &settings.stopwords {
            WordList::Builtin => (parse_stopwords(BUILTIN_STOPWORDS)?, true),
            WordList::Off => (Vec::new(), false),
            WordList::File { list, .. } => (list.clone(), false),
        };
        let groups = match &settings.synonyms {
            WordList::Builtin => parse_synonyms(BUILTIN_SYNONYMS)?,
            WordList::Off => Vec::new(),
            WordList::File { list, .. } => list.clone(),
        };
        let mut by_entry = HashMap::new();
        for (g, group) in groups.iter().enumerate() {
            for entry in group {
                by_entry.insert(entry.clone(), g);
            }
        }
        let stats = WordStats {
            stopwords_source: settings.stopwords.source(),
            stopwords: stop.len(),
            synonyms_source: settings.synonyms.source(),
            synonym_groups: groups.len(),
            synonym_entries: groups.iter().map(Vec::len).sum(),
        };
        Ok(Words {
            stop: stop.into_iter().collect(),
            builtin_stop,
            groups,
            by_entry,
            stats: Some(stats),
            alias_edits: match &settings.aliases {
                WordList::Builtin => Some(AliasEdits::default()),
                WordList::Off => None,
                WordList::File { list, .. } => Some(list.clone()),
            },
            aliases: Aliases::default(),
            alias_source: settings.aliases.source(),
        })
    }

    /// The same lists with the aliases of learned counts (pair → distinct articles) and the
    /// settings' edits; none when aliases are off.
    pub fn with_learned(mut self, counts: &HashMap<aliases::Pair, u32>) -> Words {
        if let Some(edits) = &self.alias_edits {
            self.aliases = Aliases::new(counts, edits);
        }
        self
    }

    /// What `stats` shows of the aliases.
    pub fn alias_stats(&self) -> AliasStats {
        AliasStats {
            source: self.alias_source.clone(),
            pairs: self.aliases.len(),
        }
    }

    /// Whether a query word (as the analyzer gives it: folded) is a stop word.
    pub fn is_stopword(&self, word: &str) -> bool {
        self.stop.contains(word) || (self.builtin_stop && word.starts_with('哪') && word.chars().count() <= 3)
    }

    /// The other entries of the synonym group `text` is an entry of (folded, whitespace
    /// collapsed), in the group's order, then its company aliases (a name's codes, a
    /// code's names), each with what made it a form of `text`; empty when it is in none.
    pub fn forms_of(&self, text: &str) -> Vec<(&str, FormKind)> {
        let key = fold::fold_value(text);
        let mut forms: Vec<(&str, FormKind)> = match self.by_entry.get(&key) {
            Some(&g) => self.groups[g]
                .iter()
                .filter(|e| **e != key)
                .map(|e| (e.as_str(), FormKind::Synonym))
                .collect(),
            None => Vec::new(),
        };
        for (form, source) in self.aliases.forms_of(&key) {
            if form != key && !forms.iter().any(|(f, _)| *f == form) {
                forms.push((form, FormKind::Alias { source }));
            }
        }
        forms
    }

    /// What `stats` shows.
    pub fn stats(&self) -> WordStats {
        self.stats.clone().unwrap_or(WordStats {
            stopwords_source: "off".into(),
            stopwords: 0,
            synonyms_source: "off".into(),
            synonym_groups: 0,
            synonym_entries: 0,
        })
    }
}

/// Reads a stop-word file: words separated by whitespace, `#` to the end of a line a comment.
pub fn read_stopwords(path: &Path) -> Result<WordList<Vec<String>>, WordsError> {
    let text = read_limited(path)?;
    Ok(WordList::File {
        path: absolute(path),
        list: parse_stopwords(&text)?,
    })
}

/// Reads a synonyms file: one group a line, entries separated by `,` (or `，`, `、`).
pub fn read_synonyms(path: &Path) -> Result<WordList<Vec<Vec<String>>>, WordsError> {
    let text = read_limited(path)?;
    Ok(WordList::File {
        path: absolute(path),
        list: parse_synonyms(&text)?,
    })
}

/// Reads an aliases file: `名称 = 代码` adds a pair, `!名称 = 代码` vetoes one (see
/// [`aliases::parse_edits`]).
pub fn read_aliases(path: &Path) -> Result<WordList<AliasEdits>, WordsError> {
    read_lines_file(path, aliases::parse_edits)
}

/// Reads a category names file: `code = name` lines (see [`categories::parse`]).
pub fn read_categories(path: &Path) -> Result<WordList<CategoryNames>, WordsError> {
    read_lines_file(path, categories::parse)
}

/// Reads a file whose parser refuses a bad line by its number and the rule it broke.
fn read_lines_file<T>(path: &Path, parse: fn(&str) -> Result<T, (usize, String)>) -> Result<WordList<T>, WordsError> {
    let text = read_limited(path)?;
    let list = parse(&text).map_err(|(line, reason)| line_error(line, reason))?;
    Ok(WordList::File {
        path: absolute(path),
        list,
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A file's text, refusing it past [`MAX_WORDS_FILE_BYTES`] without reading further.
fn read_limited(path: &Path) -> Result<String, WordsError> {
    let file = std::fs::File::open(path).map_err(WordsError::Read)?;
    let mut bytes = Vec::new();
    file.take(MAX_WORDS_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(WordsError::Read)?;
    if bytes.len() as u64 > MAX_WORDS_FILE_BYTES {
        return Err(WordsError::TooLarge {
            max: MAX_WORDS_FILE_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        WordsError::InvalidUtf8 {
            line: valid.iter().filter(|&&b| b == b'\n').count() + 1,
        }
    })
}

/// The lines of a list with comments removed: (line number, text), blank lines skipped.
fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(n, line)| {
        let line = line.split('#').next().unwrap_or_default().trim();
        (!line.is_empty()).then_some((n + 1, line))
    })
}

fn line_error(line: usize, reason: impl Into<String>) -> WordsError {
    WordsError::Line {
        line,
        reason: reason.into(),
    }
}

/// Whether an entry has something a query could match: a letter, digit or ideograph.
fn has_word_chars(entry: &str) -> bool {
    entry.chars().any(char::is_alphanumeric)
}

fn parse_stopwords(text: &str) -> Result<Vec<String>, WordsError> {
    let mut seen = HashSet::new();
    let mut words = Vec::new();
    for (line, content) in content_lines(text) {
        for word in content.split_whitespace() {
            let folded: String = word.chars().map(fold::fold_full).collect();
            if folded.chars().count() > MAX_ENTRY_CHARS {
                return Err(line_error(
                    line,
                    format!("stop word {word:?} is longer than {MAX_ENTRY_CHARS} characters"),
                ));
            }
            if !has_word_chars(&folded) {
                return Err(line_error(line, format!("{word:?} has no letter, digit or ideograph")));
            }
            if seen.insert(folded.clone()) {
                words.push(folded);
            }
            if words.len() > MAX_STOPWORDS {
                return Err(line_error(line, format!("more than {MAX_STOPWORDS} stop words")));
            }
        }
    }
    Ok(words)
}

fn parse_synonyms(text: &str) -> Result<Vec<Vec<String>>, WordsError> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    // Entry → the line of its group: an entry in two groups would expand to which one?
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for (line, content) in content_lines(text) {
        if groups.len() == MAX_SYNONYM_GROUPS {
            return Err(line_error(line, format!("more than {MAX_SYNONYM_GROUPS} groups")));
        }
        let mut group: Vec<String> = Vec::new();
        for raw in content.split([',', '，', '、']) {
            let entry = fold::fold_value(raw);
            if entry.is_empty() {
                return Err(line_error(
                    line,
                    "an empty entry (two commas in a row, or one at an end)",
                ));
            }
            if entry.chars().count() > MAX_ENTRY_CHARS {
                return Err(line_error(
                    line,
                    format!("entry {:?} is longer than {MAX_ENTRY_CHARS} characters", raw.trim()),
                ));
            }
            if !has_word_chars(&entry) {
                return Err(line_error(
                    line,
                    format!("entry {:?} has no letter, digit or ideograph", raw.trim()),
                ));
            }
            if let Some(other) = first_line.get(&entry).filter(|&&l| l != line) {
                return Err(line_error(
                    line,
                    format!("{:?} is already in the group of line {other}", raw.trim()),
                ));
            }
            if group.contains(&entry) {
                continue;
            }
            if group.len() == MAX_GROUP_ENTRIES {
                return Err(line_error(
                    line,
                    format!("more than {MAX_GROUP_ENTRIES} entries in a group"),
                ));
            }
            first_line.insert(entry.clone(), line);
            group.push(entry);
        }
        if group.len() < 2 {
            return Err(line_error(
                line,
                "a group needs at least two entries, separated by commas",
            ));
        }
        groups.push(group);
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse_synonyms(text).map(|_| ()).map_err(|e| e.to_string()).unwrap_err()
    }

    #[test]
    fn the_builtin_lists_parse() {
        assert!(parse_stopwords(BUILTIN_STOPWORDS).is_ok_and(|w| w.contains(&"的".to_string())));
        let groups = parse_synonyms(BUILTIN_SYNONYMS).expect("built-in synonyms");
        assert!(groups.iter().any(|g| g.contains(&"央行".to_string())));
        assert!(Words::builtin().is_stopword("什么"));
        assert!(Words::builtin().is_stopword("哪家"));
    }

    #[test]
    fn groups_are_folded_commented_and_deduplicated() {
        let groups =
            parse_synonyms("# news\n央行, 中國人民銀行，人民银行 # comment\n\nＰＢＯＣ、pboc、Central  Bank\n")
                .expect("parses");
        assert_eq!(
            groups,
            vec![
                vec!["央行".to_string(), "中国人民银行".into(), "人民银行".into()],
                vec!["pboc".to_string(), "central bank".into()],
            ]
        );
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            error("央行, 人民银行\n证监会\n"),
            "line 2: a group needs at least two entries, separated by commas"
        );
        assert_eq!(
            error("央行,,人民银行"),
            "line 1: an empty entry (two commas in a row, or one at an end)"
        );
        assert_eq!(
            error("a, b\nc, ！！"),
            "line 2: entry \"！！\" has no letter, digit or ideograph"
        );
        assert_eq!(
            error("央行, 人民银行\n人民银行, 中国人民银行"),
            "line 2: \"人民银行\" is already in the group of line 1"
        );
        let long = "字".repeat(MAX_ENTRY_CHARS + 1);
        assert!(error(&format!("央行, {long}")).starts_with("line 1: entry \"字"));
        let many: Vec<String> = (0..=MAX_GROUP_ENTRIES).map(|i| format!("w{i}")).collect();
        assert_eq!(
            error(&many.join(",")),
            format!("line 1: more than {MAX_GROUP_ENTRIES} entries in a group")
        );
    }

    #[test]
    fn forms_of_folds_the_typed_form() {
        let settings = WordSettings {
            stopwords: WordList::Off,
            synonyms: WordList::File {
                path: "s.txt".into(),
                list: vec![vec!["央行".into(), "中国人民银行".into()]],
            },
            aliases: WordList::Off,
            categories: WordList::Builtin,
        };
        let words = Words::from_settings(&settings).expect("words");
        assert_eq!(words.forms_of("中國人民銀行"), vec![("央行", FormKind::Synonym)]);
        assert!(words.forms_of("银行").is_empty());
        assert!(!words.is_stopword("的"));
    }
}
