//! The one-writer lock of an index: an OS file lock on `.xinwen.lock`, which also says who
//! holds it.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};

use super::{IndexDir, LOCK};
use crate::error::IndexError;

impl IndexDir {
    /// Takes the one-writer lock. With `wait`, blocks until it is free; otherwise fails at
    /// once naming the holder. The lock is an OS file lock: a killed job's lock is released
    /// by the kernel and never blocks the next one.
    pub fn lock(&self, wait: bool, holder: &str) -> Result<WriterLock, IndexError> {
        fs::create_dir_all(&self.root).map_err(self.io(format!("cannot create {}", self.root.display())))?;
        let path = self.root.join(LOCK);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(self.io(format!("cannot open {}", path.display())))?;
        match try_lock_briefly(&file) {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) if wait => {
                file.lock().map_err(self.io("cannot lock the index"))?;
            }
            Err(fs::TryLockError::WouldBlock) => {
                let mut who = String::new();
                let _ = file.read_to_string(&mut who);
                let who = who.trim();
                return Err(IndexError::Locked {
                    path: self.root.clone(),
                    holder: if who.is_empty() {
                        "another xinwen process".into()
                    } else {
                        who.to_string()
                    },
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(self.io("cannot lock the index")(e)),
        }
        // Tell a second job who holds the lock.
        let _ = file.set_len(0).and_then(|_| file.rewind()).and_then(|_| {
            writeln!(
                file,
                "pid {} ({holder}, since {})",
                std::process::id(),
                crate::post::format_date(time::OffsetDateTime::now_utc())
            )
        });
        Ok(WriterLock { _file: file })
    }
}

/// Proof that this process is the index's one writer; released on drop (or death).
pub struct WriterLock {
    _file: File,
}

/// Takes the lock, trying again for a moment before giving up. A program started by
/// another thread of this process holds a copy of every descriptor from its fork until
/// its exec closes them, and with the copy the lock: a lock released a moment ago can stay
/// held for a few milliseconds after. A second writer still fails at once, to a person.
fn try_lock_briefly(file: &File) -> Result<(), fs::TryLockError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(250);
    loop {
        match file.try_lock() {
            Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}
