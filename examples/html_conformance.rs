//! HTML conformance of the converter: the html5lib tree-construction tests, document tests
//! only, each compared on the characters a browser would show.
//!
//! ```text
//! cargo run --release --example html_conformance -- DIR [--show N]
//! ```
//!
//! `DIR` holds the suite's `tree-construction/*.dat` files (github.com/html5lib/html5lib-tests;
//! they are not part of this project). For every test that is not a fragment test, the
//! expected tree (`#document`) gives the visible text, and [`html_to_text`] of `#data` must
//! keep exactly its characters. What "visible" means is [`visible`]'s documentation; a
//! mismatch is put in the first category that explains it ([`Category`]).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xinwen::post::html::html_to_text;

/// One document test.
struct Test {
    file: String,
    data: String,
    scripting: bool,
    tree: Vec<Entry>,
}

/// One line of an expected tree (`| ` prefix removed), with its depth.
#[derive(Debug)]
struct Entry {
    depth: usize,
    node: Node,
}

#[derive(Debug)]
enum Node {
    /// An element: namespace (`""`, `svg`, `math`) and local name.
    Element {
        ns: String,
        name: String,
    },
    /// An attribute of the element above.
    Attribute {
        name: String,
        value: String,
    },
    Text(String),
    /// A template's contents.
    Content,
    /// Comments and doctypes.
    Other,
}

/// Reads the tests of one `.dat` file: each starts at a `#data` line after a blank line.
fn read_tests(path: &Path) -> Vec<Test> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8_lossy(&bytes);
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut blocks: Vec<Vec<&str>> = vec![Vec::new()];
    let mut previous_blank = true;
    for line in text.split('\n') {
        if line == "#data" && previous_blank {
            blocks.push(Vec::new());
        }
        previous_blank = line.is_empty();
        if let Some(block) = blocks.last_mut() {
            block.push(line);
        }
    }
    blocks.iter().filter_map(|block| parse_test(&file, block)).collect()
}

const SECTIONS: [&str; 7] = [
    "#data",
    "#errors",
    "#new-errors",
    "#document-fragment",
    "#script-off",
    "#script-on",
    "#document",
];

/// One test from its lines; `None` for fragment tests and anything malformed.
fn parse_test(file: &str, lines: &[&str]) -> Option<Test> {
    let mut sections: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut current = "";
    for (n, line) in lines.iter().enumerate() {
        // Inside `#data`, only `#errors` ends the section: the data may hold anything else.
        let header = SECTIONS.contains(line) && (n == 0 || current != "#data" || *line == "#errors");
        if header {
            current = line;
            sections.entry(line).or_default();
        } else if !current.is_empty() {
            sections.entry(current).or_default().push(line);
        }
    }
    if sections.contains_key("#document-fragment") {
        return None;
    }
    let data = sections.get("#data")?.join("\n");
    let mut document = sections.get("#document")?.clone();
    while document.last().is_some_and(|l| l.is_empty()) {
        document.pop();
    }
    Some(Test {
        file: file.to_string(),
        data,
        scripting: !sections.contains_key("#script-off"),
        tree: parse_tree(&document),
    })
}

/// The `#document` dump as entries: an entry starts at a `| ` line and continues on the lines
/// that do not (text with line breaks).
fn parse_tree(lines: &[&str]) -> Vec<Entry> {
    let mut raw: Vec<String> = Vec::new();
    for line in lines {
        match line.strip_prefix("| ") {
            Some(rest) => raw.push(rest.to_string()),
            None => {
                if let Some(last) = raw.last_mut() {
                    last.push('\n');
                    last.push_str(line);
                }
            }
        }
    }
    raw.iter()
        .map(|entry| {
            let body = entry.trim_start_matches(' ');
            let depth = (entry.len() - body.len()) / 2;
            Entry {
                depth,
                node: parse_node(body),
            }
        })
        .collect()
}

fn parse_node(body: &str) -> Node {
    if let Some(text) = body.strip_prefix('"') {
        return Node::Text(text.strip_suffix('"').unwrap_or(text).to_string());
    }
    if body.starts_with("<!") {
        return Node::Other;
    }
    if body == "content" {
        return Node::Content;
    }
    if let Some(tag) = body.strip_prefix('<').and_then(|b| b.strip_suffix('>')) {
        let (ns, name) = match tag.split_once(' ') {
            Some((ns @ ("svg" | "math"), name)) => (ns, name),
            _ => ("", tag),
        };
        return Node::Element {
            ns: ns.to_string(),
            name: name.to_string(),
        };
    }
    match body.split_once('=') {
        Some((name, value)) => Node::Attribute {
            name: name.to_string(),
            value: value.trim_matches('"').to_string(),
        },
        None => Node::Other,
    }
}

