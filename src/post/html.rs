//! HTML to clean text: paragraphs, decoded entities, no scripts, styles or hidden blocks.
//!
//! Built on html5ever's streaming tokenizer, not its tree builder: text is written as tokens
//! arrive, and the only structure tracked is the element being skipped, if any. Scripts, styles,
//! the document head, comments, embedded objects, form widgets and hidden elements (`hidden`,
//! `display:none`, `visibility:hidden`) are dropped with their content. Block elements and
//! `<br>` end a line, table cells are separated by a space, inline elements join with nothing.
//! Whitespace runs become one space, or nothing between two CJK characters, because Chinese
//! has no spaces between words and source line wrapping must not invent any. Input with no
//! `<` and no `&` bypasses the tokenizer: it is only split into lines and collapsed.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use html5ever::{LocalName, local_name};

/// Turns an HTML fragment or page into plain text: one paragraph per line, no empty lines.
pub fn html_to_text(html: &str) -> String {
    if !looks_like_html(html) {
        let mut writer = Writer::with_capacity(html.len());
        writer.newlines_break = true;
        writer.text(html);
        return writer.finish();
    }
    let tokenizer = Tokenizer::new(Sink::with_capacity(html.len()), TokenizerOpts::default());
    let queue = BufferQueue::default();
    let mut rest = html;
    while !rest.is_empty() {
        let (chunk, tail) = split_chunk(rest, CHUNK_BYTES);
        queue.push_back(StrTendril::from_slice(chunk));
        // The sink never asks for a script pause or an encoding change, so feeding only ever
        // stops once the queue is drained.
        let _ = tokenizer.feed(&queue);
        rest = tail;
    }
    tokenizer.end();
    tokenizer.sink.state.into_inner().writer.finish()
}

/// True when `s` may contain markup or entities worth parsing (a `<` or a `&`).
pub fn looks_like_html(s: &str) -> bool {
    s.bytes().any(|b| b == b'<' || b == b'&')
}

/// Tendril lengths are `u32`, so the input reaches the tokenizer in pieces; this also bounds
/// the extra copy the tokenizer needs to a piece instead of the whole input.
const CHUNK_BYTES: usize = 256 * 1024;

