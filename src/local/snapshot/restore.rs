//! Restoring a snapshot: verify it while extracting it into a new generation marked as
//! building, open that generation and check its article count, then publish it. The live
//! generation is not touched before the switch, and stays on disk after it.

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Component, Path};
use std::rc::Rc;

use sha2::{Digest, Sha256};

use super::{
    BoundedHashingReader, GENERATION_DIR, MANIFEST_ENTRY, OVER_BUDGET, SNAPSHOT_FORMAT, SUMS_ENTRY, SnapshotManifest,
    TANTIVY_META, hex, is_full, sidecar_name,
};
use crate::config::{MAX_SNAPSHOT_FILES, MAX_SNAPSHOT_MANIFEST_BYTES};
use crate::error::{IndexError, SnapshotError};
use crate::store::{self, IndexDir};

/// Bytes a tar spends beyond its files' data: each entry's 512-byte header (and at most one
/// extension header) and padding, the end-of-archive blocks and a final record's padding.
const TAR_OVERHEAD_PER_ENTRY: u64 = 3 * 512;
const TAR_TRAILER: u64 = 20 * 512;

/// A snapshot restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The new live generation.
    pub generation: String,
    /// Its articles (equal to the manifest's).
    pub articles: u64,
    /// The generation that was live before, kept on disk (`xinwen generations --use`).
    pub previous: Option<String>,
    /// Whether the whole tar was checked against its `.sha256` file (absent: only each file).
    pub whole_checked: bool,
}

/// Installs the snapshot at `snapshot` as the live generation of `dir` (created when
/// missing). Holds the writer lock throughout (`wait`: for another job to finish).
pub fn restore(dir: &IndexDir, snapshot: &Path, wait: bool) -> Result<Restored, SnapshotError> {
    let damaged = |reason: String| SnapshotError::Damaged {
        path: snapshot.to_path_buf(),
        reason,
    };
    let file = File::open(snapshot).map_err(|source| SnapshotError::Io {
        context: format!("cannot read {}", snapshot.display()),
        source,
    })?;
    let whole = expected_whole(snapshot).map_err(damaged)?;
    let lock = dir.lock(wait, &format!("xinwen restore {}", snapshot.display()))?;
    dir.remove_unfinished(&lock)?;
    let previous = dir.live_generation().ok().flatten();
    let generation = dir.reserve_generation()?;
    let restored = extract(snapshot, file, &generation, whole.as_deref()).and_then(|manifest| {
        let open = dir.open_generation(&generation)?;
        let articles = open.index.reader().map_err(IndexError::from)?.searcher().num_docs();
        if articles != manifest.articles {
            return Err(damaged(format!(
                "it holds {articles} articles, its manifest says {}",
                manifest.articles
            )));
        }
        Ok(articles)
    });
    let articles = match restored {
        Ok(articles) => articles,
        Err(e) => {
            // Ours, never published, still marked as building: nothing else refers to it.
            let _ = fs::remove_dir_all(&generation);
            return Err(e);
        }
    };
    dir.publish(&generation)?;
    drop(lock);
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    Ok(Restored {
        generation: name(&generation),
        articles,
        previous: previous.as_deref().map(name),
        whole_checked: whole.is_some(),
    })
}

/// The whole tar's SHA-256 from the `.sha256` file beside it, if there is one.
fn expected_whole(snapshot: &Path) -> Result<Option<String>, String> {
    let Some(name) = snapshot.file_name().and_then(|n| n.to_str()) else {
        return Ok(None);
    };
    let sidecar = snapshot.with_file_name(sidecar_name(name));
    let mut text = String::new();
    match File::open(&sidecar) {
        Ok(file) => {
            file.take(4096)
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read {}: {e}", sidecar.display()))?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", sidecar.display())),
    }
    let hash = text.split_whitespace().next().unwrap_or_default();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{} holds no SHA-256", sidecar.display()));
    }
    Ok(Some(hash.to_ascii_lowercase()))
}