/// Text left out on top of what a browser never shows: each is a way a converter may differ
/// on purpose, tried in turn to explain a mismatch.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Unshown {
    /// Nothing more: the browser's view.
    Nothing,
    /// Form controls: `<button>`, `<select>`, `<option>`, `<optgroup>`, `<textarea>`.
    FormControls,
    /// Text in SVG and MathML, even where a browser draws it (`<svg><text>`, `<mi>`).
    Foreign,
    /// Fallback content of `<object>` and `<applet>`, which a browser shows when they fail.
    Fallback,
    /// `<noscript>` content in the tests run with scripting off: the converter parses as a
    /// browser with scripting on.
    Noscript,
}

/// The characters a browser shows, in tree order, whitespace and control characters removed.
///
/// Shown is text under `<body>` (or `<frameset>`, which has none), except inside what a
/// browser never renders: `<head>`, `<script>`, `<style>`, `<template>` contents, `<title>`,
/// `<noscript>` when scripting is on, `<noembed>`, `<noframes>`, `<iframe>` (it shows its own
/// document), `<datalist>`, `<rp>`, `<video>`, `<audio>`, `<canvas>` (fallback content that
/// supporting browsers do not show), elements with a `hidden` attribute, a `<dialog>` without
/// `open`. In SVG only `<text>` (with what is inside it) and `<foreignObject>` draw text; in
/// MathML the token elements (`<mi>`, `<mn>`, `<mo>`, `<ms>`, `<mtext>`). `also` hides more:
/// the converter's deliberate differences, used to name a mismatch.
///
/// Whitespace is left out entirely: where a browser puts line breaks and spaces depends on
/// CSS layout the tree does not hold, and this measures which characters are kept, not how
/// they are spaced (the unit tests do that).
fn visible(test: &Test, also: &[Unshown]) -> String {
    let mut out = String::new();
    // For each open ancestor: its depth and what holds inside it.
    let mut stack: Vec<(usize, Frame)> = Vec::new();
    let root = Frame {
        shown: true,
        in_body: false,
        draws: Draws::Html,
    };
    for (i, entry) in test.tree.iter().enumerate() {
        while stack.last().is_some_and(|(d, _)| *d >= entry.depth) {
            stack.pop();
        }
        let parent = stack.last().map_or(root, |(_, f)| *f);
        match &entry.node {
            Node::Element { ns, name } => {
                let attrs = attributes(&test.tree[i + 1..], entry.depth);
                let frame = parent.enter(ns, name, &attrs, test.scripting, also);
                stack.push((entry.depth, frame));
            }
            Node::Content => stack.push((entry.depth, Frame { shown: false, ..parent })),
            Node::Text(text) => {
                if parent.shown && parent.in_body && parent.draws != Draws::None {
                    out.extend(text.chars().filter(|c| !c.is_whitespace() && !c.is_control()));
                }
            }
            Node::Attribute { .. } | Node::Other => {}
        }
    }
    out
}

/// The attributes listed right under an element.
fn attributes(rest: &[Entry], depth: usize) -> Vec<(&str, &str)> {
    rest.iter()
        .take_while(|e| e.depth > depth)
        .filter(|e| e.depth == depth + 1)
        .map_while(|e| match &e.node {
            Node::Attribute { name, value } => Some((name.as_str(), value.as_str())),
            _ => None,
        })
        .collect()
}

/// Whether text directly inside draws: HTML always, SVG and MathML only in some elements.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Draws {
    Html,
    Foreign,
    None,
}

#[derive(Clone, Copy)]
struct Frame {
    shown: bool,
    in_body: bool,
    draws: Draws,
}

impl Frame {
    fn enter(self, ns: &str, name: &str, attrs: &[(&str, &str)], scripting: bool, also: &[Unshown]) -> Frame {
        let hides = |what| also.contains(&what);
        let mut frame = self;
        match ns {
            "svg" => {
                if hides(Unshown::Foreign) {
                    frame.shown = false;
                }
                frame.draws = match name {
                    "text" => Draws::Foreign,
                    "foreignObject" => Draws::Html,
                    "tspan" | "textPath" | "a" if self.draws == Draws::Foreign => Draws::Foreign,
                    // Shapes, groups, `<title>`, `<desc>`, `<style>`: no text drawn.
                    _ => Draws::None,
                };
            }
            "math" => {
                if hides(Unshown::Foreign) {
                    frame.shown = false;
                }
                frame.draws = match name {
                    "mi" | "mn" | "mo" | "ms" | "mtext" => Draws::Foreign,
                    "annotation-xml" | "annotation" => Draws::None,
                    _ if self.draws == Draws::Foreign => Draws::Foreign,
                    _ => Draws::None,
                };
            }
            _ => {
                if name == "body" && ns.is_empty() {
                    frame.in_body = true;
                }
                if self.draws == Draws::None {
                    // HTML inside a foreign element that does not draw it (say `<svg><g><b>`)
                    // is not rendered either.
                    frame.draws = Draws::None;
                } else {
                    frame.draws = Draws::Html;
                }
                let never = matches!(
                    name,
                    "head"
                        | "script"
                        | "style"
                        | "title"
                        | "noembed"
                        | "noframes"
                        | "iframe"
                        | "datalist"
                        | "rp"
                        | "video"
                        | "audio"
                        | "canvas"
                        | "template"
                ) || (name == "noscript" && (scripting || hides(Unshown::Noscript)))
                    || attrs.iter().any(|(n, _)| *n == "hidden")
                    || (name == "dialog" && !attrs.iter().any(|(n, _)| *n == "open"));
                let form = matches!(name, "button" | "select" | "option" | "optgroup" | "textarea");
                let fallback = matches!(name, "object" | "applet");
                if never || (form && hides(Unshown::FormControls)) || (fallback && hides(Unshown::Fallback)) {
                    frame.shown = false;
                }
            }
        }
        frame
    }
}

