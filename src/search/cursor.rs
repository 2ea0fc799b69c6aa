//! Cursor tokens for deep paging: what a `next_cursor` holds (the sort key of the last hit
//! served, the fingerprint of the query it belongs to, the generation and the moment it
//! was made on) and its opaque, URL-safe text form. Which hits come after a key is the
//! backend's business; this module only writes and reads tokens.

use std::fmt::Write as _;

use xxhash_rust::xxh3::Xxh3;

use super::request::{SearchRequest, Sort};
use crate::error::QueryError;

/// The token format's version: a token of another version is refused, never misread.
const VERSION: u8 = 1;

/// Longest article id a cursor carries; ids are short, and a bound keeps tokens small.
const MAX_ID_BYTES: usize = 1024;

/// Longest generation name a cursor carries.
const MAX_GENERATION_BYTES: usize = 64;

/// Where a walk stopped: the key of the last hit it served.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// The hit was among the reranked best candidates (proximity, recency), which are
    /// listed before every other hit whatever its score.
    pub reranked: bool,
    /// Its score (0 in date order).
    pub score: f32,
    /// Its date in seconds, `i64::MIN` when undated.
    pub date: i64,
    /// Its id: the tie-break, the same in every generation.
    pub id: String,
}

/// A decoded cursor: the key to continue after, and what it was made for.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// The fingerprint of the request that made it ([`fingerprint`]).
    pub fingerprint: u64,
    /// The generation (the local index's `gen-000002`, or a backend's own name) it was
    /// made on.
    pub generation: String,
    /// The moment recency was measured from on the first page, in seconds, so every
    /// page of a walk ages articles alike.
    pub now: i64,
    /// The last hit served.
    pub after: SortKey,
}

/// A hash of everything that decides which hits a request has and in what order: the
/// query text, filters, order, collapsing and recency (not the page size, which may
/// change along a walk).
pub fn fingerprint(request: &SearchRequest) -> u64 {
    let mut text = String::new();
    let f = &request.filters;
    // Lengths before values, so no two requests write the same text.
    let _ = write!(text, "{}:{}", request.query.len(), request.query);
    for list in [&f.tags, &f.categories] {
        let _ = write!(text, "|{}", list.len());
        for value in list {
            let _ = write!(text, ",{}:{value}", value.len());
        }
    }
    let seconds = |at: Option<time::OffsetDateTime>| at.map(|t| t.unix_timestamp().to_string()).unwrap_or_default();
    let _ = write!(
        text,
        "|{}|{}|{}|{}|{}",
        seconds(f.from),
        seconds(f.to),
        matches!(request.sort, Sort::Date),
        request.collapse as u8,
        request.recency_days.map(f64::to_bits).unwrap_or_default()
    );
    let mut hasher = Xxh3::new();
    hasher.update(text.as_bytes());
    hasher.digest()
}

impl Cursor {
    /// The token's text: base64url without padding, safe in a URL and a shell.
    pub fn encode(&self) -> String {
        let mut bytes = vec![VERSION, u8::from(self.after.reranked)];
        bytes.extend_from_slice(&self.fingerprint.to_le_bytes());
        bytes.extend_from_slice(&self.now.to_le_bytes());
        bytes.extend_from_slice(&self.after.score.to_bits().to_le_bytes());
        bytes.extend_from_slice(&self.after.date.to_le_bytes());
        let generation = truncated(&self.generation, MAX_GENERATION_BYTES);
        bytes.push(generation.len() as u8);
        bytes.extend_from_slice(generation.as_bytes());
        let id = truncated(&self.after.id, MAX_ID_BYTES);
        bytes.extend_from_slice(&(id.len() as u16).to_le_bytes());
        bytes.extend_from_slice(id.as_bytes());
        base64url(&bytes)
    }

