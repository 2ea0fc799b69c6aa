//! Readable names of category codes (`cls` → 财联社, `xinwenlianbo` → 新闻联播): the
//! built-in table `src/data/categories.txt`, and an index's own [`Categories`], the
//! built-in table overridden by an operator's file (`xinwen index --categories FILE`,
//! saved in the index's word settings). Reading the file is [`crate::search::words`]'s job.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use super::words::WordList;

/// The built-in table, as shipped.
const BUILT_IN: &str = include_str!("../data/categories.txt");

/// Most entries in a categories file.
pub const MAX_CATEGORIES: usize = 10_000;
/// Most characters in a code or a name.
pub const MAX_CATEGORY_CHARS: usize = 64;

/// Code → readable name, as a file lists them.
pub type CategoryNames = BTreeMap<String, String>;

/// The built-in table, parsed once (a test checks that every line of it parses).
static BUILT_IN_TABLE: LazyLock<Arc<Categories>> = LazyLock::new(|| {
    Arc::new(Categories {
        names: parse(BUILT_IN).unwrap_or_default(),
    })
});

/// The names an index shows its categories by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Categories {
    names: CategoryNames,
}

impl Categories {
    /// The built-in table alone (a cluster's, and an index without a file of its own).
    pub fn builtin() -> Arc<Categories> {
        Arc::clone(&BUILT_IN_TABLE)
    }

    /// The table of an index with these settings: built-in, built-in overridden by the
    /// file's entries, or none (`off`: codes are shown as they are).
    pub fn from_setting(setting: &WordList<CategoryNames>) -> Arc<Categories> {
        match setting {
            WordList::Builtin => Categories::builtin(),
            WordList::Off => Arc::new(Categories::default()),
            WordList::File { list, .. } => {
                let mut names = BUILT_IN_TABLE.names.clone();
                names.extend(list.iter().map(|(code, name)| (code.clone(), name.clone())));
                Arc::new(Categories { names })
            }
        }
    }

    /// The readable name of category `code`, or the code itself when the table has none.
    pub fn name<'a>(&'a self, code: &'a str) -> &'a str {
        self.names.get(code).map_or(code, String::as_str)
    }

    /// The names of `codes`, in their order (`category_names` beside `categories`).
    pub fn names(&self, codes: &[String]) -> Vec<String> {
        codes.iter().map(|c| self.name(c).to_string()).collect()
    }
}

/// The `code = name` lines of `text`: blank lines and `#` comments are skipped; any other
/// line must have a code (no spaces) and a name, each at most [`MAX_CATEGORY_CHARS`]
/// characters, and name a code no earlier line named. A refusal gives the line number
/// (from 1) and the rule broken.
pub fn parse(text: &str) -> Result<CategoryNames, (usize, String)> {
    let mut names = CategoryNames::new();
    let mut lines_of: BTreeMap<String, usize> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let content = line.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let Some((code, name)) = content.split_once('=') else {
            return Err((line_no, format!("expected `code = name`, not {content:?}")));
        };
        let (code, name) = (code.trim(), name.trim());
        if code.is_empty() || name.is_empty() {
            return Err((line_no, format!("expected `code = name`, not {content:?}")));
        }
        if code.chars().any(char::is_whitespace) {
            return Err((line_no, format!("the code {code:?} has a space in it")));
        }
        if code.chars().count() > MAX_CATEGORY_CHARS || name.chars().count() > MAX_CATEGORY_CHARS {
            return Err((
                line_no,
                format!("a code or name longer than {MAX_CATEGORY_CHARS} characters"),
            ));
        }
        if let Some(first) = lines_of.get(code) {
            return Err((line_no, format!("`{code}` is named on line {first} already")));
        }
        if names.len() == MAX_CATEGORIES {
            return Err((line_no, format!("more than {MAX_CATEGORIES} categories")));
        }
        lines_of.insert(code.to_string(), line_no);
        names.insert(code.to_string(), name.to_string());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_names_the_corpus_categories_and_has_no_bad_line() {
        let table = Categories::builtin();
        assert_eq!(table.name("cls"), "财联社");
        assert_eq!(table.name("xinwenlianbo"), "新闻联播");
        assert_eq!(table.name("caijing"), "财经");
        assert_eq!(table.name("no-such-code"), "no-such-code");
        let lines = BUILT_IN
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .count();
        assert_eq!(
            parse(BUILT_IN).map(|t| t.len()),
            Ok(lines),
            "every line of the table is `code = name`"
        );
    }

    #[test]
    fn a_file_overrides_and_adds_to_the_built_in_names() {
        let list = parse("# ours\ncls = 财联社电报\nlocal-desk = 本地新闻 # the city desk\n\n").expect("parses");
        let table = Categories::from_setting(&WordList::File {
            path: "c.txt".into(),
            list,
        });
        let codes = ["cls", "local-desk", "caijing", "other"].map(String::from);
        assert_eq!(table.names(&codes), ["财联社电报", "本地新闻", "财经", "other"]);
        assert_eq!(Categories::from_setting(&WordList::Off).names(&codes[..1]), ["cls"]);
        assert_eq!(Categories::from_setting(&WordList::Builtin).name("cls"), "财联社");
    }

    #[test]
    fn a_bad_line_is_refused_with_its_number() {
        assert_eq!(
            parse("cls = 财联社\n\n财经\n"),
            Err((3, "expected `code = name`, not \"财经\"".to_string()))
        );
        assert_eq!(
            parse("cls =\n"),
            Err((1, "expected `code = name`, not \"cls =\"".to_string()))
        );
        assert_eq!(
            parse("a b = 甲\n"),
            Err((1, "the code \"a b\" has a space in it".to_string()))
        );
        assert_eq!(
            parse("cls = 甲\n# x\ncls = 乙\n"),
            Err((3, "`cls` is named on line 1 already".to_string()))
        );
        let long = format!("x = {}\n", "长".repeat(MAX_CATEGORY_CHARS + 1));
        assert_eq!(
            parse(&long),
            Err((1, format!("a code or name longer than {MAX_CATEGORY_CHARS} characters")))
        );
    }
}
