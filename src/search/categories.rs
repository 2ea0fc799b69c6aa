//! Readable names of category codes (`cls` → 财联社, `xinwenlianbo` → 新闻联播): the
//! built-in table `src/data/categories.txt`, `code = name` a line.

use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The built-in table, as shipped.
const BUILT_IN: &str = include_str!("../data/categories.txt");

/// The built-in table, parsed once.
static NAMES: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| parse(BUILT_IN));

/// The `code = name` lines of `text`; blank lines, `#` comments and lines without both
/// sides are skipped (the built-in table is checked by a test, so none are).
fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .filter_map(|line| line.split_once('='))
        .map(|(code, name)| (code.trim(), name.trim()))
        .filter(|(code, name)| !code.is_empty() && !name.is_empty())
        .map(|(code, name)| (code.to_string(), name.to_string()))
        .collect()
}

/// The readable name of category `code`, or the code itself when the table has none.
pub fn name(code: &str) -> &str {
    NAMES.get(code).map_or(code, String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_names_the_corpus_categories_and_has_no_bad_line() {
        assert_eq!(name("cls"), "财联社");
        assert_eq!(name("xinwenlianbo"), "新闻联播");
        assert_eq!(name("caijing"), "财经");
        assert_eq!(name("no-such-code"), "no-such-code");
        let lines = BUILT_IN
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .count();
        assert_eq!(NAMES.len(), lines, "every line of the table is `code = name`");
    }
}
