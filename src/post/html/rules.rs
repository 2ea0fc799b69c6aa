//! What an element does to the text inside it: hidden, a block or a table cell, preformatted,
//! drawn or not (SVG, MathML); decided from its name and attributes alone, as a browser's
//! default style sheet does.

use html5ever::{Attribute, LocalName, QualName, local_name, ns};

/// How an element lays out its content.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Layout {
    /// Joins its neighbours on the same line (`<span>`, `<a>`, unknown elements).
    Inline,
    /// Starts a new line, and so does the text after it.
    Block,
    /// A table cell: separated from its neighbours by a space.
    Cell,
    /// `<br>`: a line break.
    Break,
}

/// Whether text directly inside an element is drawn: always in HTML, in SVG and MathML only
/// in the elements that draw text.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(super) enum Draws {
    /// HTML text, and HTML inside SVG `<foreignObject>`.
    #[default]
    Html,
    /// Inside SVG `<text>` or a MathML token element (`<mi>`, `<mtext>` …).
    Foreign,
    /// Inside any other SVG or MathML element: shapes, groups, `<title>`, `<desc>`.
    Nothing,
}

/// An element's effect on the text inside it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Role {
    /// Nothing inside is shown.
    pub(super) hides: bool,
    pub(super) layout: Layout,
    /// Source line breaks inside are kept.
    pub(super) pre: bool,
    /// What the element draws, given what its parent draws.
    pub(super) draws: fn(Draws) -> Draws,
}

impl Role {
    /// Comments, doctypes and the document itself: no effect.
    pub(super) const INERT: Role = Role {
        hides: false,
        layout: Layout::Inline,
        pre: false,
        draws: html_draws,
    };
}

/// The role of an element with these attributes.
pub(super) fn role(name: &QualName, attrs: &[Attribute]) -> Role {
    let local = &name.local;
    let draws = match name.ns {
        ns!(html) => html_draws,
        ns!(svg) => svg_draws(local),
        ns!(mathml) => mathml_draws(local),
        _ => |_| Draws::Nothing,
    };
    if name.ns != ns!(html) {
        return Role { draws, ..Role::INERT };
    }
    Role {
        hides: hides_content(local) || hidden_by_attributes(local, attrs),
        layout: layout(local),
        pre: matches!(
            *local,
            local_name!("pre")
                | local_name!("listing")
                | local_name!("plaintext")
                | local_name!("xmp")
                | local_name!("textarea")
        ),
        draws,
    }
}

/// HTML draws its text, except inside a foreign element that draws nothing (an HTML
/// integration point such as SVG `<desc>`).
fn html_draws(parent: Draws) -> Draws {
    match parent {
        Draws::Nothing => Draws::Nothing,
        Draws::Html | Draws::Foreign => Draws::Html,
    }
}

/// SVG draws text in `<text>` (with `<tspan>`, `<textPath>` and links inside it), and HTML in
/// `<foreignObject>`.
fn svg_draws(name: &LocalName) -> fn(Draws) -> Draws {
    match *name {
        local_name!("text") => |_| Draws::Foreign,
        local_name!("foreignObject") => |_| Draws::Html,
        local_name!("tspan") | local_name!("textPath") | local_name!("a") => inherit_foreign,
        _ => |_| Draws::Nothing,
    }
}

/// MathML draws the text of its token elements (and what is inside them), not annotations.
fn mathml_draws(name: &LocalName) -> fn(Draws) -> Draws {
    match *name {
        local_name!("mi") | local_name!("mn") | local_name!("mo") | local_name!("ms") | local_name!("mtext") => {
            |_| Draws::Foreign
        }
        local_name!("annotation-xml") | local_name!("annotation") => |_| Draws::Nothing,
        _ => inherit_foreign,
    }
}

fn inherit_foreign(parent: Draws) -> Draws {
    match parent {
        Draws::Foreign => Draws::Foreign,
        Draws::Html | Draws::Nothing => Draws::Nothing,
    }
}

