//! At most [`MAX_ATTRIBUTES`] attributes a tag, enforced on the input before it is tokenized:
//! html5ever's tokenizer compares each new attribute with all earlier ones of its tag, so a
//! tag with n attributes costs n²/2 steps (a 16 MiB tag of one-letter attributes: hours).
//!
//! Which `<` opens a tag depends on state this pass cannot know (is it in a comment, a
//! script?), so it follows every `<` that could, all at once: the tag grammar is a small
//! automaton, and the set of states the readings are in is one state of a bigger automaton,
//! tabulated once. Attribute starts are counted for all readings together, from the last
//! byte where no reading was alive: no single reading counts more. When the count is about
//! to pass `MAX_ATTRIBUTES`, a `>` is inserted before the attribute. In a real tag that ends
//! the tag, and the rest of it shows as text, where a reader can see what happened; anywhere
//! else (a comment, a script, an attribute value) a `>` changes nothing that is shown. Real
//! pages never come near: no tag of the 2,866 CCTV pages gets a `>`.

use std::borrow::Cow;
use std::sync::LazyLock;

pub(crate) use crate::config::MAX_ATTRIBUTES;

/// The tokenizer's states inside a tag (HTML § 13.2.5.6–13.2.5.40), plus the byte after `<`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    EndOpen,
    Name,
    BeforeAttrName,
    AttrName,
    AfterAttrName,
    BeforeValue,
    DoubleQuoted,
    SingleQuoted,
    Unquoted,
    AfterQuoted,
    SelfClosing,
}

const STATES: [State; 12] = [
    State::Open,
    State::EndOpen,
    State::Name,
    State::BeforeAttrName,
    State::AttrName,
    State::AfterAttrName,
    State::BeforeValue,
    State::DoubleQuoted,
    State::SingleQuoted,
    State::Unquoted,
    State::AfterQuoted,
    State::SelfClosing,
];

/// The bytes the tag grammar tells apart; every other byte acts like `Other`.
#[derive(Clone, Copy)]
enum Class {
    Space,
    Slash,
    Gt,
    Lt,
    Equals,
    DoubleQuote,
    SingleQuote,
    Letter,
    Other,
}

const CLASSES: [Class; 9] = [
    Class::Space,
    Class::Slash,
    Class::Gt,
    Class::Lt,
    Class::Equals,
    Class::DoubleQuote,
    Class::SingleQuote,
    Class::Letter,
    Class::Other,
];

fn class(b: u8) -> Class {
    match b {
        b'\t' | b'\n' | b'\r' | b'\x0C' | b' ' => Class::Space,
        b'/' => Class::Slash,
        b'>' => Class::Gt,
        b'<' => Class::Lt,
        b'=' => Class::Equals,
        b'"' => Class::DoubleQuote,
        b'\'' => Class::SingleQuote,
        b if b.is_ascii_alphabetic() => Class::Letter,
        _ => Class::Other,
    }
}

/// Bytes that continue a name or a value in every state but the first after `<`.
static PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut b = 0;
    while b < 256 {
        plain[b] = !matches!(
            b as u8,
            b'\t' | b'\n' | b'\r' | b'\x0C' | b' ' | b'/' | b'>' | b'<' | b'=' | b'"' | b'\''
        );
        b += 1;
    }
    plain
};

