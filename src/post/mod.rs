//! Reading news: a post file (Jekyll front matter + HTML body + source-link trailer) or a
//! JSON Lines record becomes an [`Article`], or a [`Rejection`] saying where and why.
//! This module knows nothing of tantivy.

mod article;
pub mod date;
pub(crate) mod front_matter;
pub mod html;
pub mod id;
pub mod jsonl;
pub mod sources;
mod walk;

use std::fmt;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::error::PostError;
pub use article::{Article, title_key};
pub use date::{ParsedDate, format_date, parse_date};
pub use sources::{Batch, Input, InputKind, Origin, Reader};

pub use crate::config::MAX_INPUT_BYTES;

/// Where an input came from: a file, and a line for JSONL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line, for JSON Lines.
    pub line: Option<usize>,
}

impl fmt::Display for Location {
    /// The path with its control characters escaped (`\u{1b}`): a file name is input too,
    /// and rejections are printed on terminals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display().to_string();
        for c in path.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        match self.line {
            Some(line) => write!(f, ":{line}"),
            None => Ok(()),
        }
    }
}

/// An input that could not become an article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {reason}")]
pub struct Rejection {
    /// The file, and the line of a JSONL file, the input was read from.
    pub location: Location,
    /// What was wrong with it; its code is the reason it is counted under.
    pub reason: PostError,
}

/// Decodes a post file's bytes and parses it.
pub fn parse_post_bytes(path: &Path, bytes: &[u8]) -> Result<Article, PostError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(PostError::TooLarge { limit: MAX_INPUT_BYTES });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| PostError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    parse_post(path, text)
}

/// Parses a post: front matter, then the HTML body, then the trailer (a `<http://…>`
/// source link and `[返回…](…)` navigation lines), which is not part of the body.
pub fn parse_post(path: &Path, text: &str) -> Result<Article, PostError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (yaml, rest) = front_matter::split(text)?;
    let fm = front_matter::parse(yaml)?;
    let title = clean_title(fm.title.as_deref()).ok_or(PostError::MissingTitle)?;
    let date = parse_date_field(fm.date.as_deref())?;
    let (body_html, trailer_url) = strip_trailer(rest);
    let body = body_text(body_html);
    if body.is_empty() {
        return Err(PostError::EmptyBody);
    }
    let url = fm.url.or(trailer_url).and_then(|u| clean_opt(&u));
    // An id is not stripped: one with control characters is hashed (`id::from_explicit`).
    let id = match fm.id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
        Some(own) => id::from_explicit(own),
        None => id::from_post_path(path),
    };
    Ok(Article {
        id,
        url,
        title,
        body,
        date,
        tags: clean_list(fm.tags),
        categories: clean_list(fm.categories),
        source: fm.source.and_then(|s| clean_opt(&s)),
    })
}

/// Parses the `date` field: absent or a bare offset is no date; anything else must parse.
pub(crate) fn parse_date_field(raw: Option<&str>) -> Result<Option<OffsetDateTime>, PostError> {
    match raw.map(|r| (r, parse_date(r))) {
        None | Some((_, Some(ParsedDate::Missing))) => Ok(None),
        Some((_, Some(ParsedDate::At(at)))) => Ok(Some(at)),
        Some((raw, None)) => Err(PostError::InvalidDate(raw.trim().to_string())),
    }
}

/// Body markup → text: markdown blockquote markers (`> digest`) are dropped, HTML goes
/// through [`html::html_to_text`], and control characters but newlines and tabs go.
pub(crate) fn body_text(body: &str) -> String {
    let has_quote = body.lines().any(|l| l.starts_with('>'));
    let text = if has_quote {
        let unquoted: String = body
            .split_inclusive('\n')
            .map(|l| l.strip_prefix("> ").or_else(|| l.strip_prefix('>')).unwrap_or(l))
            .collect();
        html::html_to_text(&unquoted)
    } else {
        html::html_to_text(body)
    };
    match strip_controls(&text, true) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(stripped) => stripped.trim().to_string(),
    }
}

