//! HTML to clean text: paragraphs, decoded entities, no scripts, styles or hidden blocks.
//!
//! The structure is the HTML standard's: html5ever's tokenizer and tree builder decide what
//! is inside what, exactly as a browser would (an unclosed `<p>` ends at the next block, an
//! HTML end tag leaves SVG, text a table pushes out comes before the table). On top of it,
//! [`sink`] keeps no tree, only what the text needs: whether an element's content is shown,
//! its box, whether it is preformatted ([`rules`]). Scripts, styles, the head, comments,
//! `<template>` and `<noscript>` content, embedded documents and objects, hidden elements
//! (`hidden`, `display:none`, `visibility:hidden`, a closed `<dialog>`) and what SVG and
//! MathML do not draw as text are dropped with their content; form controls show their text,
//! as in a browser. Blocks and `<br>` end a line, table cells are separated by a space,
//! inline elements join with nothing.
//! Whitespace runs become one space, or nothing between two CJK characters, because Chinese
//! has no spaces between words and source line wrapping must not invent any ([`writer`]).
//! Input with no `<` and no `&` bypasses the parser: it is only split into lines and collapsed.
//!
//! Time is linear in the input on any input: [`attrs`] caps the attributes of a tag and
//! [`gate`] the elements the tree builder holds, the two places where html5ever's work per
//! token would otherwise grow with the document.

mod attrs;
mod gate;
mod order;
mod rules;
mod sink;
mod writer;

use html5ever::TokenizerResult;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, Tokenizer, TokenizerOpts};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts};

use gate::Gate;
use sink::TextSink;
use writer::Writer;

/// Turns an HTML fragment or page into plain text: one paragraph per line, no empty lines.
pub fn html_to_text(html: &str) -> String {
    if !looks_like_html(html) {
        let mut writer = Writer::with_capacity(html.len());
        writer.text(html, 0, true);
        return writer.finish();
    }
    let html = attrs::cap_attributes(html);
    let options = TreeBuilderOpts {
        // As a browser with scripts on: `<noscript>` content is not shown.
        scripting_enabled: true,
        drop_doctype: true,
        ..TreeBuilderOpts::default()
    };
    let builder = TreeBuilder::new(TextSink::with_capacity(html.len()), options);
    let tokenizer = Tokenizer::new(Gate::new(builder), TokenizerOpts::default());
    let queue = BufferQueue::default();
    let mut rest: &str = &html;
    while !rest.is_empty() {
        let (chunk, tail) = split_chunk(rest, CHUNK_BYTES);
        queue.push_back(StrTendril::from_slice(chunk));
        // The tree builder pauses after each `</script>` (a browser would run it here) and
        // at a `<meta charset>`; neither matters to text, so feeding just goes on.
        while !matches!(tokenizer.feed(&queue), TokenizerResult::Done) {}
        rest = tail;
    }
    tokenizer.end();
    tokenizer.sink.builder.sink.out.into_inner().finish()
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

#[cfg(test)]
mod tests {
    use super::attrs::MAX_ATTRIBUTES;
    use super::gate::{MAX_FORMATTING, MAX_OPEN_NODES};
    use super::writer::is_space;
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
        for tag in ["noscript", "template", "iframe", "object", "title"] {
            assert_eq!(
                html_to_text(&format!("甲<{tag}>乙<b>丙</b></{tag}>丁")),
                "甲丁",
                "{tag}"
            );
        }
        // SVG and MathML text is a drawing's, but an HTML tag leaves them, as in a browser.
        for tag in ["svg", "math"] {
            assert_eq!(
                html_to_text(&format!("甲<{tag}>乙<g>丙</g></{tag}>丁")),
                "甲丁",
                "{tag}"
            );
            assert_eq!(
                html_to_text(&format!("甲<{tag}>乙<b>丙</b></{tag}>丁")),
                "甲丙丁",
                "{tag}"
            );
        }
    }

    #[test]
    fn form_controls_show_their_text() {
        // As a browser shows them: a button's label, a list's options, a text area's text.
        assert_eq!(html_to_text("甲<button>乙<b>丙</b></button>丁"), "甲乙丙丁");
        assert_eq!(
            html_to_text("甲<select><option>乙<option>丙</select>丁"),
            "甲\n乙\n丙\n丁"
        );
        assert_eq!(html_to_text("甲<textarea>乙<b>丙</b></textarea>丁"), "甲乙<b>丙</b>丁");
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
        // `<div/>` is a start tag in HTML (the slash means nothing): a browser hides what
        // follows, up to the end of the parent.
        assert_eq!(html_to_text("a<div hidden/>b"), "a");
        assert_eq!(html_to_text("<p>a<span hidden/>b</p>c"), "a\nc");
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
    fn foster_parented_text_comes_before_its_table() {
        assert_eq!(html_to_text("<table>前<tr><td>格</td></tr></table>后"), "前\n格\n后");
        // Inside a cell of an outer table, before the inner one.
        assert_eq!(
            html_to_text("<table><tr><td>外<table>内前<tr><td>内格</table>外后</td><td>邻</table>"),
            "外内前\n内格\n外后 邻"
        );
        // An element pushed out of the table takes its text with it.
        assert_eq!(html_to_text("<table><b>粗<tr><td>格</table>"), "粗\n格");
    }

    #[test]
    fn misnested_formatting_keeps_its_text_in_order() {
        assert_eq!(html_to_text("<b>1<i>2<p>3</b>4"), "12\n34");
        assert_eq!(html_to_text("<i>A<b>B<p></i>C</b>D"), "AB\nCD");
        // The paragraph leaves the hidden `<b>` with a hidden copy of it inside; what follows
        // `</b>` is outside both, as in a browser.
        assert_eq!(html_to_text("<b hidden>藏<p>也藏</b>不藏</p>见"), "不藏\n见");
    }

    #[test]
    fn past_the_limits_text_is_kept_and_hidden_stays_hidden() {
        let deep = "<div>".repeat(MAX_OPEN_NODES + 50);
        let html = format!(
            "{deep}前<span hidden>藏<i>藏</i></span><script>if (a<b) {{ s = '</div>'; }}</script>后<p>段<svg>图</svg>尾"
        );
        assert_eq!(html_to_text(&html), "前后\n段尾");
        let formatting: String = (0..MAX_FORMATTING + 8).map(|k| format!("<b id={k}>")).collect();
        assert_eq!(html_to_text(&format!("{formatting}粗<b hidden>藏</b>见")), "粗见");
    }

    #[test]
    fn an_inserted_gt_changes_nothing_shown_outside_tags() {
        // A script or a comment with `<` and many words: the attribute cap's `>` lands inside.
        let words = "x ".repeat(MAX_ATTRIBUTES + 10);
        assert_eq!(
            html_to_text(&format!("<script>if (a<b {words}) {{}}</script>正文")),
            "正文"
        );
        assert_eq!(html_to_text(&format!("<!-- <p {words} -->正文")), "正文");
        // In a real tag, the rest of the tag shows.
        let tag = format!("<p{}>正文", " a".repeat(MAX_ATTRIBUTES + 2));
        assert_eq!(html_to_text(&tag), "a a>正文");
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