/// What one byte does to one reading: its next state (`None`: the tag ended or never began)
/// and whether an attribute starts at this byte.
fn step(state: State, class: Class) -> Option<(State, bool)> {
    use Class::*;
    use State::*;
    let space = matches!(class, Space);
    Some(match (state, class) {
        (Open, Letter) => (Name, false),
        (Open, Slash) => (EndOpen, false),
        (EndOpen, Letter) => (Name, false),
        (Open | EndOpen, _) => return None,
        (DoubleQuoted, DoubleQuote) | (SingleQuoted, SingleQuote) => (AfterQuoted, false),
        (DoubleQuoted | SingleQuoted, _) => (state, false),
        (_, Gt) => return None,
        (Name, _) if space => (BeforeAttrName, false),
        (Name | BeforeAttrName | SelfClosing | AfterQuoted | AfterAttrName | AttrName, Slash) => (SelfClosing, false),
        (Name, _) => (Name, false),
        (BeforeAttrName | SelfClosing | AfterQuoted, _) if space => (BeforeAttrName, false),
        (BeforeAttrName | SelfClosing | AfterQuoted, _) => (AttrName, true),
        (AttrName | AfterAttrName, _) if space => (AfterAttrName, false),
        (AttrName | AfterAttrName, Equals) => (BeforeValue, false),
        (AttrName, _) => (AttrName, false),
        (AfterAttrName, _) => (AttrName, true),
        (BeforeValue, _) if space => (BeforeValue, false),
        (BeforeValue, DoubleQuote) => (DoubleQuoted, false),
        (BeforeValue, SingleQuote) => (SingleQuoted, false),
        (Unquoted, _) if space => (BeforeAttrName, false),
        (BeforeValue | Unquoted, _) => (Unquoted, false),
    })
}

/// A set of reading states: bit `i` is `STATES[i]`.
type Readings = u16;

/// In a transition: an attribute starts at this byte.
const STARTS: u16 = 1 << 15;

/// In `TABLE[readings][Class::Other]`: plain bytes leave these readings as they are, so a run
/// of them can be skipped.
const STAYS: u16 = 1 << 14;

/// `TABLE[readings][class]`: the next readings, with [`STARTS`] set when an attribute starts
/// and [`STAYS`] on the `Other` entry when plain bytes change nothing.
static TABLE: LazyLock<Vec<[u16; CLASSES.len()]>> = LazyLock::new(|| {
    (0..1u16 << STATES.len())
        .map(|readings| {
            let mut row = CLASSES.map(|class| {
                let mut next = 0;
                for (bit, state) in STATES.iter().enumerate() {
                    if readings & (1 << bit) == 0 {
                        continue;
                    }
                    if let Some((to, starts)) = step(*state, class) {
                        next |= 1 << to as u16;
                        if starts {
                            next |= STARTS;
                        }
                    }
                }
                if matches!(class, Class::Lt) {
                    next |= 1 << State::Open as u16;
                }
                next
            });
            let plain = [Class::Other, Class::Letter].map(|class| row[class as usize]);
            if readings != 0 && plain == [readings; 2] {
                row[Class::Other as usize] |= STAYS;
            }
            row
        })
        .collect()
});

fn advance(table: &[[u16; CLASSES.len()]], readings: Readings, b: u8) -> u16 {
    table
        .get(usize::from(readings))
        .and_then(|row| row.get(class(b) as usize))
        .copied()
        .unwrap_or(0)
}

/// Whether a run of plain bytes leaves `readings` as they are.
fn stays(table: &[[u16; CLASSES.len()]], readings: Readings) -> bool {
    table
        .get(usize::from(readings))
        .is_some_and(|row| row[Class::Other as usize] & STAYS != 0)
}

/// `html` with a `>` before every attribute that would make a tag's count pass
/// `MAX_ATTRIBUTES`.
pub(super) fn cap_attributes(html: &str) -> Cow<'_, str> {
    cap(html, MAX_ATTRIBUTES)
}