/// Extracts and verifies every entry into `generation`; returns the manifest.
fn extract(
    snapshot: &Path,
    file: File,
    generation: &Path,
    whole: Option<&str>,
) -> Result<SnapshotManifest, SnapshotError> {
    // Until the manifest is read, only its entry (and the tar's own headers) may be read.
    let budget = MAX_SNAPSHOT_MANIFEST_BYTES as u64 + 2 * TAR_OVERHEAD_PER_ENTRY;
    let limit = Rc::new(Cell::new(budget));
    let mut archive = tar::Archive::new(BoundedHashingReader::new(BufReader::new(file), Rc::clone(&limit)));
    let mut entries = archive.entries().map_err(|e| read_error(snapshot, e))?;
    let manifest = read_manifest(&mut entries, &limit, snapshot)?;
    extract_files(&mut entries, &manifest, generation, snapshot)?;
    let mut reader = archive.into_inner();
    io::copy(&mut reader, &mut io::sink()).map_err(|e| read_error(snapshot, e))?;
    if let Some(expected) = whole
        && reader.digest() != expected
    {
        return Err(SnapshotError::Damaged {
            path: snapshot.to_path_buf(),
            reason: format!(
                "it does not match the SHA-256 in {}",
                sidecar_name(&snapshot.file_name().unwrap_or_default().to_string_lossy())
            ),
        });
    }
    write_managed(generation, &manifest).map_err(|source| SnapshotError::Io {
        context: format!("cannot write {}", generation.join(MANAGED).display()),
        source,
    })?;
    sync_dir(generation);
    Ok(manifest)
}

/// tantivy's list of the files it manages in a directory (`.managed.json`, a JSON array of
/// names). Without it, the segments restored here would be unknown to its garbage
/// collector, and their files would stay on disk after a merge replaced them.
const MANAGED: &str = ".managed.json";

