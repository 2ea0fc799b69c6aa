//! Between the tokenizer and the tree builder: the limits that keep the tree builder's work
//! per token bounded, so the whole conversion is linear in its input.
//!
//! The tree builder walks its stack of open elements and its list of formatting elements on
//! many tokens, so a document that keeps thousands of elements open (`<div>` × 100,000, or
//! formatting elements told apart by their attributes) would make every later token cost
//! thousands of steps. The gate keeps both short: past [`MAX_OPEN_NODES`] live nodes, or
//! [`MAX_FORMATTING`] formatting elements, a start tag is not passed on. Its text still is,
//! in the element around it; a hidden element, a drawing or a raw-text element (a script, a
//! text area) is dropped by the gate itself up to its end tag, matched by name; a block still
//! starts a line. Real pages stay far below both limits: the 2,866 CCTV pages peak at 29
//! live nodes and 2 formatting elements, the html5lib documents at 19 and 8.
//!
//! Formatting elements reach the tree builder with only the attributes that matter to the
//! text (hidden or not, and `<font color|face|size>` for leaving SVG), so that the parser's
//! "Noah's ark" (at most three identical formatting elements) holds their number down and
//! reopening one copies nothing big.

use std::cell::RefCell;
use std::collections::HashMap;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{Tag, TagKind, Token, TokenSink, TokenSinkResult};
use html5ever::tree_builder::TreeBuilder;
use html5ever::{Attribute, LocalName, QualName, local_name, ns};

use super::rules::{self, Layout};
use super::sink::{Handle, TextSink};

pub(crate) use crate::config::MAX_OPEN_NODES;

pub(crate) use crate::config::MAX_FORMATTING;

/// The tokenizer's sink: passes tokens on to the tree builder, within the limits.
pub(super) struct Gate {
    pub(super) builder: TreeBuilder<Handle, TextSink>,
    state: RefCell<Held>,
}

/// What the gate handles itself: text nobody will see, and what comes past the limits.
#[derive(Default)]
struct Held {
    /// Raw text (a script, a style) being dropped.
    raw: Option<Raw>,
    /// A hidden element being dropped: its name and how many of them are open.
    skip: Option<(LocalName, u32)>,
    /// Start tags not passed on, by name: their end tags are not passed on either.
    dropped: HashMap<LocalName, u32>,
}

/// The content of a raw-text element, dropped by the gate.
struct Raw {
    /// The end tag that ends it.
    end: LocalName,
    /// The tree builder opened the element and waits for its end tag; otherwise the gate
    /// kept the start tag too.
    pass_end: bool,
}

impl Held {
    /// Keeps the end tag of a start tag that was not passed on.
    fn end_of_dropped(&mut self, name: &LocalName) -> Option<TokenSinkResult<Handle>> {
        if self.dropped.is_empty() {
            return None;
        }
        let open = self.dropped.get_mut(name).filter(|open| **open > 0)?;
        *open -= 1;
        Some(TokenSinkResult::Continue)
    }
}

impl Gate {
    pub(super) fn new(builder: TreeBuilder<Handle, TextSink>) -> Gate {
        Gate {
            builder,
            state: RefCell::new(Held::default()),
        }
    }

    /// Decides about a start tag, trimming it if it goes on; `Some` is the tokenizer's answer
    /// when the gate keeps the tag instead.
    fn admit(&self, held: &mut Held, tag: &mut Tag) -> Option<TokenSinkResult<Handle>> {
        let census = &self.builder.sink.census;
        let formatting = rules::is_formatting(&tag.name);
        if formatting {
            trim_formatting_attributes(tag);
        }
        let full = census.live.get() >= MAX_OPEN_NODES || (formatting && census.formatting.get() >= MAX_FORMATTING);
        if !full {
            return None;
        }
        let foreign = self.builder.adjusted_current_node_present_but_not_in_html_namespace();
        if !foreign && rules::is_void(&tag.name) {
            return None;
        }
        if !foreign && let Some(answer) = raw_text(&tag.name) {
            held.raw = Some(Raw {
                end: tag.name.clone(),
                pass_end: false,
            });
            return Some(answer);
        }
        let role = rules::role(&QualName::new(None, ns!(html), tag.name.clone()), &tag.attrs);
        if tag.self_closing && foreign {
            return Some(TokenSinkResult::Continue);
        }
        let drawing = matches!(tag.name, local_name!("svg") | local_name!("math"));
        if role.hides || drawing {
            held.skip = Some((tag.name.clone(), 1));
            return Some(TokenSinkResult::Continue);
        }
        *held.dropped.entry(tag.name.clone()).or_insert(0) += 1;
        if matches!(role.layout, Layout::Block | Layout::Cell) {
            self.builder.sink.line_break();
        }
        Some(TokenSinkResult::Continue)
    }