/// Elements whose content a browser does not show: code, metadata, embedded documents and
/// fallback content; `<object>` and `<applet>` too, whose fallback text ("your browser cannot
/// play this") a browser shows only when the embedded thing fails.
fn hides_content(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("script")
            | local_name!("style")
            | local_name!("noscript")
            | local_name!("template")
            | local_name!("head")
            | local_name!("title")
            | local_name!("iframe")
            | local_name!("object")
            | local_name!("applet")
            | local_name!("embed")
            | local_name!("datalist")
            | local_name!("noembed")
            | local_name!("noframes")
            | local_name!("frameset")
            | local_name!("video")
            | local_name!("audio")
            | local_name!("canvas")
            | local_name!("rp")
    )
}

/// Raw-text elements whose text is never shown (all but `<xmp>` and `<textarea>`).
pub(super) fn hides_raw_text(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("script")
            | local_name!("style")
            | local_name!("noscript")
            | local_name!("title")
            | local_name!("iframe")
            | local_name!("noembed")
            | local_name!("noframes")
    )
}

/// `hidden`, `display:none` or `visibility:hidden`, and a dialog that is not open.
pub(super) fn hidden_by_attributes(name: &LocalName, attrs: &[Attribute]) -> bool {
    // Pages hide the whole body until their scripts have run; that must not cost the article.
    if matches!(*name, local_name!("html") | local_name!("body")) {
        return false;
    }
    let mut dialog_open = false;
    for attr in attrs {
        match attr.name.local {
            local_name!("hidden") => return true,
            local_name!("style") if style_hides(&attr.value) => return true,
            local_name!("open") => dialog_open = true,
            _ => {}
        }
    }
    // A dialog is display:none until opened.
    *name == local_name!("dialog") && !dialog_open
}

/// True for a `style` attribute with `display:none` or `visibility:hidden`.
pub(super) fn style_hides(style: &str) -> bool {
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

fn layout(name: &LocalName) -> Layout {
    match *name {
        local_name!("td") | local_name!("th") => Layout::Cell,
        local_name!("br") => Layout::Break,
        local_name!("html")
        | local_name!("body")
        | local_name!("p")
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
        | local_name!("caption")
        | local_name!("thead")
        | local_name!("tbody")
        | local_name!("tfoot")
        | local_name!("tr")
        | local_name!("section")
        | local_name!("article")
        | local_name!("header")
        | local_name!("footer")
        | local_name!("nav")
        | local_name!("aside")
        | local_name!("main")
        | local_name!("search")
        | local_name!("blockquote")
        | local_name!("center")
        | local_name!("pre")
        | local_name!("hr")
        | local_name!("figure")
        | local_name!("figcaption")
        | local_name!("address")
        | local_name!("form")
        | local_name!("fieldset")
        | local_name!("legend")
        | local_name!("details")
        | local_name!("summary")
        | local_name!("dialog")
        | local_name!("hgroup")
        | local_name!("menu")
        | local_name!("dir")
        | local_name!("listing")
        | local_name!("xmp")
        | local_name!("plaintext")
        | local_name!("marquee")
        | local_name!("optgroup")
        | local_name!("option") => Layout::Block,
        _ => Layout::Inline,
    }
}

/// The formatting elements of the HTML parser: the ones it reopens after a misnested end
/// tag (`<b>1<p>2</b>3</p>`), and so the ones that can multiply.
pub(super) fn is_formatting(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("a")
            | local_name!("b")
            | local_name!("big")
            | local_name!("code")
            | local_name!("em")
            | local_name!("font")
            | local_name!("i")
            | local_name!("nobr")
            | local_name!("s")
            | local_name!("small")
            | local_name!("strike")
            | local_name!("strong")
            | local_name!("tt")
            | local_name!("u")
    )
}

/// Elements that never hold content, whatever the tag says.
pub(super) fn is_void(name: &LocalName) -> bool {
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
            | local_name!("image")
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