fn write_managed(generation: &Path, manifest: &SnapshotManifest) -> io::Result<()> {
    let segment_files: Vec<&str> = manifest
        .files
        .iter()
        .filter_map(|f| f.path.strip_prefix(GENERATION_DIR)?.strip_prefix('/'))
        .filter(|name| {
            name.split_once('.')
                .is_some_and(|(id, _)| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .collect();
    let json = serde_json::to_vec(&segment_files).map_err(io::Error::other)?;
    let mut file = File::create(generation.join(MANAGED))?;
    file.write_all(&json)?;
    file.sync_all()
}

/// Reads and checks the manifest and the checksum list, then raises the read budget to
/// what the manifest accounts for.
fn read_manifest<R: Read>(
    entries: &mut tar::Entries<'_, R>,
    limit: &Cell<u64>,
    snapshot: &Path,
) -> Result<SnapshotManifest, SnapshotError> {
    let damaged = |reason: String| SnapshotError::Damaged {
        path: snapshot.to_path_buf(),
        reason,
    };
    let mut first = next_entry(entries, "its manifest", snapshot)?;
    let manifest_bytes = read_named(&mut first, MANIFEST_ENTRY, MAX_SNAPSHOT_MANIFEST_BYTES as u64, snapshot)?;
    drop(first);
    let manifest: SnapshotManifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| damaged(format!("its manifest {MANIFEST_ENTRY} is not valid: {e}")))?;
    check_manifest(&manifest).map_err(|reason| SnapshotError::Refused {
        path: snapshot.to_path_buf(),
        reason,
    })?;
    let sums_text = manifest.sums();
    let data: u64 = manifest.files.iter().map(|f| f.bytes.div_ceil(512) * 512).sum::<u64>()
        + (sums_text.len() as u64).div_ceil(512) * 512;
    let overhead = TAR_OVERHEAD_PER_ENTRY * (manifest.files.len() as u64 + 2) + TAR_TRAILER;
    limit.set(limit.get() + data + overhead);
    let mut sums = next_entry(entries, SUMS_ENTRY, snapshot)?;
    let sums_bytes = read_named(&mut sums, SUMS_ENTRY, sums_text.len() as u64, snapshot)?;
    if sums_bytes != sums_text.as_bytes() {
        return Err(damaged(format!("{SUMS_ENTRY} does not match its manifest")));
    }
    Ok(manifest)
}

/// Writes each listed file into `generation`, in the manifest's order, checking its size
/// and SHA-256 as it is written; anything else in the tar is refused.
fn extract_files<R: Read>(
    entries: &mut tar::Entries<'_, R>,
    manifest: &SnapshotManifest,
    generation: &Path,
    snapshot: &Path,
) -> Result<(), SnapshotError> {
    let damaged = |reason: String| SnapshotError::Damaged {
        path: snapshot.to_path_buf(),
        reason,
    };
    let refused = |reason: String| SnapshotError::Refused {
        path: snapshot.to_path_buf(),
        reason,
    };
    let expected = check_manifest(manifest).map_err(refused)?;
    let mut seen = 0usize;
    for entry in entries {
        let mut entry = entry.map_err(|e| read_error(snapshot, e))?;
        let path = entry_path(&entry).map_err(refused)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(refused(format!("entry {path:?} is not a regular file (a link?)")));
        }
        let Some(&(i, name)) = expected.get(path.as_str()) else {
            return Err(refused(format!("entry {path:?} is not listed in its manifest")));
        };
        if i < seen {
            return Err(refused(format!("entry {path:?} appears twice")));
        }
        if i > seen {
            return Err(refused(format!("entry {path:?} is out of the manifest's order")));
        }
        let listed = &manifest.files[i];
        let target = generation.join(name);
        let (bytes, sha256) = copy_verified(&mut entry, &target, listed.bytes).map_err(|e| match e {
            Copy::Read(e) => read_error(snapshot, e),
            Copy::Write(source) if is_full(&source) => SnapshotError::Index(IndexError::NoSpace {
                path: generation.to_path_buf(),
                committed: false,
            }),
            Copy::Write(source) => SnapshotError::Io {
                context: format!("cannot write {}", target.display()),
                source,
            },
        })?;
        if bytes < listed.bytes {
            return Err(damaged(format!(
                "{path} ends after {bytes} of its {} bytes (truncated?)",
                listed.bytes
            )));
        }
        if bytes > listed.bytes {
            return Err(refused(format!(
                "{path} is longer than the {} bytes its manifest lists",
                listed.bytes
            )));
        }
        if sha256 != listed.sha256 {
            return Err(damaged(format!("{path} does not match its SHA-256")));
        }
        seen += 1;
    }
    if seen < manifest.files.len() {
        return Err(damaged(format!(
            "it ends after {seen} of its {} files (truncated?)",
            manifest.files.len()
        )));
    }
    Ok(())
}

/// The manifest's entries by tar path, with their index and file name; refuses a manifest
/// of another format or version, or one whose paths are not plain generation files.
fn check_manifest(manifest: &SnapshotManifest) -> Result<HashMap<&str, (usize, &str)>, String> {
    if manifest.format != SNAPSHOT_FORMAT {
        return Err(format!(
            "it is of snapshot format {}, this xinwen reads format {SNAPSHOT_FORMAT}",
            manifest.format
        ));
    }
    if manifest.index_format != store::FORMAT || manifest.analyzer != store::ANALYZER_VERSION {
        return Err(format!(
            "it was taken by xinwen {} (index format {}, analyzer {}); restore it with that version, or rebuild",
            manifest.xinwen_version, manifest.index_format, manifest.analyzer
        ));
    }
    if manifest.files.len() > MAX_SNAPSHOT_FILES {
        return Err(format!(
            "its manifest lists {} files, at most {MAX_SNAPSHOT_FILES}",
            manifest.files.len()
        ));
    }
    let mut expected = HashMap::with_capacity(manifest.files.len());
    for (i, file) in manifest.files.iter().enumerate() {
        let name = file
            .path
            .strip_prefix(GENERATION_DIR)
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|name| is_plain_name(name))
            .ok_or_else(|| format!("its manifest lists {:?}, not a file of {GENERATION_DIR}/", file.path))?;
        if expected.insert(file.path.as_str(), (i, name)).is_some() {
            return Err(format!("its manifest lists {:?} twice", file.path));
        }
    }
    let first = format!("{GENERATION_DIR}/{TANTIVY_META}");
    if manifest.files.first().map(|f| f.path.as_str()) != Some(first.as_str()) {
        return Err(format!("its manifest does not start with {first}"));
    }
    Ok(expected)
}

