//! Stable article ids: the same article read again gets the same id, so indexing it again
//! replaces it instead of adding a copy.
//!
//! The rule, in order:
//! 1. an id the input gives itself (front matter `id:`, JSONL `"id"`), kept as written when
//!    it is a plain id (letters, digits, `.`, `_`, `-`, `:`; 1 to 128 characters, starting
//!    with a letter or digit), otherwise `i-` and a hash of it;
//! 2. a post file: its file name without the extension and without a Jekyll date prefix
//!    (`2022-05-11-sh-close.md` → `sh-close`), or `f-` and a hash of the name when the name
//!    is not a plain id;
//! 3. a JSONL record with a `url`: `u-` and a hash of the URL (scheme, `www.`, fragment and
//!    a trailing `/` ignored, host lower-cased);
//! 4. otherwise: `t-` and a hash of the title and date.
//!
//! Hashes are the first 16 hex digits of XXH3-64, stable across versions and machines.

use std::path::Path;

use xxhash_rust::xxh3::xxh3_64;

pub use crate::config::MAX_ID_LEN;

/// Whether `id` is a plain id that is kept as written (and is safe in a URL path).
pub fn is_plain(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
}

fn hashed(prefix: &str, key: &str) -> String {
    format!("{prefix}-{:016x}", xxh3_64(key.as_bytes()))
}

/// Rule 1: an id given by the input.
pub fn from_explicit(id: &str) -> String {
    let id = id.trim();
    if is_plain(id) { id.to_string() } else { hashed("i", id) }
}

/// Rule 2: a post file's id from its name.
pub fn from_post_path(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let slug = strip_date_prefix(stem).trim_matches(|c: char| c == '-' || c == '_' || c == '.');
    if is_plain(slug) {
        slug.to_string()
    } else {
        hashed("f", stem)
    }
}

/// Rule 3: a record's id from its URL.
pub fn from_url(url: &str) -> String {
    hashed("u", &normalize_url(url))
}

/// Rule 4: a record's id from its title and date (RFC 3339, or empty).
pub fn from_title_date(title: &str, date: &str) -> String {
    hashed("t", &format!("{title}\u{1f}{date}"))
}

fn strip_date_prefix(stem: &str) -> &str {
    let b = stem.as_bytes();
    let is_date = b.len() > 11
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && b[10] == b'-';
    if is_date { &stem[11..] } else { stem }
}

/// The parts of a URL that identify an article: no scheme, no `www.`, no fragment, no
/// trailing slash, host in lower case.
pub fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let url = url.split('#').next().unwrap_or(url);
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.trim_start_matches('/');
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    format!("{host}/{}", path.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_ids_come_from_the_file_name() {
        assert_eq!(from_post_path(Path::new("a/b/sh-close.md")), "sh-close");
        assert_eq!(
            from_post_path(Path::new("2022-05-11-202205112375702516.md")),
            "202205112375702516"
        );
        assert_eq!(
            from_post_path(Path::new("-202205262391921712.md")),
            "202205262391921712"
        );
        assert_eq!(
            from_post_path(Path::new("000_aa24a9182e54e910.txt")),
            "000_aa24a9182e54e910"
        );
        let chinese = from_post_path(Path::new("新闻.md"));
        assert!(chinese.starts_with("f-") && chinese.len() == 18, "{chinese}");
    }

    #[test]
    fn urls_that_differ_only_in_form_share_an_id() {
        assert_eq!(
            from_url("https://www.Example.com/a/b.html#top"),
            from_url("http://example.com/a/b.html")
        );
        assert_ne!(from_url("http://example.com/a"), from_url("http://example.com/b"));
    }

    #[test]
    fn explicit_ids_are_kept_when_plain() {
        assert_eq!(from_explicit("cls-2370637"), "cls-2370637");
        assert!(from_explicit("a b/c").starts_with("i-"));
    }
}