    /// Drops everything inside a skipped element: `Some` answers a token that was part of it.
    fn skip(&self, held: &mut Held, token: &Token) -> Option<TokenSinkResult<Handle>> {
        let (name, depth) = held.skip.as_mut()?;
        match token {
            Token::TagToken(tag) => {
                if tag.name == *name {
                    match tag.kind {
                        TagKind::StartTag if !tag.self_closing => *depth = depth.saturating_add(1),
                        TagKind::StartTag => {}
                        TagKind::EndTag => *depth = depth.saturating_sub(1),
                    }
                    if *depth == 0 {
                        held.skip = None;
                    }
                    return Some(TokenSinkResult::Continue);
                }
                // A script inside must not have its text read as markup.
                if tag.kind == TagKind::StartTag
                    && let Some(answer) = raw_text(&tag.name)
                {
                    held.raw = Some(Raw {
                        end: tag.name.clone(),
                        pass_end: false,
                    });
                    return Some(answer);
                }
                Some(TokenSinkResult::Continue)
            }
            Token::EOFToken => {
                held.skip = None;
                None
            }
            _ => Some(TokenSinkResult::Continue),
        }
    }
}

impl TokenSink for Gate {
    type Handle = Handle;

    fn process_token(&self, mut token: Token, line_number: u64) -> TokenSinkResult<Handle> {
        let mut held = self.state.borrow_mut();
        if let Some(raw) = &held.raw {
            match &token {
                Token::TagToken(tag) if tag.kind == TagKind::EndTag && tag.name == raw.end => {
                    let pass_end = raw.pass_end;
                    held.raw = None;
                    if !pass_end {
                        return TokenSinkResult::Continue;
                    }
                }
                Token::EOFToken => held.raw = None,
                _ => return TokenSinkResult::Continue,
            }
        }
        if let Some(answer) = self.skip(&mut held, &token) {
            return answer;
        }
        let mut opens_raw = None;
        if let Token::TagToken(tag) = &mut token {
            let kept = match tag.kind {
                TagKind::StartTag => self.admit(&mut held, tag),
                TagKind::EndTag => held.end_of_dropped(&tag.name),
            };
            if let Some(answer) = kept {
                return answer;
            }
            if tag.kind == TagKind::StartTag && rules::hides_raw_text(&tag.name) {
                opens_raw = Some(tag.name.clone());
            }
        }
        drop(held);
        let answer = self.builder.process_token(token, line_number);
        // The text of a script or a style is never shown: the gate drops it instead of the
        // tree builder, which would take every line of a script as a token of its own.
        if let (TokenSinkResult::RawData(_), Some(end)) = (&answer, opens_raw) {
            self.state.borrow_mut().raw = Some(Raw { end, pass_end: true });
        }
        answer
    }

    fn end(&self) {
        self.builder.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder.adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// The tokenizer state that reads an element's content as text, for the elements that have
/// one (as the tree builder would answer, scripting on).
fn raw_text(name: &LocalName) -> Option<TokenSinkResult<Handle>> {
    let kind = match *name {
        local_name!("script") => RawKind::ScriptData,
        local_name!("style")
        | local_name!("xmp")
        | local_name!("iframe")
        | local_name!("noembed")
        | local_name!("noframes")
        | local_name!("noscript") => RawKind::Rawtext,
        local_name!("title") | local_name!("textarea") => RawKind::Rcdata,
        local_name!("plaintext") => return Some(TokenSinkResult::Plaintext),
        _ => return None,
    };
    Some(TokenSinkResult::RawData(kind))
}

/// Keeps a formatting element's attributes only as far as the text depends on them.
fn trim_formatting_attributes(tag: &mut Tag) {
    let hidden = rules::hidden_by_attributes(&tag.name, &tag.attrs);
    // `<font>` with any of these leaves SVG and MathML content; their values do not matter.
    let leaves_foreign = tag.name == local_name!("font")
        && tag.attrs.iter().any(|a| {
            matches!(
                a.name.local,
                local_name!("color") | local_name!("face") | local_name!("size")
            )
        });
    tag.attrs.clear();
    let attribute = |local: LocalName| Attribute {
        name: QualName::new(None, ns!(), local),
        value: StrTendril::new(),
    };
    if hidden {
        tag.attrs.push(attribute(local_name!("hidden")));
    }
    if leaves_foreign {
        tag.attrs.push(attribute(local_name!("color")));
    }
}