/// [`cap_attributes`] with another limit (the tests use small ones).
fn cap(html: &str, max: usize) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut readings: Readings = 0;
    let mut starts = 0;
    let table = TABLE.as_slice();
    let mut i = 0;
    while i < bytes.len() {
        if readings == 0 {
            // Outside every possible tag: jump to the next `<`, from the next character (a
            // reading can end inside one: `<中`).
            while !html.is_char_boundary(i) {
                i += 1;
            }
            let Some(lt) = html.get(i..).and_then(|rest| rest.find('<')) else {
                break;
            };
            i += lt;
            starts = 0;
        }
        let Some(&b) = bytes.get(i) else {
            break;
        };
        let mut next = advance(table, readings, b);
        if next & STARTS != 0 {
            starts += 1;
            if starts > max {
                // Only a reading outside quotes starts an attribute, and `>` ends it there.
                let text = out.get_or_insert_with(|| String::with_capacity(html.len() + 64));
                text.push_str(html.get(copied..i).unwrap_or_default());
                text.push('>');
                copied = i;
                next = advance(table, advance(table, readings, b'>') & !(STARTS | STAYS), b);
            }
        }
        readings = next & !(STARTS | STAYS);
        i += 1;
        if stays(table, readings) {
            while bytes.get(i).is_some_and(|&b| PLAIN[usize::from(b)]) {
                i += 1;
            }
        }
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut text) => {
            text.push_str(html.get(copied..).unwrap_or_default());
            Cow::Owned(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::{BufferQueue, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
    use proptest::prelude::*;

    use super::*;

    /// The most attributes html5ever's tokenizer gives any one tag of `html`.
    fn most_attributes(html: &str) -> usize {
        struct Most(Cell<usize>);
        impl TokenSink for Most {
            type Handle = ();
            fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
                if let Token::TagToken(tag) = token {
                    self.0.set(self.0.get().max(tag.attrs.len()));
                }
                TokenSinkResult::Continue
            }
        }
        let tokenizer = Tokenizer::new(Most(Cell::new(0)), TokenizerOpts::default());
        let queue = BufferQueue::default();
        queue.push_back(StrTendril::from_slice(html));
        let _ = tokenizer.feed(&queue);
        tokenizer.end();
        tokenizer.sink.0.get()
    }

    const SOUP: &[&str] = &[
        "<", "</", ">", "/", "=", "\"", "'", " ", "\n", "a", "b", "中", "\0", "<p", "x=", "&amp;",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// The automaton counts at least what the tokenizer finds: after the pass, no tag has
        /// more attributes than the limit, whatever the markup.
        #[test]
        fn no_tag_keeps_more_than_the_limit(picks in proptest::collection::vec(0..SOUP.len(), 0..80)) {
            let html: String = picks.iter().map(|&p| SOUP[p]).collect();
            let capped = cap(&html, 2);
            prop_assert!(most_attributes(&capped) <= 2, "{:?} → {:?}", html, capped);
        }
    }

    fn tag(attributes: usize) -> String {
        let mut s = String::from("<p");
        for n in 0..attributes {
            s.push_str(&format!(" a{n}"));
        }
        s.push('>');
        s
    }

    #[test]
    fn ordinary_markup_is_untouched() {
        let page = "<p class=\"a>b\" id=x data-x='1'>文<br/><a href=x>y</a></p><!-- <x -->a<b";
        assert!(matches!(cap_attributes(page), Cow::Borrowed(_)));
        assert!(matches!(cap_attributes(&tag(MAX_ATTRIBUTES)), Cow::Borrowed(_)));
    }

    #[test]
    fn one_attribute_too_many_is_cut_off_by_a_gt() {
        let long = tag(MAX_ATTRIBUTES + 2);
        let capped = cap_attributes(&long);
        let expected = format!(
            "{} >a{} a{}>",
            tag(MAX_ATTRIBUTES).trim_end_matches('>'),
            MAX_ATTRIBUTES,
            MAX_ATTRIBUTES + 1
        );
        assert_eq!(capped, expected);
    }

    #[test]
    fn a_reading_that_ends_inside_a_character_does_not_end_the_pass() {
        let html = format!("<中{}", tag(MAX_ATTRIBUTES + 1));
        assert_eq!(cap_attributes(&html).matches('>').count(), 2);
    }

    #[test]
    fn attributes_glued_by_quotes_and_slashes_count() {
        let glued = format!("<p{}>", "/a=\"1\"b='2'".repeat(MAX_ATTRIBUTES));
        let capped = cap_attributes(&glued);
        assert_eq!(capped.matches('>').count(), 2, "{capped}");
        // A `>` inside quotes does not end the tag, so the count goes on across it.
        let split = format!("<p{} x=\">\"{}>", " a".repeat(200), " b".repeat(200));
        assert_eq!(cap_attributes(&split).matches('>').count(), 3);
    }
}