    /// Reads a token; anything but a whole token of this version is
    /// [`QueryError::InvalidCursor`].
    pub fn decode(token: &str) -> Result<Cursor, QueryError> {
        let invalid = || QueryError::InvalidCursor {
            reason: "it is not a cursor this server gave out".into(),
        };
        let bytes = unbase64url(token.trim()).ok_or_else(invalid)?;
        let mut r = Reader { bytes: &bytes };
        if r.take(1).ok_or_else(invalid)? != [VERSION] {
            return Err(invalid());
        }
        let reranked = match r.take(1).ok_or_else(invalid)? {
            [0] => false,
            [1] => true,
            _ => return Err(invalid()),
        };
        let fingerprint = u64::from_le_bytes(r.array().ok_or_else(invalid)?);
        let now = i64::from_le_bytes(r.array().ok_or_else(invalid)?);
        let score = f32::from_bits(u32::from_le_bytes(r.array().ok_or_else(invalid)?));
        let date = i64::from_le_bytes(r.array().ok_or_else(invalid)?);
        let [generation_len] = r.array().ok_or_else(invalid)?;
        let generation = r.text(usize::from(generation_len)).ok_or_else(invalid)?;
        let id_len = u16::from_le_bytes(r.array().ok_or_else(invalid)?);
        let id = r.text(usize::from(id_len)).ok_or_else(invalid)?;
        if !r.bytes.is_empty() || !score.is_finite() {
            return Err(invalid());
        }
        Ok(Cursor {
            fingerprint,
            generation,
            now,
            after: SortKey {
                reranked,
                score,
                date,
                id,
            },
        })
    }

    /// Refuses a cursor made for another request (query, filters, order, collapsing,
    /// recency).
    pub fn check(&self, request: &SearchRequest) -> Result<(), QueryError> {
        if self.fingerprint != fingerprint(request) {
            return Err(QueryError::InvalidCursor {
                reason: "it was made for another query, filter or order".into(),
            });
        }
        Ok(())
    }
}

/// The longest prefix of `text` within `max` bytes, cut at a character boundary.
fn truncated(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Reads a token's fields in order.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn text(&mut self, n: usize) -> Option<String> {
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 §5 base64url, no padding. Written here: a few lines, where a crate would be a
/// dependency for one call.
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The inverse of [`base64url`]; `None` for any other text (a padded or non-canonical
/// token included).
fn unbase64url(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let digit = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|p| p as u32);
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= digit(c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let kept = chunk.len() - 1;
        // Bits past the last whole byte must be zero, so each byte string has one token.
        if bytes[kept..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[..kept]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor {
            fingerprint: fingerprint(&SearchRequest::new("国内")),
            generation: "gen-000003".into(),
            now: 1_733_000_000,
            after: SortKey {
                reranked: true,
                score: 7.25,
                date: -5,
                id: "新闻-1".into(),
            },
        }
    }

    #[test]
    fn a_token_reads_back_as_it_was_written() {
        let token = cursor().encode();
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{token}"
        );
        assert_eq!(Cursor::decode(&token), Ok(cursor()));
        for n in 0..5 {
            let bytes: Vec<u8> = (0..n).map(|i| 250 - i).collect();
            assert_eq!(unbase64url(&base64url(&bytes)), Some(bytes));
        }
        assert_eq!(base64url(b"xinwen"), "eGlud2Vu");
    }

    #[test]
    fn damaged_tokens_are_refused() {
        let token = cursor().encode();
        let refused = |t: &str| Cursor::decode(t).map_err(|e| e.to_string());
        let message =
            Err("invalid cursor: it is not a cursor this server gave out; start again without `cursor`".into());
        assert_eq!(refused(""), message);
        assert_eq!(refused("!!!!"), message);
        assert_eq!(refused(&token[..token.len() - 3]), message, "cut short");
        assert_eq!(refused(&format!("{token}AAAA")), message, "trailing bytes");
        assert_eq!(refused(&format!("B{}", &token[1..])), message, "another version");
    }

    #[test]
    fn a_cursor_belongs_to_one_request() {
        let c = cursor();
        assert_eq!(c.check(&SearchRequest::new("国内")), Ok(()));
        let other = SearchRequest {
            sort: Sort::Date,
            ..SearchRequest::new("国内")
        };
        assert_eq!(
            c.check(&other).map_err(|e| e.to_string()),
            Err("invalid cursor: it was made for another query, filter or order; start again without `cursor`".into())
        );
        let bigger_page = SearchRequest {
            limit: 50,
            ..SearchRequest::new("国内")
        };
        assert_eq!(c.check(&bigger_page), Ok(()), "the page size may change along a walk");
    }
}
