//! Article text on a terminal. A stored title, tag, URL or body may hold control characters
//! (indexes built before ingestion stripped them, or written through the library): printed
//! raw, a terminal obeys them — ESC `]0;…BEL` sets the window title, ESC `]8;;…` makes a
//! hyperlink, CSI moves the cursor or clears the screen. The text output shows each one as
//! `\u{1b}` instead; the JSON output escapes them all as `\u001b`.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::search::Highlighted;
use crate::search::snippet::Part;

/// The control characters a body keeps on a terminal: line breaks and tabs.
pub(super) const BODY_KEEPS: &[char] = &['\n', '\t'];

/// `text` with every control character (C0, DEL, C1) but those in `keep` written as
/// `\u{XX}`: visible, and never obeyed by the terminal.
pub(super) fn shown<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    if !text.chars().any(|c| c.is_control() && !keep.contains(&c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && !keep.contains(&c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Highlighted text on one line, query words between `open` and `close` (colours or
/// markers), its control characters shown as in [`shown`].
pub(super) fn render(text: &Highlighted, open: &str, close: &str) -> String {
    let mut out = String::new();
    for part in &text.parts {
        match part {
            Part::Text(t) => out.push_str(&shown(t, &[])),
            Part::Mark(t) => {
                out.push_str(open);
                out.push_str(&shown(t, &[]));
                out.push_str(close);
            }
            Part::Ellipsis => out.push('…'),
        }
    }
    out
}

/// Writes `value` as pretty JSON and a newline, with DEL and the C1 controls escaped too:
/// serde_json escapes only U+0000–U+001F, and U+009B is CSI to a terminal that reads
/// UTF-8-encoded C1 controls.
pub(super) fn write_json(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, TerminalSafe(PrettyFormatter::new()));
    value.serialize(&mut serializer)?;
    writeln!(out)?;
    Ok(())
}

/// serde_json's pretty layout, escaping every control character left in strings.
struct TerminalSafe(PrettyFormatter<'static>);

impl Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices().filter(|(_, c)| c.is_control()) {
            writer.write_all(&fragment.as_bytes()[start..i])?;
            write!(writer, "\\u{:04x}", u32::from(c))?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_as_escapes_and_kept_ones_pass() {
        assert_eq!(shown("标题\x1b]0;pwned\x07", &[]), "标题\\u{1b}]0;pwned\\u{7}");
        assert_eq!(shown("a\u{9b}2J\u{7f}", &[]), "a\\u{9b}2J\\u{7f}");
        assert_eq!(shown("一\n二\t三\r", BODY_KEEPS), "一\n二\t三\\u{d}");
        assert!(matches!(shown("上海股市", &[]), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_del_and_c1_as_well() {
        let mut out = Vec::new();
        write_json(&mut out, &serde_json::json!({"t": "a\x1b\u{7f}\u{9b}b"})).expect("writes");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "{\n  \"t\": \"a\\u001b\\u007f\\u009bb\"\n}\n"
        );
    }
}