/// Why a document's characters differ, the first that explains it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Category {
    /// Form controls' text is missing (the converter before issue 14 dropped them).
    FormControls,
    /// SVG and MathML text is missing, also where a browser draws it.
    Foreign,
    /// `<object>` fallback content is missing: the converter drops it on purpose.
    Fallback,
    /// The converter parses with scripting on, also where a test turns it off.
    Noscript,
    /// html5ever does not copy an implicitly closed `<option>` into `<selectedcontent>`
    /// (servo/html5ever#712), so the selected option's text is there once, not twice.
    SelectedContent,
    /// Two or more of the differences above.
    Deliberate,
    /// The same characters in another order (text written where it was typed, not where a
    /// table foster-parents it).
    Order,
    /// The converter kept nothing: the post would be rejected as empty.
    Empty,
    /// Anything else.
    Other,
}

fn categorize(test: &Test, got: &str) -> Option<Category> {
    let expected = visible(test, &[Unshown::Nothing]);
    if got == expected {
        return None;
    }
    use Unshown::*;
    let tries: [(&[Unshown], Category); 5] = [
        (&[FormControls], Category::FormControls),
        (&[Foreign], Category::Foreign),
        (&[Fallback], Category::Fallback),
        (&[Noscript], Category::Noscript),
        (&[FormControls, Foreign, Fallback, Noscript], Category::Deliberate),
    ];
    for (also, category) in tries {
        if got == visible(test, also) {
            return Some(category);
        }
    }
    let sorted = |s: &str| {
        let mut chars: Vec<char> = s.chars().collect();
        chars.sort_unstable();
        chars
    };
    if sorted(got) == sorted(&expected) {
        return Some(Category::Order);
    }
    let data = test.data.to_ascii_lowercase();
    if !test.scripting && data.contains("<noscript") {
        return Some(Category::Noscript);
    }
    if data.contains("<selectedcontent") {
        return Some(Category::SelectedContent);
    }
    if got.is_empty() {
        return Some(Category::Empty);
    }
    Some(Category::Other)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: html_conformance DIR [--show N]   (DIR: html5lib-tests/tree-construction)");
        return ExitCode::from(2);
    };
    let mut show = 3;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().and_then(|n| n.parse().ok())) {
            ("--show", Some(n)) => show = n,
            _ => {
                eprintln!("unknown argument {arg:?}");
                return ExitCode::from(2);
            }
        }
    }
    let mut files: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "dat"))
            .collect(),
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    files.sort();
    let tests: Vec<Test> = files.iter().flat_map(|f| read_tests(f)).collect();
    let mut counted = 0;
    let mut exact = 0;
    let mut empty = 0;
    let mut mismatches: BTreeMap<Category, Vec<(&Test, String)>> = BTreeMap::new();
    for test in &tests {
        if visible(test, &[Unshown::Nothing]).is_empty() {
            continue;
        }
        counted += 1;
        let text = html_to_text(&test.data);
        let got: String = text.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
        if text.is_empty() {
            empty += 1;
        }
        match categorize(test, &got) {
            None => exact += 1,
            Some(category) => mismatches.entry(category).or_default().push((test, got)),
        }
    }
    let share = |n: usize| n as f64 / counted.max(1) as f64;
    println!(
        "{} document tests in {} files; {counted} with visible text",
        tests.len(),
        files.len()
    );
    println!(
        "exactly the visible characters: {exact} of {counted} ({:.3}); rejected as empty: {empty}",
        share(exact)
    );
    for (category, list) in &mismatches {
        println!("\n{category:?}: {}", list.len());
        for (test, got) in list.iter().take(show) {
            println!("  {}: {:?}", test.file, test.data);
            println!("    expected {:?}", visible(test, &[Unshown::Nothing]));
            println!("    got      {got:?}");
        }
    }
    ExitCode::SUCCESS
}
