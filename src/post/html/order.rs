//! Document order across tables: text the parser inserts before an open table ("foster
//! parenting": `<table>a<tr><td>b</table>` shows "a" above the table) must come out before
//! the table's text, which was written first.
//!
//! Each visible table writes into a segment of its own, held until the table is closed; text
//! for the enclosing segment that arrives while the table is still open can only be foster-
//! parented text, and goes before it. The tree builder drops a table's handle when it closes
//! the table, so a segment whose table is gone is closed, and is spliced into its parent
//! before anything else is written there.

use std::rc::{Rc, Weak};

use super::sink::Node;
use super::writer::Writer;

/// The segment of the document outside every table.
pub(super) const MAIN: u32 = 0;

/// A table's text, while the table may still get text before it.
struct Segment {
    id: u32,
    /// Dead once the tree builder has closed the table.
    table: Weak<Node>,
    writer: Writer,
}

/// The main segment and the open tables' segments, outermost first; each table's segment is
/// inside the one before it.
pub(super) struct Segments {
    main: Writer,
    tables: Vec<Segment>,
    next_id: u32,
}

impl Segments {
    pub(super) fn with_capacity(capacity: usize) -> Segments {
        Segments {
            main: Writer::with_capacity(capacity),
            tables: Vec::new(),
            next_id: MAIN + 1,
        }
    }

    /// A new segment for `table`, inside segment `parent`.
    pub(super) fn open(&mut self, parent: u32, table: &Rc<Node>) -> u32 {
        self.close_finished(parent);
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(MAIN + 1);
        self.tables.push(Segment {
            id,
            table: Rc::downgrade(table),
            writer: Writer::default(),
        });
        id
    }

    /// The writer of segment `id`, once the closed tables inside it are in it.
    pub(super) fn writer(&mut self, id: u32) -> &mut Writer {
        self.close_finished(id);
        match self.tables.iter().rposition(|s| s.id == id) {
            Some(index) => &mut self.tables[index].writer,
            None => &mut self.main,
        }
    }

    /// The writer of the innermost open table, or the main one.
    pub(super) fn innermost(&mut self) -> &mut Writer {
        let id = self
            .tables
            .iter()
            .rev()
            .find(|s| s.table.strong_count() > 0)
            .map_or(MAIN, |s| s.id);
        self.writer(id)
    }

    /// Splices the closed segments after segment `id` into their parents.
    fn close_finished(&mut self, id: u32) {
        while self
            .tables
            .last()
            .is_some_and(|s| s.id != id && s.table.strong_count() == 0)
        {
            self.splice_last();
        }
    }

    fn splice_last(&mut self) {
        let Some(segment) = self.tables.pop() else {
            return;
        };
        match self.tables.last_mut() {
            Some(parent) => parent.writer.append(segment.writer),
            None => self.main.append(segment.writer),
        }
    }

    /// All the text, in document order.
    pub(super) fn finish(mut self) -> String {
        while !self.tables.is_empty() {
            self.splice_last();
        }
        self.main.finish()
    }
}
