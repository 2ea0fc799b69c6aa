//! Snapshots of a local index: a tar of the live generation's committed files plus a
//! manifest with SHA-256 checksums ([`take`]), and their installation as a new generation
//! ([`restore`]). What the store does (generations, `CURRENT`, the lock) stays in `store`.
//!
//! ```text
//! snapshot.tar
//!   xinwen-snapshot.json    the manifest (first): format, versions, generation, articles,
//!                           segments, created, and each file's path, size and SHA-256
//!   SHA256SUMS              the same checksums in `sha256sum` format (second)
//!   generation/meta.json    the committed tantivy meta, then xinwen.json, user_dict.txt
//!   generation/<segment>.*  exactly the files of the segments that meta names
//! snapshot.tar.sha256       beside the tar: the whole tar's SHA-256 (`sha256sum -c`)
//! ```

mod restore;
mod take;

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use restore::{Restored, restore};
pub use take::{snapshot_name, take};

/// The layout version of a snapshot; a restore refuses any other.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// The manifest's name in the tar (its first entry).
pub const MANIFEST_ENTRY: &str = "xinwen-snapshot.json";

/// The `sha256sum` checksum list's name in the tar (its second entry).
pub const SUMS_ENTRY: &str = "SHA256SUMS";

/// The folder of the generation's files in the tar.
pub const GENERATION_DIR: &str = "generation";

/// tantivy's meta file in a generation, the first file of a snapshot.
const TANTIVY_META: &str = "meta.json";

/// What a snapshot holds, written first in its tar so a restore knows every entry, size and
/// checksum before it reads any.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SnapshotManifest {
    /// [`SNAPSHOT_FORMAT`].
    pub format: u32,
    /// The xinwen that wrote it.
    pub xinwen_version: String,
    /// The index layout version of the generation (the store's `FORMAT`).
    pub index_format: u32,
    /// The analyzer that built the generation.
    pub analyzer: String,
    /// The generation it copies (`gen-000003`).
    pub generation: String,
    /// Articles in that generation's committed state.
    pub articles: u64,
    /// The committed segments, by id.
    pub segments: Vec<String>,
    /// When it was taken (RFC 3339, UTC).
    pub created: String,
    /// Every file after the manifest and the checksum list, in tar order.
    pub files: Vec<SnapshotFile>,
}

/// One file of a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SnapshotFile {
    /// Its path in the tar (`generation/meta.json`).
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

impl SnapshotManifest {
    /// The checksum list in `sha256sum` format, one `HASH  PATH` line a file.
    pub fn sums(&self) -> String {
        self.files
            .iter()
            .map(|f| format!("{}  {}\n", f.sha256, f.path))
            .collect()
    }
}

/// A snapshot written: what `xinwen snapshot` prints and `POST /api/snapshots` answers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Snapshot {
    /// The tar's file name.
    pub name: String,
    /// Its path.
    pub path: String,
    /// The generation it copies.
    pub generation: String,
    /// Articles in it.
    pub articles: u64,
    /// Committed segments in it.
    pub segments: usize,
    /// Files of the generation in it.
    pub files: usize,
    /// The tar's size in bytes.
    pub bytes: u64,
    /// The tar's SHA-256 (also in `<path>.sha256`).
    pub sha256: String,
    /// When it was taken.
    pub created: String,
}

/// The name of the whole-file checksum written beside a snapshot.
pub fn sidecar_name(snapshot_name: &str) -> String {
    format!("{snapshot_name}.sha256")
}

/// Lowercase hex of a digest.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A writer that hashes what passes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The writer, the hex digest and the byte count of everything written.
    fn finish(self) -> (W, String, u64) {
        (self.inner, hex(&self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what passes through it and refuses to read past a budget, so a
/// hostile tar cannot make the reader (or the tar crate's own buffering of extension
/// headers) take more than the manifest accounts for.
struct BoundedHashingReader<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
    /// Shared with the restore, which raises it once the manifest says what follows.
    budget: Rc<Cell<u64>>,
}

/// The error kind a [`BoundedHashingReader`] fails with past its budget.
const OVER_BUDGET: &str = "the snapshot holds more data than its manifest lists";

impl<R: Read> BoundedHashingReader<R> {
    fn new(inner: R, budget: Rc<Cell<u64>>) -> Self {
        BoundedHashingReader {
            inner,
            hasher: Sha256::new(),
            read: 0,
            budget,
        }
    }

    fn digest(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<R: Read> Read for BoundedHashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.budget.get().saturating_sub(self.read);
        if left == 0 && !buf.is_empty() {
            // One byte more tells a stream that ends here from one that goes on.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(OVER_BUDGET)),
            };
        }
        let take = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..take])?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// Whether an I/O error says the disk is full.
fn is_full(e: &io::Error) -> bool {
    const ENOSPC: i32 = 28;
    e.kind() == io::ErrorKind::StorageFull || e.raw_os_error() == Some(ENOSPC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sums_are_sha256sum_lines() {
        let manifest = SnapshotManifest {
            format: SNAPSHOT_FORMAT,
            xinwen_version: "0".into(),
            index_format: 1,
            analyzer: "a".into(),
            generation: "gen-000001".into(),
            articles: 0,
            segments: vec![],
            created: "2026-01-01T00:00:00Z".into(),
            files: vec![SnapshotFile {
                path: "generation/meta.json".into(),
                bytes: 3,
                sha256: "ab".into(),
            }],
        };
        assert_eq!(manifest.sums(), "ab  generation/meta.json\n");
    }

    #[test]
    fn hashing_writer_and_reader_agree_with_sha256() {
        let mut writer = HashingWriter::new(Vec::new());
        writer.write_all(b"abc").expect("write");
        let (bytes, digest, n) = writer.finish();
        // SHA-256("abc") from FIPS 180-2.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!((bytes.as_slice(), digest.as_str(), n), (&b"abc"[..], abc, 3));
        let mut reader = BoundedHashingReader::new(&b"abc"[..], Rc::new(Cell::new(3)));
        let mut out = Vec::new();
        reader.read_to_end(&mut out).expect("read");
        assert_eq!(reader.digest(), abc);
    }

    #[test]
    fn a_reader_past_its_budget_fails() {
        let mut reader = BoundedHashingReader::new(&b"abcd"[..], Rc::new(Cell::new(3)));
        let mut out = Vec::new();
        let error = reader.read_to_end(&mut out).expect_err("over budget");
        assert_eq!(error.to_string(), OVER_BUDGET);
        assert_eq!(out, b"abc");
    }
}