/// `text` without C0 and C1 control characters (and DEL); with `keep_lines`, newlines and
/// tabs stay (a body's paragraphs). Stored text is printed on terminals and in pages: an
/// ESC or BEL in a title would print escape sequences (a window title, an OSC 8 link).
pub(crate) fn strip_controls(text: &str, keep_lines: bool) -> std::borrow::Cow<'_, str> {
    let unwanted = |c: char| c.is_control() && !(keep_lines && (c == '\n' || c == '\t'));
    if text.chars().any(unwanted) {
        std::borrow::Cow::Owned(text.chars().filter(|&c| !unwanted(c)).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Splits the post trailer off the body: trailing blank lines, navigation lines made only
/// of markdown links (`[返回首页](//…)`), and a bare `<http://…>` source link (possibly
/// empty: `<>`). Returns the body and the link.
fn strip_trailer(rest: &str) -> (&str, Option<String>) {
    let mut end = rest.len();
    let mut url = None;
    let mut seen_link = false;
    loop {
        let head = rest[..end].trim_end();
        let line_start = head.rfind('\n').map_or(0, |i| i + 1);
        let line = head[line_start..].trim();
        if line.is_empty() {
            return (&rest[..head.len()], url);
        }
        if is_nav_line(line) {
            end = line_start;
            continue;
        }
        if !seen_link && let Some(inner) = line.strip_prefix('<').and_then(|l| l.strip_suffix('>')) {
            let inner = inner.trim();
            if inner.is_empty()
                || inner.starts_with("http://")
                || inner.starts_with("https://")
                || inner.starts_with("//")
            {
                seen_link = true;
                url = (!inner.is_empty()).then(|| inner.to_string());
                end = line_start;
                continue;
            }
        }
        return (&rest[..head.len()], url);
    }
}

/// A line of markdown links only, joined by `｜`, `|` or spaces: `[返回…](…)｜[返回首页](…)`.
fn is_nav_line(line: &str) -> bool {
    let mut rest = line;
    let mut links = 0;
    loop {
        rest = rest.trim_start_matches(['｜', '|', ' ', '\u{3000}']);
        if rest.is_empty() {
            return links > 0;
        }
        let Some(after_open) = rest.strip_prefix('[') else {
            return false;
        };
        let Some(close) = after_open.find("](") else {
            return false;
        };
        let after_text = &after_open[close + 2..];
        let Some(paren) = after_text.find(')') else {
            return false;
        };
        rest = &after_text[paren + 1..];
        links += 1;
    }
}

/// A title with whitespace collapsed; `None` when empty.
pub(crate) fn clean_title(raw: Option<&str>) -> Option<String> {
    let raw = raw?;
    let text = if html::looks_like_html(raw) && raw.contains("&") {
        html::html_to_text(raw)
    } else {
        raw.to_string()
    };
    let collapsed = strip_controls(&text, true)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!collapsed.is_empty()).then_some(collapsed)
}

/// A one-line value (url, source) trimmed, without control characters; `None` when empty.
pub(crate) fn clean_opt(raw: &str) -> Option<String> {
    let t = strip_controls(raw, false);
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Trims list values, drops empty ones and duplicates, keeps the order given. A single
/// string may hold several values separated by commas or `、`.
pub(crate) fn clean_list(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in &values {
        for part in value.split([',', '，', '、']) {
            let part = strip_controls(part, true)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if !part.is_empty() && !out.contains(&part) {
                out.push(part);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_LIKE: &str = "---\nlayout: post\ntitle: \"测试标题\"\ndate: 2022-05-11 14:33:56 +0800\ncategories: caijing\ntags: 财经新闻\n---\n<p>第一段&amp;正文</p><p>第二段</p>\n\n<http://news.example.com/a.html>\n\n[返回财经新闻](//news.example.com/caijing/)｜[返回首页](//news.example.com/)";

    #[test]
    fn a_post_becomes_an_article() {
        let a = parse_post(Path::new("fixtures/posts/2022-05-11-sh-close.md"), SEED_LIKE).expect("valid post");
        assert_eq!(a.id, "sh-close");
        assert_eq!(a.title, "测试标题");
        assert_eq!(a.body, "第一段&正文\n第二段");
        assert_eq!(a.url.as_deref(), Some("http://news.example.com/a.html"));
        assert_eq!(a.tags, ["财经新闻"]);
        assert_eq!(a.categories, ["caijing"]);
        assert_eq!(a.date.map(format_date).as_deref(), Some("2022-05-11T14:33:56+08:00"));
    }

    #[test]
    fn crlf_bom_and_relative_nav_lines() {
        let text = "\u{feff}---\r\ntitle: 标题\r\n---\r\n<p>正文</p>\r\n\r\n<>\r\n\r\n[返回东财滚动新闻](../emnews/)\r\n[返回首页](../)\r\n";
        let a = parse_post(Path::new("x.md"), text).expect("valid post");
        assert_eq!(a.body, "正文");
        assert_eq!(a.url, None);
    }

    #[test]
    fn a_body_of_only_trailer_is_empty() {
        let text = "---\ntitle: 标题\n---\n\n<http://x.example.com/>\n[返回首页](//x/)\n";
        assert_eq!(parse_post(Path::new("x.md"), text), Err(PostError::EmptyBody));
    }

    #[test]
    fn issue_14_control_characters_are_stripped_from_every_field() {
        let esc = "\u{1b}]0;owned\u{7}";
        let link = "\u{1b}]8;;http://evil.example\u{1b}\\";
        let text = format!(
            "---\ntitle: \"标题{esc}\"\ntags: [\"A股{link}\"]\ncategories: \"财经\u{9b}31m\"\n\
             source: \"财联社\u{7f}\"\nurl: \"http://x.example.com/{esc}\"\n---\n<p>第一段{esc}</p><p>第二段\u{85}</p>\n"
        );
        let a = parse_post(Path::new("x.md"), &text).expect("valid post");
        assert_eq!(a.title, "标题]0;owned");
        assert_eq!(a.tags, ["A股]8;;http://evil.example\\"]);
        assert_eq!(a.categories, ["财经31m"]);
        assert_eq!(a.source.as_deref(), Some("财联社"));
        assert_eq!(a.url.as_deref(), Some("http://x.example.com/]0;owned"));
        assert_eq!(a.body, "第一段]0;owned\n第二段");

        let line =
            r#"{"id":"c","title":"t\u001b[2J","body":"a\u0007\tb\nc","source":"s\u001b","url":"http://u\u0000"}"#;
        let j = jsonl::parse_line(line).expect("valid record");
        assert_eq!(
            (j.title.as_str(), j.body.as_str()),
            ("t[2J", "a b\nc"),
            "the tab is HTML white space"
        );
        assert_eq!((j.source.as_deref(), j.url.as_deref()), (Some("s"), Some("http://u")));
    }

    #[test]
    fn a_location_escapes_control_characters_in_its_path() {
        let location = Location {
            path: PathBuf::from("feeds/\u{1b}]0;x\u{7}.jsonl"),
            line: Some(3),
        };
        assert_eq!(location.to_string(), "feeds/\\u{1b}]0;x\\u{7}.jsonl:3");
    }

    #[test]
    fn lists_split_on_commas_and_drop_duplicates() {
        assert_eq!(
            clean_list(vec!["A股, 白酒".into(), "白酒".into(), " ".into()]),
            ["A股", "白酒"]
        );
    }
}