fn split_chunk(s: &str, max: usize) -> (&str, &str) {
    if s.len() <= max {
        return (s, "");
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    if end == 0 {
        // Cannot happen with a chunk size above 3 bytes, but an empty chunk would never end.
        return (s, "");
    }
    s.split_at_checked(end).unwrap_or((s, ""))
}

/// Pending separator between the last written character and the next one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gap {
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
struct Writer {
    out: String,
    /// Last character of the current line; `None` while the line is still empty.
    last: Option<char>,
    gap: Gap,
    /// Inside `<pre>` and in plain text, a source line break is a paragraph break.
    newlines_break: bool,
}

impl Writer {
    fn with_capacity(capacity: usize) -> Self {
        Writer {
            out: String::with_capacity(capacity),
            last: None,
            gap: Gap::None,
            newlines_break: false,
        }
    }

    fn text(&mut self, s: &str) {
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

    fn run(&mut self, run: &str) {
        let mut chars = run.chars();
        let Some(first) = chars.next() else {
            return;
        };
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

    fn line_break(&mut self) {
        if self.last.is_some() {
            self.out.push('\n');
            self.last = None;
        }
        self.gap = Gap::None;
    }

    fn finish(mut self) -> String {
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

fn is_space(c: char) -> bool {
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

/// Receives tokens from html5ever; `process_token` takes `&self`, hence the `RefCell`.
struct Sink {
    state: RefCell<State>,
}

impl Sink {
    fn with_capacity(capacity: usize) -> Self {
        Sink {
            state: RefCell::new(State {
                writer: Writer::with_capacity(capacity),
                skip: None,
                inner: Vec::new(),
                pre_depth: 0,
            }),
        }
    }
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::CharacterTokens(text) if state.skip.is_none() => state.writer.text(&text),
            Token::TagToken(tag) => {
                state.tag(&tag);
                // The tokenizer needs this even inside a skipped element: a `<style>` in a
                // hidden `<div>` must not have its CSS read as markup.
                if let (TagKind::StartTag, Some(kind)) = (tag.kind, raw_text_kind(&tag.name)) {
                    return TokenSinkResult::RawData(kind);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

struct State {
    writer: Writer,
    /// The element whose content is being dropped, if any.
    skip: Option<LocalName>,
    /// Elements opened and not yet closed inside the skipped element, to match its end tag.
    inner: Vec<LocalName>,
    pre_depth: u32,
}

impl State {
    fn tag(&mut self, tag: &Tag) {
        if self.skip.is_some() && !self.skip_tag(tag) {
            return;
        }
        let name = &tag.name;
        match tag.kind {
            TagKind::StartTag => {
                if is_dropped(name) || is_hidden(tag) {
                    if opens_element(tag) {
                        self.skip = Some(name.clone());
                        self.inner.clear();
                    }
                    return;
                }
                match layout(name) {
                    Layout::Block => {
                        if *name == local_name!("pre") && opens_element(tag) {
                            self.pre_depth = self.pre_depth.saturating_add(1);
                            self.writer.newlines_break = true;
                        }
                        self.writer.line_break();
                    }
                    Layout::Cell => self.writer.hard_space(),
                    Layout::Inline => {}
                }
            }
            TagKind::EndTag => match layout(name) {
                Layout::Block => {
                    if *name == local_name!("pre") {
                        self.pre_depth = self.pre_depth.saturating_sub(1);
                        self.writer.newlines_break = self.pre_depth > 0;
                    }
                    self.writer.line_break();
                }
                Layout::Cell => self.writer.hard_space(),
                Layout::Inline => {}
            },
        }
    }

    /// Tracks a tag inside a skipped element; true when the skipped element has ended and the
    /// tag must still be handled as visible markup.
    fn skip_tag(&mut self, tag: &Tag) -> bool {
        let Some(skipped) = &self.skip else {
            return true;
        };
        let name = &tag.name;
        if *skipped == local_name!("head") {
            // Browsers close the head implicitly at the first tag that cannot live in it, and
            // many pages rely on that.
            let ends = match tag.kind {
                TagKind::StartTag => !is_head_content(name),
                TagKind::EndTag => matches!(*name, local_name!("head") | local_name!("body") | local_name!("html")),
            };
            if ends {
                self.skip = None;
                return *name != local_name!("head");
            }
            return false;
        }
        match tag.kind {
            TagKind::StartTag => {
                if implicitly_closes(skipped, name, &self.inner) {
                    self.skip = None;
                    return true;
                }
                if opens_element(tag) {
                    self.inner.push(name.clone());
                }
                false
            }
            TagKind::EndTag => {
                if let Some(pos) = self.inner.iter().rposition(|open| open == name) {
                    self.inner.truncate(pos);
                    return false;
                }
                if name == skipped {
                    self.skip = None;
                    return false;
                }
                // An unmatched end tag of a container closes an ancestor, and an element
                // cannot outlive its ancestor: the page resumes here even when the hidden
                // element itself was never closed.
                if closes_ancestor(name) {
                    self.skip = None;
                    return true;
                }
                false
            }
        }
    }
}

/// Whether a start tag leaves an element open, i.e. has content and an end tag to wait for.
/// `<div/>` is taken at its word (empty), except for raw-text elements, whose content the
/// tokenizer swallows up to the end tag whatever the slash says.
fn opens_element(tag: &Tag) -> bool {
    !is_void(&tag.name) && (!tag.self_closing || raw_text_kind(&tag.name).is_some())
}

fn raw_text_kind(name: &LocalName) -> Option<RawKind> {
    match *name {
        local_name!("script") => Some(RawKind::ScriptData),
        local_name!("style")
        | local_name!("xmp")
        | local_name!("iframe")
        | local_name!("noembed")
        | local_name!("noframes")
        | local_name!("noscript") => Some(RawKind::Rawtext),
        local_name!("title") | local_name!("textarea") => Some(RawKind::Rcdata),
        _ => None,
    }
}

fn is_void(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("area")
            | local_name!("base")
            | local_name!("basefont")
            | local_name!("bgsound")
            | local_name!("br")
            | local_name!("col")
            | local_name!("embed")
            | local_name!("frame")
            | local_name!("hr")
            | local_name!("img")
            | local_name!("input")
            | local_name!("keygen")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("param")
            | local_name!("source")
            | local_name!("track")
            | local_name!("wbr")
    )
}

/// Elements whose content is never article text: code, metadata, widgets, embedded
/// documents and fallback content that modern browsers do not show.
fn is_dropped(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("script")
            | local_name!("style")
            | local_name!("noscript")
            | local_name!("template")
            | local_name!("head")
            | local_name!("title")
            | local_name!("svg")
            | local_name!("math")
            | local_name!("iframe")
            | local_name!("object")
            | local_name!("applet")
            | local_name!("select")
            | local_name!("datalist")
            | local_name!("textarea")
            | local_name!("button")
            | local_name!("noembed")
            | local_name!("noframes")
            | local_name!("video")
            | local_name!("audio")
            | local_name!("canvas")
    )
}

fn is_hidden(tag: &Tag) -> bool {
    // Pages hide the whole body until their scripts have run; that must not cost the article.
    if matches!(tag.name, local_name!("html") | local_name!("body")) {
        return false;
    }
    let mut dialog_open = false;
    for attr in &tag.attrs {
        match attr.name.local {
            local_name!("hidden") => return true,
            local_name!("style") if style_hides(&attr.value) => return true,
            local_name!("open") => dialog_open = true,
            _ => {}
        }
    }
    // A dialog is display:none until opened.
    tag.name == local_name!("dialog") && !dialog_open
}

fn style_hides(style: &str) -> bool {
    style.split(';').any(|declaration| {
        let Some((property, value)) = declaration.split_once(':') else {
            return false;
        };
        let property = property.trim();
        let value = value.split('!').next().unwrap_or_default().trim();
        (property.eq_ignore_ascii_case("display") && value.eq_ignore_ascii_case("none"))
            || (property.eq_ignore_ascii_case("visibility") && value.eq_ignore_ascii_case("hidden"))
    })
}

fn is_head_content(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("base")
            | local_name!("basefont")
            | local_name!("bgsound")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("title")
            | local_name!("noscript")
            | local_name!("noframes")
            | local_name!("style")
            | local_name!("script")
            | local_name!("template")
            | local_name!("head")
            | local_name!("html")
    )
}

/// Elements with optional end tags end where a sibling starts; without this an unclosed
/// hidden `<p>` or `<li>` would swallow the rest of the page.
fn implicitly_closes(open: &LocalName, start: &LocalName, inner: &[LocalName]) -> bool {
    let nested_in = |containers: &[LocalName]| inner.iter().any(|n| containers.contains(n));
    match *open {
        local_name!("p") => closes_paragraph(start),
        local_name!("li") => {
            *start == local_name!("li") && !nested_in(&[local_name!("ul"), local_name!("ol"), local_name!("menu")])
        }
        local_name!("dt") | local_name!("dd") => {
            matches!(*start, local_name!("dt") | local_name!("dd")) && !nested_in(&[local_name!("dl")])
        }
        local_name!("td") | local_name!("th") => {
            matches!(
                *start,
                local_name!("td")
                    | local_name!("th")
                    | local_name!("tr")
                    | local_name!("tbody")
                    | local_name!("thead")
                    | local_name!("tfoot")
            ) && !nested_in(&[local_name!("table")])
        }
        local_name!("tr") => {
            matches!(
                *start,
                local_name!("tr") | local_name!("tbody") | local_name!("thead") | local_name!("tfoot")
            ) && !nested_in(&[local_name!("table")])
        }
        _ => false,
    }
}

/// HTML's list of start tags that end an open `<p>`; each of them also starts a new line.
fn closes_paragraph(start: &LocalName) -> bool {
    matches!(
        *start,
        local_name!("p")
            | local_name!("div")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("dl")
            | local_name!("li")
            | local_name!("dt")
            | local_name!("dd")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("table")
            | local_name!("section")
            | local_name!("article")
            | local_name!("header")
            | local_name!("footer")
            | local_name!("nav")
            | local_name!("aside")
            | local_name!("main")
            | local_name!("blockquote")
            | local_name!("center")
            | local_name!("pre")
            | local_name!("hr")
            | local_name!("figure")
            | local_name!("figcaption")
            | local_name!("address")
            | local_name!("form")
            | local_name!("fieldset")
            | local_name!("details")
            | local_name!("summary")
            | local_name!("dialog")
            | local_name!("hgroup")
            | local_name!("menu")
            | local_name!("dir")
            | local_name!("listing")
            | local_name!("xmp")
            | local_name!("plaintext")
    )
}

fn closes_ancestor(end: &LocalName) -> bool {
    matches!(
        *end,
        local_name!("html")
            | local_name!("body")
            | local_name!("div")
            | local_name!("td")
            | local_name!("th")
            | local_name!("tr")
            | local_name!("tbody")
            | local_name!("thead")
            | local_name!("tfoot")
            | local_name!("table")
            | local_name!("li")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("dl")
            | local_name!("dd")
            | local_name!("dt")
            | local_name!("section")
            | local_name!("article")
            | local_name!("main")
            | local_name!("aside")
            | local_name!("header")
            | local_name!("footer")
            | local_name!("nav")
            | local_name!("blockquote")
            | local_name!("form")
            | local_name!("center")
            | local_name!("figure")
            | local_name!("details")
            | local_name!("fieldset")
            | local_name!("address")
    )
}

enum Layout {
    Block,
    Cell,
    Inline,
}

fn layout(name: &LocalName) -> Layout {
    match *name {
        local_name!("td") | local_name!("th") => Layout::Cell,
        local_name!("br")
        | local_name!("tr")
        | local_name!("thead")
        | local_name!("tbody")
        | local_name!("tfoot")
        | local_name!("caption")
        | local_name!("legend")
        | local_name!("optgroup")
        | local_name!("option")
        | local_name!("body")
        | local_name!("html") => Layout::Block,
        ref other if closes_paragraph(other) => Layout::Block,
        _ => Layout::Inline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_are_lines() {
        assert_eq!(html_to_text("<p>第一段</p><p>第二段</p>"), "第一段\n第二段");
        assert_eq!(
            html_to_text("<div><p>一</p>\n\n<p>二</p></div>\n<ul><li>三</li><li>四</li></ul>"),
            "一\n二\n三\n四"
        );
        assert_eq!(html_to_text("<h1>标题</h1>正文<hr>尾"), "标题\n正文\n尾");
    }

    #[test]
    fn ideographic_indent_disappears() {
        assert_eq!(
            html_to_text("<p>　　央视网消息（新闻联播）：今天</p>"),
            "央视网消息（新闻联播）：今天"
        );
        assert_eq!(html_to_text("<p>\u{3000}\u{3000}Hello</p>"), "Hello");
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            html_to_text("<p>A&amp;B&nbsp;&nbsp;C &#20013;&#x56FD; &lt;script&gt;</p>"),
            "A&B C 中国 <script>"
        );
        assert_eq!(html_to_text("&quot;x&quot; &copy; &gt;"), "\"x\" © >");
        // A space typed on one line is kept, even between CJK characters.
        assert_eq!(html_to_text("中国&nbsp;经济"), "中国 经济");
        assert_eq!(html_to_text("<p>中国\n  经济</p>"), "中国经济");
    }

    #[test]
    fn scripts_styles_comments_and_hidden_are_dropped() {
        assert_eq!(
            html_to_text(
                "<p>前</p><script>var 脚本词=1;</script><style>p{}</style><!-- c -->\
                 <p style=\"display: none\">隐藏</p><p>后</p>"
            ),
            "前\n后"
        );
        assert_eq!(html_to_text("<script>if (a < b) { x = '<p>'; }</script>正文"), "正文");
        assert_eq!(
            html_to_text("<p>a</p><div hidden>b</div><span style=\"DISPLAY:NONE;\">c</span>d"),
            "a\nd"
        );
        assert_eq!(
            html_to_text("x<span style=\"color:red; visibility : hidden !important\">y</span>z"),
            "xz"
        );
        assert_eq!(html_to_text("x<span style=\"display:block\">y</span>z"), "xyz");
        for tag in [
            "noscript", "template", "svg", "math", "iframe", "object", "select", "textarea", "button", "title",
        ] {
            assert_eq!(
                html_to_text(&format!("甲<{tag}>乙<b>丙</b></{tag}>丁")),
                "甲丁",
                "{tag}"
            );
        }
    }

    #[test]
    fn head_is_dropped() {
        let page = "<!DOCTYPE html><html><head><meta charset=utf-8><title>标题</title>\
                    <link rel=stylesheet href=a.css><script>var x;</script></head>\
                    <body><p>正文</p></body></html>";
        assert_eq!(html_to_text(page), "正文");
        // No `</head>`: the first body tag ends it, as in a browser.
        assert_eq!(html_to_text("<head><title>t</title><meta x><div>正文</div>"), "正文");
    }

    #[test]
    fn nested_hidden_elements_match_their_end_tag() {
        assert_eq!(
            html_to_text("<div style=\"display:none\"><div>a</div>b</div><div>c</div>"),
            "c"
        );
        assert_eq!(
            html_to_text("<div hidden><div><div>a</div></div><p>b<span>c</div>d"),
            "d"
        );
        // Unclosed hidden element runs to the end of input.
        assert_eq!(html_to_text("a<div hidden><div>b</div>c"), "a");
        // An end tag of an enclosing container closes an unclosed hidden inline element.
        assert_eq!(html_to_text("<div>a<span hidden>b</div>c"), "a\nc");
        // A hidden paragraph ends where the next block starts.
        assert_eq!(html_to_text("<p hidden>a<p>b"), "b");
        assert_eq!(html_to_text("<ul><li hidden>a<li>b</ul>"), "b");
        // Scripts inside hidden blocks still hide markup-like text.
        assert_eq!(html_to_text("<div hidden><script>\"</div>\"</script></div>ok"), "ok");
    }

    #[test]
    fn void_and_self_closing_tags_open_no_hidden_scope() {
        assert_eq!(
            html_to_text("a<img hidden src=x.jpg>b<br style=\"display:none\">c"),
            "abc"
        );
        assert_eq!(html_to_text("a<div hidden/>b"), "ab");
        assert_eq!(html_to_text("a<input type=hidden value=x>b"), "ab");
    }

    #[test]
    fn closed_dialog_is_hidden() {
        assert_eq!(html_to_text("a<dialog>b</dialog><dialog open>c</dialog>"), "a\nc");
    }

    #[test]
    fn hidden_body_is_still_read() {
        assert_eq!(html_to_text("<body style=\"display:none\"><p>正文</p></body>"), "正文");
    }

    #[test]
    fn inline_elements_join() {
        assert_eq!(
            html_to_text("上海<span id=\"stock_1.600000\"><a href=\"http://quote.example/sh600000\">证券</a></span>报"),
            "上海证券报"
        );
        assert_eq!(
            html_to_text("<b>Hello</b> <i>world</i><custom-tag>!</custom-tag>"),
            "Hello world!"
        );
    }

    #[test]
    fn line_breaks_images_case_and_cells() {
        assert_eq!(html_to_text("一<br>二<br />三<BR/>四"), "一\n二\n三\n四");
        assert_eq!(html_to_text("前<center><img src=\"x.jpg\"></center>后"), "前\n后");
        assert_eq!(html_to_text("<center><img src=\"x.jpg\" alt=\"图\"></center>"), "");
        assert_eq!(html_to_text("<P>一</p><p>二</P>"), "一\n二");
        assert_eq!(
            html_to_text("<table><tr><th>名称</th><th>价格</th></tr><tr><td>苹果</td><td>5</td></tr></table>"),
            "名称 价格\n苹果 5"
        );
    }

    #[test]
    fn whitespace_rules() {
        assert_eq!(html_to_text("<p>Apple  iPhone\n15</p>"), "Apple iPhone 15");
        assert_eq!(html_to_text("<p>中国\n  经济</p>"), "中国经济");
        assert_eq!(html_to_text("<p>中国 Apple 公司</p>"), "中国 Apple 公司");
        assert_eq!(html_to_text("<p>他说：\n“你好”。</p>"), "他说：“你好”。");
        assert_eq!(html_to_text("<p>a\u{2003}\u{200B}\tb</p>"), "a b");
        assert_eq!(html_to_text("<p>  a  </p>  <p>  </p>"), "a");
        assert_eq!(
            html_to_text("<pre>line 1\n  line 2\n\nline 3</pre>after"),
            "line 1\nline 2\nline 3\nafter"
        );
    }

    #[test]
    fn plain_text_fast_path() {
        assert!(!looks_like_html("第一段\r\n\r\n  第二段  "));
        assert_eq!(html_to_text("第一段\r\n\r\n  第二段  "), "第一段\n第二段");
        assert_eq!(html_to_text("a\rb\n\nc\u{3000}d"), "a\nb\nc d");
        assert_eq!(html_to_text(""), "");
        assert_eq!(html_to_text(" \n\t "), "");
    }

    #[test]
    fn looks_like_html_detects_markup_and_entities() {
        assert!(looks_like_html("<p>x</p>"));
        assert!(looks_like_html("a &amp; b"));
        assert!(!looks_like_html("纯文本"));
        let long = format!("{}<", "x".repeat(1000));
        assert!(looks_like_html(&long));
    }

    #[test]
    fn malformed_input_keeps_text() {
        assert_eq!(html_to_text("a < b"), "a < b");
        assert_eq!(html_to_text("AT&T"), "AT&T");
        assert_eq!(html_to_text("x</div></p>y"), "x\ny");
        assert_eq!(html_to_text("<p>正文<div>未闭合"), "正文\n未闭合");
        assert_eq!(html_to_text("正文<a href=\"x"), "正文");
        assert_eq!(html_to_text("a\0b"), "ab");
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let nested = "<div>".repeat(10_000) + "深" + &"</div>".repeat(3);
        let nested_hidden = "<div hidden>".repeat(10_000) + "x";
        let big_attr = format!("<p title=\"{}\">ok</p>", "a".repeat(1 << 20));
        let cases: Vec<&str> = vec![
            "<",
            "&",
            "<p",
            "</",
            "<<>>",
            "<script>",
            "<script>x",
            "<!--",
            "<!-- x",
            "\0",
            "&#",
            "&#x",
            "&#xFFFFFFFF;",
            "&#0;",
            "&#55296;",
            "<![CDATA[x",
            "<!DOCTYPE",
            "</script>",
            "<style",
            "<a href='",
            "<textarea>",
            "<title>",
            "<svg><style>",
            "<head>",
            "<html><body hidden>",
            "<plaintext>x",
            "<div style=>",
            "<p style=\";;:;display\">",
            "\u{feff}<p>x",
            &nested,
            &nested_hidden,
            &big_attr,
        ];
        for case in cases {
            let out = html_to_text(case);
            assert_clean(&out);
        }
        assert_eq!(html_to_text(&nested), "深");
        assert_eq!(html_to_text(&big_attr), "ok");
    }

    #[test]
    fn chunk_boundaries_inside_characters_and_tags() {
        let mut s = String::new();
        while s.len() < 3 * CHUNK_BYTES {
            s.push_str("<p>中文<b>段落</b>&amp;</p>");
        }
        let out = html_to_text(&s);
        assert!(out.lines().all(|line| line == "中文段落&"));
        assert_eq!(out.lines().count(), s.matches("<p>").count());
    }

    fn assert_clean(out: &str) {
        if out.is_empty() {
            return;
        }
        for line in out.split('\n') {
            assert!(!line.is_empty(), "empty line in {out:?}");
            assert_eq!(line, line.trim_matches(is_space), "padded line in {out:?}");
            assert!(!line.contains("  "), "double space in {out:?}");
        }
    }

    #[test]
    fn random_fragments_never_panic_or_leave_empty_lines() {
        const PIECES: &[&str] = &[
            "<p>",
            "</p>",
            "<div>",
            "</div>",
            "<br>",
            "<span>",
            "</span>",
            "<td>",
            "</td>",
            "<tr>",
            "<script>",
            "</script>",
            "<style>",
            "</style>",
            "<!--",
            "-->",
            "<div hidden>",
            "<p style='display:none'>",
            "<pre>",
            "</pre>",
            "<head>",
            "</head>",
            "<title>",
            "<",
            ">",
            "&",
            "&amp;",
            "&nbsp;",
            "&#",
            "&#x4E2D;",
            "\"",
            "'",
            "=",
            "/",
            " ",
            "\n",
            "\r\n",
            "\t",
            "\u{3000}",
            "\u{A0}",
            "\0",
            "中国",
            "经济",
            "，",
            "。",
            "“",
            "Apple",
            "a",
            "1",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..5_000 {
            let len = next() % 40;
            let mut input = String::new();
            for _ in 0..len {
                let pick = usize::try_from(next() % PIECES.len() as u64).unwrap_or(0);
                input.push_str(PIECES.get(pick).copied().unwrap_or(""));
            }
            let out = html_to_text(&input);
            assert_clean(&out);
        }
    }
}
