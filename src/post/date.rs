//! Article dates as news sources write them: `2022-05-11 14:33:56 +0800`, `2021-12-08
//! 10:46:18`, `2023-07-01`, RFC 3339. A date without an offset is Beijing time (+08:00).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Beijing time, the implied offset of every Chinese news date written without one.
pub const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// What a date field held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParsedDate {
    /// A date (and time, midnight when absent).
    At(OffsetDateTime),
    /// Nothing but whitespace or a bare offset (`date:  +0800`): the article has no date.
    Missing,
}

/// Parses a date as written in front matter or JSON; `None` when it is not a date.
pub fn parse_date(raw: &str) -> Option<ParsedDate> {
    let s = raw.trim();
    if s.is_empty() || parse_offset(s).is_some() {
        return Some(ParsedDate::Missing);
    }
    let mut cur = Cursor {
        s: s.as_bytes(),
        pos: 0,
    };
    let year = cur.digits(4, 4)?;
    let sep = cur.one_of(b"-/.")?;
    let month = cur.digits(1, 2)?;
    cur.eat(sep)?;
    let day = cur.digits(1, 2)?;
    let date = Date::from_calendar_date(year as i32, Month::try_from(month as u8).ok()?, day as u8).ok()?;
    let mut time = Time::MIDNIGHT;
    cur.skip_spaces();
    if cur.peek() == Some(b'T') || cur.peek() == Some(b't') {
        cur.pos += 1;
    }
    if cur.peek().is_some_and(|b| b.is_ascii_digit()) {
        let hour = cur.digits(1, 2)?;
        cur.eat(b':')?;
        let minute = cur.digits(2, 2)?;
        let mut second = 0;
        let mut nano = 0;
        if cur.peek() == Some(b':') {
            cur.pos += 1;
            second = cur.digits(2, 2)?;
            if cur.peek() == Some(b'.') || cur.peek() == Some(b',') {
                cur.pos += 1;
                let start = cur.pos;
                let frac = cur.digits(1, 9)?;
                let width = cur.pos - start;
                nano = frac * 10u32.pow(9 - width as u32);
            }
        }
        time = Time::from_hms_nano(hour as u8, minute as u8, second as u8, nano).ok()?;
    }
    cur.skip_spaces();
    let rest = std::str::from_utf8(&cur.s[cur.pos..]).ok()?;
    let offset = if rest.is_empty() { BEIJING } else { parse_offset(rest)? };
    Some(ParsedDate::At(PrimitiveDateTime::new(date, time).assume_offset(offset)))
}

/// Parses a date given as a search filter bound: `YYYY-MM-DD` or RFC 3339 (and the other
/// forms [`parse_date`] reads). A date without a time is the start of that day, Beijing time.
pub fn parse_bound(raw: &str) -> Option<OffsetDateTime> {
    match parse_date(raw)? {
        ParsedDate::At(at) => Some(at),
        ParsedDate::Missing => None,
    }
}

/// `Z`, `+08:00`, `+0800`, `+08`, `UTC`, `GMT+8` style offsets.
fn parse_offset(s: &str) -> Option<UtcOffset> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("z") || s.eq_ignore_ascii_case("utc") || s.eq_ignore_ascii_case("gmt") {
        return Some(UtcOffset::UTC);
    }
    let s = s.strip_prefix("UTC").or_else(|| s.strip_prefix("GMT")).unwrap_or(s);
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1i8, &s[1..]),
        b'-' => (-1i8, &s[1..]),
        _ => return None,
    };
    // Checked before slicing: a multi-byte character would put a byte index inside it.
    if !digits.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        1 | 2 => (digits.parse::<i8>().ok()?, 0),
        4 => (digits[..2].parse::<i8>().ok()?, digits[2..].parse::<i8>().ok()?),
        5 if digits.as_bytes()[2] == b':' => (digits[..2].parse::<i8>().ok()?, digits[3..].parse::<i8>().ok()?),
        _ => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    fn one_of(&mut self, set: &[u8]) -> Option<u8> {
        let b = self.peek().filter(|b| set.contains(b))?;
        self.pos += 1;
        Some(b)
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// Reads `min..=max` ASCII digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.pos;
        let mut value = 0u32;
        while self.pos - start < max {
            match self.peek() {
                Some(b) if b.is_ascii_digit() => {
                    value = value * 10 + u32::from(b - b'0');
                    self.pos += 1;
                }
                _ => break,
            }
        }
        (self.pos - start >= min).then_some(value)
    }
}

/// Formats a date as RFC 3339 in Beijing time, the form every output uses.
pub fn format_date(at: OffsetDateTime) -> String {
    let at = at.to_offset(BEIJING);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    at.format(format).unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc(raw: &str) -> Option<String> {
        match parse_date(raw)? {
            ParsedDate::At(at) => Some(format_date(at)),
            ParsedDate::Missing => Some("missing".into()),
        }
    }

    #[test]
    fn reads_the_forms_news_posts_use() {
        assert_eq!(
            rfc("2022-05-11 14:33:56 +0800").as_deref(),
            Some("2022-05-11T14:33:56+08:00")
        );
        assert_eq!(rfc("2021-12-08 10:46:18").as_deref(), Some("2021-12-08T10:46:18+08:00"));
        assert_eq!(rfc("2023-07-01").as_deref(), Some("2023-07-01T00:00:00+08:00"));
        assert_eq!(
            rfc("2018-05-14T19:26:29+08:00").as_deref(),
            Some("2018-05-14T19:26:29+08:00")
        );
        assert_eq!(
            rfc("2018-05-14T11:26:29Z").as_deref(),
            Some("2018-05-14T19:26:29+08:00")
        );
        assert_eq!(rfc("2022/5/1 9:05").as_deref(), Some("2022-05-01T09:05:00+08:00"));
        assert_eq!(
            rfc("2022-05-11 14:33:56.250 -0500").as_deref(),
            Some("2022-05-12T03:33:56+08:00")
        );
    }

    #[test]
    fn a_bare_offset_or_blank_is_no_date() {
        assert_eq!(rfc(" +0800").as_deref(), Some("missing"));
        assert_eq!(rfc("").as_deref(), Some("missing"));
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for bad in [
            "2023-13-45 25:61:00 +0800",
            "2023-02-30",
            "yesterday",
            "2023-01-01 10:00 +99",
            "20230101",
            "2023-01-01 10",
            "+ࠀa",
            "2023-01-01 10:00 +ࠀa",
            "2023-01-01 10:00 -0é0",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
