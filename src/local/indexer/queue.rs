//! A byte bound on the documents waiting in tantivy's indexing queue.
//!
//! `IndexWriter::add_document` blocks only once 10,000 documents wait to be indexed,
//! whatever their size: with the parser faster than the analyzer, forty articles of 12 MiB
//! all waited at once (1.35 GiB). Here each document carries a [`Ticket`] for its bytes;
//! tantivy drops the document, and with it the ticket, once it is indexed, and a job waits
//! for room before handing over the next.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tantivy::{Document, TantivyDocument};

/// How long a job waits without seeing any document indexed before it hands the next one
/// over anyway: the writer's threads may have died (a full disk), and then only the next
/// `add_document` says so. Slow analysis of a huge article is not a stall: any progress
/// restarts the wait.
const STALL: Duration = Duration::from_secs(10);

/// Bytes of documents handed to the writer and not indexed yet.
pub(super) struct Queue {
    used: Mutex<usize>,
    room: Condvar,
    limit: usize,
}

impl Queue {
    /// A queue holding at most `limit` bytes (and always at least one document).
    pub(super) fn new(limit: usize) -> Arc<Queue> {
        Arc::new(Queue {
            used: Mutex::new(0),
            room: Condvar::new(),
            limit,
        })
    }

    fn used(&self) -> MutexGuard<'_, usize> {
        // The count stays right even if a holder panicked: it is only ever added to and
        // taken from whole.
        self.used.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until `bytes` more fit (or the queue is empty), then counts them.
    pub(super) fn admit(self: &Arc<Self>, bytes: usize) -> Ticket {
        let mut used = self.used();
        let mut progress = Instant::now();
        while *used > 0 && *used + bytes > self.limit && progress.elapsed() < STALL {
            let before = *used;
            used = match self.room.wait_timeout(used, Duration::from_millis(100)) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
            if *used < before {
                progress = Instant::now();
            }
        }
        *used += bytes;
        Ticket {
            queue: Arc::clone(self),
            bytes,
        }
    }
}

/// Bytes of one document in the queue, given back when it is dropped.
pub(super) struct Ticket {
    queue: Arc<Queue>,
    bytes: usize,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut used = self.queue.used();
        *used = used.saturating_sub(self.bytes);
        self.queue.room.notify_all();
    }
}

/// A document with its ticket: what the job's writer indexes.
pub(super) struct QueuedDoc {
    doc: TantivyDocument,
    _ticket: Ticket,
}

impl QueuedDoc {
    pub(super) fn new(doc: TantivyDocument, ticket: Ticket) -> Self {
        QueuedDoc { doc, _ticket: ticket }
    }
}

impl Document for QueuedDoc {
    type Value<'a> = <TantivyDocument as Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_waits_for_room_and_one_document_always_fits() {
        let queue = Queue::new(10);
        let big = queue.admit(25);
        assert_eq!(*queue.used(), 25, "an empty queue takes a document of any size");
        let waiter = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                let _ticket = queue.admit(5);
                *queue.used()
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(*queue.used(), 25, "the second document waits");
        drop(big);
        assert_eq!(waiter.join().expect("waiter"), 5);
        assert_eq!(*queue.used(), 0);
    }
}
