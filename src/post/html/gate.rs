//! Between the tokenizer and the tree builder: the text of scripts and styles is dropped
//! here, before the tree builder, which would take every line of a script as a token of its
//! own only for the sink to drop it.

use std::cell::RefCell;

use html5ever::LocalName;
use html5ever::tokenizer::{TagKind, Token, TokenSink, TokenSinkResult};
use html5ever::tree_builder::TreeBuilder;

use super::rules;
use super::sink::{Handle, TextSink};

/// The tokenizer's sink: passes tokens on to the tree builder.
pub(super) struct Gate {
    pub(super) builder: TreeBuilder<Handle, TextSink>,
    /// The raw-text element (a script, a style) whose text is being dropped: its end tag.
    raw: RefCell<Option<LocalName>>,
}

impl Gate {
    pub(super) fn new(builder: TreeBuilder<Handle, TextSink>) -> Gate {
        Gate {
            builder,
            raw: RefCell::new(None),
        }
    }
}

impl TokenSink for Gate {
    type Handle = Handle;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<Handle> {
        let mut raw = self.raw.borrow_mut();
        if let Some(end) = raw.as_ref() {
            match &token {
                // The tree builder opened the element and waits for its end tag.
                Token::TagToken(tag) if tag.kind == TagKind::EndTag && tag.name == *end => *raw = None,
                Token::EOFToken => *raw = None,
                _ => return TokenSinkResult::Continue,
            }
        }
        let opens_raw = match &token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag && rules::hides_raw_text(&tag.name) => {
                Some(tag.name.clone())
            }
            _ => None,
        };
        drop(raw);
        let answer = self.builder.process_token(token, line_number);
        if let (TokenSinkResult::RawData(_), Some(end)) = (&answer, opens_raw) {
            *self.raw.borrow_mut() = Some(end);
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
