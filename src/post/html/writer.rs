//! The text writer: one paragraph per line, whitespace collapsed the way Chinese text needs;
//! it knows nothing of HTML, only of boxes (paragraphs, cells) and line breaks.

/// Pending separator between the last written character and the next one.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Gap {
    #[default]
    None,
    /// Source whitespace with a line break in it: a space, unless it sits between CJK
    /// characters (source wrapping must not split Chinese words).
    Soft,
    /// Source whitespace on one line: one space, even between CJK characters, since
    /// headlines separate phrases that way (学思想 强党性 重实践).
    Typed,
    /// A table-cell boundary: always a space, even between CJK characters.
    Hard,
}

/// Builds the output line by line, deciding separators lazily so that nothing trailing
/// (spaces, newlines) is ever written.
///
/// Text arrives tagged with the box (block or table cell) it belongs to: visible text in
/// another box than the last starts a new line. That is how the end of a paragraph is seen
/// without an end-of-element event, and why whitespace alone never breaks a line (the
/// spaces a parser leaves between table cells belong to the row).
#[derive(Default)]
pub(super) struct Writer {
    out: String,
    /// Last character of the current line; `None` while the line is still empty.
    last: Option<char>,
    gap: Gap,
    /// Inside `<pre>` and in plain text, a source line break is a paragraph break.
    newlines_break: bool,
    /// The box of the text being written.
    text_box: u32,
    /// The box of the last visible character or of the last box opened.
    written_box: u32,
}

impl Writer {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Writer {
            out: String::with_capacity(capacity),
            ..Writer::default()
        }
    }

    /// Writes source text of box `in_box`; `pre` keeps its line breaks.
    pub(super) fn text(&mut self, s: &str, in_box: u32, pre: bool) {
        self.text_box = in_box;
        self.newlines_break = pre;
        // Runs of visible characters are copied with one `push_str` each; only the characters
        // that separate runs need a decision.
        let mut start = 0;
        for (i, c) in s.char_indices() {
            if is_visible(c) {
                continue;
            }
            self.run(s.get(start..i).unwrap_or_default());
            start = i + c.len_utf8();
            if self.newlines_break && (c == '\n' || c == '\r') {
                self.line_break();
            } else if is_space(c) {
                self.soft_space(c == '\n' || c == '\r');
            }
        }
        self.run(s.get(start..).unwrap_or_default());
    }

    /// A block box opens: a new line.
    pub(super) fn open_block(&mut self, id: u32) {
        self.line_break();
        self.written_box = id;
    }

    /// A table cell opens: a space from the previous cell.
    pub(super) fn open_cell(&mut self, id: u32) {
        self.hard_space();
        self.written_box = id;
    }

    fn run(&mut self, run: &str) {
        let mut chars = run.chars();
        let Some(first) = chars.next() else {
            return;
        };
        if self.text_box != self.written_box {
            self.line_break();
            self.written_box = self.text_box;
        }
        if let Some(prev) = self.last {
            match self.gap {
                Gap::Hard | Gap::Typed => self.out.push(' '),
                Gap::Soft if !joins_without_space(prev, first) => self.out.push(' '),
                _ => {}
            }
        }
        self.gap = Gap::None;
        self.out.push_str(run);
        self.last = Some(chars.next_back().unwrap_or(first));
    }

    fn soft_space(&mut self, line_break: bool) {
        if self.last.is_none() {
            return;
        }
        self.gap = match (self.gap, line_break) {
            (Gap::Hard, _) => Gap::Hard,
            (_, true) | (Gap::Soft, false) => Gap::Soft,
            (Gap::None | Gap::Typed, false) => Gap::Typed,
        };
    }

    fn hard_space(&mut self) {
        if self.last.is_some() {
            self.gap = Gap::Hard;
        }
    }

    /// Appends what another writer wrote, as lines of their own.
    pub(super) fn append(&mut self, other: Writer) {
        if other.out.is_empty() {
            return;
        }
        self.line_break();
        self.out.push_str(&other.out);
        self.last = other.last;
        self.gap = other.gap;
        self.written_box = other.written_box;
    }

    /// Ends the current line, if anything is on it.
    pub(super) fn line_break(&mut self) {
        if self.last.is_some() {
            self.out.push('\n');
            self.last = None;
        }
        self.gap = Gap::None;
    }

    pub(super) fn finish(mut self) -> String {
        if self.out.ends_with('\n') {
            self.out.pop();
        }
        // The buffer was sized for the input; a whole page usually yields a small fraction of
        // it, and callers may keep many results alive.
        if self.out.capacity() > 2 * self.out.len() + 64 {
            self.out.shrink_to_fit();
        }
        self.out
    }
}

fn is_visible(c: char) -> bool {
    if c.is_ascii() {
        return c > ' ' && c != '\u{7f}';
    }
    !is_space(c) && !c.is_control()
}

/// The whitespace the writer collapses: ASCII and Unicode spaces, the ideographic space used
/// for paragraph indents, zero-width spaces and the BOM.
pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}')
        || matches!(c, '\u{2000}'..='\u{200B}')
        || matches!(
            c,
            '\u{85}'
                | '\u{A0}'
                | '\u{1680}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
        )
}

/// Chinese and Japanese put no spaces between words, so whitespace there is only source
/// line wrapping or indentation.
fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{4E00}'..='\u{9FFF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{3001}'..='\u{30FF}'
            | '\u{FF01}'..='\u{FFEF}'
            | '\u{2E80}'..='\u{2FFF}'
            | '\u{3100}'..='\u{312F}'
            | '\u{3190}'..='\u{33FF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FE10}'..='\u{FE1F}'
            | '\u{FE30}'..='\u{FE4F}'
            | '\u{20000}'..='\u{3FFFF}'
    )
}

/// Punctuation that Chinese text shares with Latin text (curly quotes, dashes, ellipsis,
/// the name-separating middle dot): CJK only when it touches a CJK character.
fn is_shared_punct(c: char) -> bool {
    matches!(
        c,
        '\u{B7}'
            | '\u{2014}'
            | '\u{2015}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{201C}'
            | '\u{201D}'
            | '\u{2022}'
            | '\u{2026}'
    )
}

fn joins_without_space(before: char, after: char) -> bool {
    (is_cjk(before) && (is_cjk(after) || is_shared_punct(after))) || (is_shared_punct(before) && is_cjk(after))
}
