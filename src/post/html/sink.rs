//! The tree builder's sink: it keeps no tree, only what the text needs. Each element learns,
//! when it is inserted, whether its content is shown, its box (block or cell), whether it is
//! preformatted and whether it draws text; text goes to a writer the moment the tree builder
//! inserts it (to the table's segment when it is inside a table, see [`super::order`]).
//!
//! Nodes are reference-counted handles that only the tree builder holds (its stack of open
//! elements, its list of formatting elements, the head and form pointers), so an element is
//! freed as soon as the parser is done with it, and memory follows the open elements, not
//! the input. The live nodes are counted ([`Census`]): that is how the gate in front of the
//! tree builder sees how deep the document is.
//!
//! What this gives up: text already written stays where it was written. When the adoption
//! agency moves content already inserted (`<b>1<p>2</b>3` puts the `<p>` after the `<b>`),
//! the text keeps its order, which is what it moves to preserve, and its visibility, which
//! changes only when more than three nested formatting elements are cut off from it.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use html5ever::tendril::StrTendril;
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName, local_name, ns};

use super::order::{MAIN, Segments};
use super::rules::{self, Draws, Layout, Role};

/// A handle to an element (or an inert comment, doctype or fragment).
pub(super) type Handle = Rc<Node>;

/// How many nodes the tree builder holds: open elements, remembered formatting elements and
/// the few pointers it keeps.
#[derive(Default)]
pub(super) struct Census {
    /// All live nodes.
    pub(super) live: Cell<usize>,
    /// Live formatting elements (`<b>`, `<a>`, `<font>` …), the ones the parser reopens.
    pub(super) formatting: Cell<usize>,
}

/// Where text inside a node goes.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(super) struct Place {
    /// Nothing inside is shown.
    hidden: bool,
    /// Line breaks are kept.
    pre: bool,
    /// The block or cell the text belongs to.
    in_box: u32,
    /// Whether text directly here is drawn (SVG and MathML draw it only in some elements).
    draws: Draws,
    /// The output segment: the innermost table's, or the main one.
    segment: u32,
}

impl Place {
    const HIDDEN: Place = Place {
        hidden: true,
        pre: false,
        in_box: 0,
        draws: Draws::Nothing,
        segment: MAIN,
    };

    /// Text here is shown.
    fn shows_text(self) -> bool {
        !self.hidden && self.draws != Draws::Nothing
    }
}

/// One element as the sink knows it.
pub(super) struct Node {
    name: QualName,
    role: Role,
    /// Where this node's content goes; set when it is inserted.
    inside: Cell<Place>,
    /// Where the node itself sits, for inserting before it; `None` while detached.
    parent: Cell<Option<Place>>,
    /// `inside` is known: the node was inserted under a placed parent (the document is placed).
    /// A later insertion is a move.
    placed: Cell<bool>,
    /// Elements inserted while this node was not placed yet (the adoption agency builds
    /// copies of formatting elements bottom-up): they are placed when this node is.
    waiting: RefCell<Vec<Handle>>,
    /// A `<template>`'s contents, a fragment of its own that is never shown.
    contents: Option<Handle>,
    /// A MathML `annotation-xml` holding HTML, which the tree builder asks about.
    html_annotation: bool,
    census: Rc<Census>,
}

impl Node {
    fn new(census: &Rc<Census>, name: QualName, role: Role, inside: Place) -> Node {
        census.live.set(census.live.get().saturating_add(1));
        if name.ns == ns!(html) && rules::is_formatting(&name.local) {
            census.formatting.set(census.formatting.get().saturating_add(1));
        }
        Node {
            name,
            role,
            inside: Cell::new(inside),
            parent: Cell::new(None),
            placed: Cell::new(false),
            waiting: RefCell::new(Vec::new()),
            contents: None,
            html_annotation: false,
            census: Rc::clone(census),
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let census = &self.census;
        census.live.set(census.live.get().saturating_sub(1));
        if self.name.ns == ns!(html) && rules::is_formatting(&self.name.local) {
            census.formatting.set(census.formatting.get().saturating_sub(1));
        }
    }
}

/// Streams the document's visible text into [`Segments`] of writers.
pub(super) struct TextSink {
    pub(super) out: RefCell<Segments>,
    document: Handle,
    /// What comments, doctypes and processing instructions become: nothing, shared.
    inert: Handle,
    pub(super) census: Rc<Census>,
    next_box: Cell<u32>,
}

impl TextSink {
    /// A sink whose writer starts with room for `capacity` bytes.
    pub(super) fn with_capacity(capacity: usize) -> TextSink {
        let census = Rc::new(Census::default());
        let nameless = || QualName::new(None, ns!(), local_name!(""));
        let document = Rc::new(Node::new(&census, nameless(), Role::INERT, Place::default()));
        document.placed.set(true);
        let inert = Rc::new(Node::new(&census, nameless(), Role::INERT, Place::HIDDEN));
        inert.placed.set(true);
        TextSink {
            out: RefCell::new(Segments::with_capacity(capacity)),
            document,
            inert,
            census,
            next_box: Cell::new(1),
        }
    }