/// A file name a generation holds: no separators, no `..`, no hidden files (tantivy's
/// locks and bookkeeping are made anew).
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 255
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// An entry's path as text, refusing absolute paths and `..` before anything else.
fn entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> Result<String, String> {
    let raw = entry.path_bytes();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let path = Path::new(&text);
    let leaves = path
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::RootDir | Component::Prefix(_)));
    if leaves {
        return Err(format!("entry {text:?} points outside the index"));
    }
    Ok(text)
}

/// Reads one named entry of at most `max` bytes whole (the manifest, the checksum list).
fn read_named<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    name: &str,
    max: u64,
    snapshot: &Path,
) -> Result<Vec<u8>, SnapshotError> {
    let refused = |reason: String| SnapshotError::Refused {
        path: snapshot.to_path_buf(),
        reason,
    };
    let path = entry_path(entry).map_err(refused)?;
    if path != name || entry.header().entry_type() != tar::EntryType::Regular {
        return Err(refused(format!(
            "its first entries must be {MANIFEST_ENTRY} and {SUMS_ENTRY}, not {path:?}: is it a xinwen snapshot?"
        )));
    }
    let mut bytes = Vec::new();
    entry
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(snapshot, e))?;
    if bytes.len() as u64 > max {
        return Err(refused(format!("{name} is larger than {max} bytes")));
    }
    Ok(bytes)
}

enum Copy {
    Read(io::Error),
    Write(io::Error),
}

/// Copies at most `expected + 1` bytes of `entry` to a new file, hashing them; synced.
fn copy_verified(entry: &mut impl Read, target: &Path, expected: u64) -> Result<(u64, String), Copy> {
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)
        .map_err(Copy::Write)?;
    let mut hasher = Sha256::new();
    let mut limited = entry.take(expected + 1);
    let mut buffer = vec![0u8; 256 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = match limited.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Read(e)),
        };
        hasher.update(&buffer[..n]);
        out.write_all(&buffer[..n]).map_err(Copy::Write)?;
        bytes += n as u64;
    }
    out.sync_all().map_err(Copy::Write)?;
    Ok((bytes, hex(&hasher.finalize())))
}

/// A read error of the tar: a stream past its budget is refused, an early end or a bad
/// header is damage.
fn read_error(snapshot: &Path, e: io::Error) -> SnapshotError {
    if e.to_string() == OVER_BUDGET {
        return SnapshotError::Refused {
            path: snapshot.to_path_buf(),
            reason: OVER_BUDGET.into(),
        };
    }
    let reason = if e.kind() == io::ErrorKind::UnexpectedEof {
        "it ends in the middle of an entry (truncated?)".to_string()
    } else {
        format!("it cannot be read as a tar ({e})")
    };
    SnapshotError::Damaged {
        path: snapshot.to_path_buf(),
        reason,
    }
}

/// The next entry, or the damage of a tar that ends before `what`.
fn next_entry<'a, R: Read>(
    entries: &mut tar::Entries<'a, R>,
    what: &str,
    snapshot: &Path,
) -> Result<tar::Entry<'a, R>, SnapshotError> {
    match entries.next() {
        Some(entry) => entry.map_err(|e| read_error(snapshot, e)),
        None => Err(SnapshotError::Damaged {
            path: snapshot.to_path_buf(),
            reason: format!("it ends before {what} (truncated?)"),
        }),
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_only() {
        for good in [
            "meta.json",
            "xinwen.json",
            "0123abcd.idx",
            "0123abcd.12.del",
            "user_dict.txt",
        ] {
            assert!(is_plain_name(good), "{good}");
        }
        for bad in ["", "..", ".managed.json", "a/b", "a\\b", "x y", "名.txt"] {
            assert!(!is_plain_name(bad), "{bad}");
        }
    }
}