    /// Where the content of `node` goes when it sits at `parent`. A first insertion opens the
    /// element's box (and a table's segment); a move (the adoption agency re-parenting a
    /// block) keeps them, so content already written is not broken up again.
    fn enter(&self, parent: Place, node: &Handle, moved_from: Option<Place>) -> Place {
        let role = node.role;
        if parent.hidden || role.hides {
            return Place::HIDDEN;
        }
        let mut place = Place {
            pre: parent.pre || role.pre,
            draws: (role.draws)(parent.draws),
            ..parent
        };
        // Out of a hidden element, a moved block is shown for the first time.
        if let Some(before) = moved_from.filter(|before| !before.hidden) {
            if matches!(role.layout, Layout::Block | Layout::Cell) {
                place.in_box = before.in_box;
                place.segment = before.segment;
            }
            return place;
        }
        let mut out = self.out.borrow_mut();
        if node.name.local == local_name!("table") && node.name.ns == ns!(html) {
            place.segment = out.open(parent.segment, node);
        }
        match role.layout {
            Layout::Inline => {}
            Layout::Break => out.writer(place.segment).line_break(),
            Layout::Block | Layout::Cell => {
                let id = self.next_box.get();
                self.next_box.set(id.wrapping_add(1));
                place.in_box = id;
                let writer = out.writer(place.segment);
                if role.layout == Layout::Block {
                    writer.open_block(id);
                } else {
                    writer.open_cell(id);
                }
            }
        }
        place
    }

    /// Ends the current line of the innermost open segment.
    pub(super) fn line_break(&self) {
        self.out.borrow_mut().innermost().line_break();
    }

    /// Inserts `child` under `parent`: text is written, an element learns where its content
    /// goes.
    fn insert(&self, parent: &Node, child: NodeOrText<Handle>) {
        if !parent.placed.get() {
            // Only elements are inserted under an element that is not placed yet; text
            // there could not be placed, and is not shown.
            if let NodeOrText::AppendNode(node) = child {
                parent.waiting.borrow_mut().push(node);
            }
            return;
        }
        self.insert_at(parent.inside.get(), child);
    }

    /// Inserts `child` where content goes to `place`.
    fn insert_at(&self, place: Place, child: NodeOrText<Handle>) {
        match child {
            NodeOrText::AppendText(text) => {
                if place.shows_text() {
                    let mut out = self.out.borrow_mut();
                    out.writer(place.segment).text(&text, place.in_box, place.pre);
                }
            }
            NodeOrText::AppendNode(node) => {
                if Rc::ptr_eq(&node, &self.inert) {
                    return;
                }
                let mut placing = vec![(place, node)];
                while let Some((place, node)) = placing.pop() {
                    let moved_from = node.placed.replace(true).then(|| node.inside.get());
                    node.parent.set(Some(place));
                    node.inside.set(self.enter(place, &node, moved_from));
                    let inside = node.inside.get();
                    // Later insertions come out later: the last one waiting is placed last.
                    placing.extend(node.waiting.take().into_iter().rev().map(|child| (inside, child)));
                }
            }
        }
    }
}

impl TreeSink for TextSink {
    type Handle = Handle;
    type Output = ();
    type ElemName<'a> = &'a QualName;

    fn finish(self) {}

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        Rc::clone(&self.document)
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> &'a QualName {
        &target.name
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        let role = rules::role(&name, &attrs);
        let mut node = Node::new(&self.census, name, role, Place::HIDDEN);
        node.html_annotation = flags.mathml_annotation_xml_integration_point;
        if flags.template {
            let fragment = QualName::new(None, ns!(), local_name!(""));
            let contents = Node::new(&self.census, fragment, Role::INERT, Place::HIDDEN);
            contents.placed.set(true);
            node.contents = Some(Rc::new(contents));
        }
        Rc::new(node)
    }

    fn create_comment(&self, _text: StrTendril) -> Handle {
        Rc::clone(&self.inert)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        Rc::clone(&self.inert)
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        self.insert(parent, child);
    }

    fn append_based_on_parent_node(&self, element: &Handle, prev_element: &Handle, child: NodeOrText<Handle>) {
        if element.parent.get().is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _name: StrTendril, _public_id: StrTendril, _system_id: StrTendril) {}

    fn get_template_contents(&self, target: &Handle) -> Handle {
        target.contents.clone().unwrap_or_else(|| Rc::clone(&self.inert))
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        Rc::ptr_eq(x, y)
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Handle, child: NodeOrText<Handle>) {
        // A detached sibling has nowhere to put anything before it.
        self.insert_at(sibling.parent.get().unwrap_or(Place::HIDDEN), child);
    }

    fn add_attrs_if_missing(&self, _target: &Handle, _attrs: Vec<Attribute>) {
        // Only `<html>` and `<body>` get attributes late, and neither is ever hidden.
    }

    fn remove_from_parent(&self, target: &Handle) {
        target.parent.set(None);
    }

    fn reparent_children(&self, _node: &Handle, _new_parent: &Handle) {
        // Children keep the place they were given; only text still to come would move.
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        handle.html_annotation
    }

    fn allow_declarative_shadow_roots(&self, _intended_parent: &Handle) -> bool {
        false
    }
}
