//! Taking a snapshot: pin the committed files of the live generation, hash them, and write
//! them as a tar to `OUT.tmp`, renamed to `OUT` only once it is complete and synced.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tantivy::Directory;
use tantivy::directory::META_LOCK;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{
    GENERATION_DIR, HashingWriter, MANIFEST_ENTRY, SNAPSHOT_FORMAT, SUMS_ENTRY, Snapshot, SnapshotFile,
    SnapshotManifest, TANTIVY_META, hex, is_full, sidecar_name,
};
use crate::error::{IndexError, SnapshotError};
use crate::store::{self, IndexDir};

/// How often a snapshot starts over when a rebuild replaced the live generation under it.
const PIN_TRIES: usize = 3;

/// The committed state of one generation, held open. Every file meta.json names is opened
/// while holding tantivy's meta lock, the lock its own readers take for the same reason:
/// the garbage collector of a job committing meanwhile decides what to delete only while
/// holding it, so nothing named in the meta read here is deleted before it is open. Once
/// open, a file stays readable after a later merge or clean-up deletes it (Linux keeps an
/// unlinked file until its last descriptor closes), so the copy is of one commit, whole.
struct Pinned {
    generation: String,
    manifest: store::Manifest,
    articles: u64,
    segments: Vec<String>,
    /// The committed meta, as tantivy serializes it.
    meta: Vec<u8>,
    /// The generation's other files (xinwen.json, the user dictionary, the learned
    /// aliases, the segments' files), by name, in tar order.
    files: Vec<(String, File)>,
}

/// Writes a snapshot of the live generation of `dir` to `out`; a directory `out` gets a
/// file named by [`snapshot_name`]. Works while a job writes the index and while a server
/// reads it; takes no lock of theirs.
pub fn take(dir: &IndexDir, out: &Path) -> Result<Snapshot, SnapshotError> {
    let pinned = pin(dir)?;
    let created = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let path = if out.is_dir() {
        out.join(snapshot_name(&pinned.generation, created))
    } else {
        out.to_path_buf()
    };
    let name = check_destination(&path)?;
    let tmp = path.with_file_name(format!("{name}.tmp"));
    let sidecar = path.with_file_name(sidecar_name(&name));
    let sidecar_tmp = path.with_file_name(format!("{}.tmp", sidecar_name(&name)));
    let file = claim(&tmp, &path)?;
    let written = write(&pinned, created, file, &path, &sidecar_tmp).and_then(|(manifest, sha256, bytes)| {
        rename(&sidecar_tmp, &sidecar, &path)?;
        rename(&tmp, &path, &path)?;
        sync_parent(&path);
        Ok((manifest, sha256, bytes))
    });
    let (manifest, sha256, bytes) = match written {
        Ok(done) => done,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            let _ = fs::remove_file(&sidecar_tmp);
            return Err(e);
        }
    };
    tracing::info!(path = %path.display(), generation = %manifest.generation, articles = manifest.articles, bytes, "snapshot written");
    Ok(Snapshot {
        name,
        path: path.display().to_string(),
        generation: manifest.generation,
        articles: manifest.articles,
        segments: manifest.segments.len(),
        files: manifest.files.len(),
        bytes,
        sha256,
        created: manifest.created,
    })
}

/// The file name a snapshot of `generation` taken at `at` gets in a directory:
/// `xinwen-gen-000003-20261202T064501Z.tar`.
pub fn snapshot_name(generation: &str, at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let stamp = at
        .to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_else(|_| at.unix_timestamp().to_string());
    format!("xinwen-{generation}-{stamp}.tar")
}

/// The snapshot's file name, once its directory is shown to exist.
fn check_destination(path: &Path) -> Result<String, SnapshotError> {
    let refuse = |reason: String| SnapshotError::Destination {
        path: path.to_path_buf(),
        reason,
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .ok_or_else(|| refuse("give a file name (or a directory) to write to".into()))?
        .to_string();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(refuse(format!("the directory {} does not exist", parent.display())));
    }
    Ok(name)
}

/// Opens `tmp` for this snapshot alone: an OS lock on it tells a second snapshot to the same
/// place to stop, and a killed one's lock goes with it.
fn claim(tmp: &Path, path: &Path) -> Result<File, SnapshotError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(tmp)
        .map_err(|e| SnapshotError::Destination {
            path: path.to_path_buf(),
            reason: format!("cannot create {}: {e}", tmp.display()),
        })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(SnapshotError::Busy {
                path: path.to_path_buf(),
            });
        }
        Err(fs::TryLockError::Error(e)) => return Err(io_error(format!("cannot lock {}", tmp.display()), e, path)),
    }
    file.set_len(0)
        .map_err(|e| io_error(format!("cannot truncate {}", tmp.display()), e, path))?;
    Ok(file)
}

fn rename(from: &Path, to: &Path, snapshot: &Path) -> Result<(), SnapshotError> {
    fs::rename(from, to).map_err(|e| {
        io_error(
            format!("cannot rename {} to {}", from.display(), to.display()),
            e,
            snapshot,
        )
    })
}

fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent()
        && let Ok(dir) = File::open(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        })
    {
        let _ = dir.sync_all();
    }
}

/// An I/O error writing the snapshot at `snapshot`; a full disk is its own error.
fn io_error(context: String, source: io::Error, snapshot: &Path) -> SnapshotError {
    if is_full(&source) {
        SnapshotError::NoSpace {
            path: snapshot.to_path_buf(),
        }
    } else {
        SnapshotError::Io { context, source }
    }
}

/// Pins the live generation, starting over (a few times) when a rebuild switched `CURRENT`
/// and removed the generation while it was being opened.
fn pin(dir: &IndexDir) -> Result<Pinned, SnapshotError> {
    let mut tries = 0;
    loop {
        let live = dir.live_generation()?.ok_or_else(|| IndexError::Missing {
            path: dir.root().to_path_buf(),
        })?;
        match pin_generation(dir, &live) {
            Ok(pinned) => return Ok(pinned),
            Err(e) => {
                tries += 1;
                let moved = dir.live_generation().ok().flatten().as_deref() != Some(live.as_path());
                if moved && tries < PIN_TRIES {
                    tracing::debug!(error = %e, "the live generation changed while pinning it; again");
                    continue;
                }
                return Err(e);
            }
        }
    }
}

fn pin_generation(dir: &IndexDir, generation: &Path) -> Result<Pinned, SnapshotError> {
    let open = dir.open_generation(generation)?;
    let name = generation
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let lock = open
        .index
        .directory()
        .acquire_lock(&META_LOCK)
        .map_err(|e| SnapshotError::Io {
            context: format!("cannot take the meta lock of {}", generation.display()),
            source: io::Error::other(e.to_string()),
        })?;
    let meta = open.index.load_metas().map_err(IndexError::from)?;
    let mut names = vec![store::MANIFEST.to_string()];
    if open.manifest.user_dict {
        names.push(store::USER_DICT.to_string());
    }
    // The learned aliases live beside the manifest, not in it: without them a restored
    // index would stop finding a company by its code. Jobs replace the file by a rename
    // and never remove it, so once seen it opens; an index built before aliases has none.
    // (The operator's alias edits and category names are in the manifest.)
    if generation.join(crate::local::aliases::FILE).is_file() {
        names.push(crate::local::aliases::FILE.to_string());
    }
    // Every segment file meta.json names, but a delete bitset only where the segment has
    // deletes, and no temporary store (tantivy lists those as candidates that may be absent).
    let mut segment_files: Vec<String> = meta
        .list_segment_files()
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".del") && !n.ends_with(".store.temp"))
        .collect();
    for segment in meta.segments.iter().filter(|s| s.has_deletes()) {
        segment_files.push(
            segment
                .relative_path(tantivy::index::SegmentComponent::Delete)
                .to_string_lossy()
                .into_owned(),
        );
    }
    segment_files.sort_unstable();
    names.extend(segment_files);
    let mut files = Vec::with_capacity(names.len());
    for file_name in names {
        let path = generation.join(&file_name);
        let file = File::open(&path).map_err(|source| SnapshotError::Io {
            context: format!("cannot open {}", path.display()),
            source,
        })?;
        files.push((file_name, file));
    }
    drop(lock);
    let meta_json = serde_json::to_vec_pretty(&meta).map_err(|e| SnapshotError::Io {
        context: "cannot serialize the index meta".into(),
        source: io::Error::other(e),
    })?;
    Ok(Pinned {
        generation: name,
        manifest: open.manifest.clone(),
        articles: meta.segments.iter().map(|s| u64::from(s.num_docs())).sum(),
        segments: meta.segments.iter().map(|s| s.id().uuid_string()).collect(),
        meta: meta_json,
        files,
    })
}

/// Writes the tar and its checksum file; returns the manifest, the tar's SHA-256 and size.
fn write(
    pinned: &Pinned,
    created: OffsetDateTime,
    file: File,
    path: &Path,
    sidecar_tmp: &Path,
) -> Result<(SnapshotManifest, String, u64), SnapshotError> {
    let failed = |what: &str| {
        let context = format!("cannot write {}.tmp ({what})", path.display());
        move |e: io::Error| io_error(context, e, path)
    };
    let manifest = manifest(pinned, created).map_err(failed("hashing the index files"))?;
    let manifest_json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| failed("the manifest")(io::Error::other(e)))?;
    let mtime = created.unix_timestamp().max(0) as u64;
    let mut tar = tar::Builder::new(HashingWriter::new(BufWriter::new(file)));
    append(
        &mut tar,
        MANIFEST_ENTRY,
        manifest_json.len() as u64,
        mtime,
        manifest_json.as_slice(),
    )
    .map_err(failed("the manifest"))?;
    let sums = manifest.sums();
    append(&mut tar, SUMS_ENTRY, sums.len() as u64, mtime, sums.as_bytes()).map_err(failed("the checksums"))?;
    let mut entries = manifest.files.iter();
    if let Some(meta) = entries.next() {
        append(&mut tar, &meta.path, meta.bytes, mtime, pinned.meta.as_slice()).map_err(failed("meta.json"))?;
    }
    for (entry, (_, file)) in entries.zip(&pinned.files) {
        let mut reader = file;
        reader.seek(SeekFrom::Start(0)).map_err(failed(&entry.path))?;
        append(&mut tar, &entry.path, entry.bytes, mtime, reader.take(entry.bytes)).map_err(failed(&entry.path))?;
    }
    let hashing = tar.into_inner().map_err(failed("the end of the tar"))?;
    let (buffered, sha256, bytes) = hashing.finish();
    let file = buffered
        .into_inner()
        .map_err(|e| failed("the end of the tar")(e.into_error()))?;
    file.sync_all().map_err(failed("syncing it"))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    write_synced(sidecar_tmp, format!("{sha256}  {name}\n").as_bytes())
        .map_err(|e| io_error(format!("cannot write {}", sidecar_tmp.display()), e, path))?;
    Ok((manifest, sha256, bytes))
}

/// The manifest: every file's size and SHA-256, read from the pinned descriptors.
fn manifest(pinned: &Pinned, created: OffsetDateTime) -> io::Result<SnapshotManifest> {
    let mut files = vec![SnapshotFile {
        path: format!("{GENERATION_DIR}/{TANTIVY_META}"),
        bytes: pinned.meta.len() as u64,
        sha256: hex(&Sha256::digest(&pinned.meta)),
    }];
    for (name, file) in &pinned.files {
        let mut hasher = Sha256::new();
        let mut reader = file;
        reader.seek(SeekFrom::Start(0))?;
        let bytes = io::copy(&mut reader, &mut hasher)?;
        files.push(SnapshotFile {
            path: format!("{GENERATION_DIR}/{name}"),
            bytes,
            sha256: hex(&hasher.finalize()),
        });
    }
    Ok(SnapshotManifest {
        format: SNAPSHOT_FORMAT,
        xinwen_version: env!("CARGO_PKG_VERSION").to_string(),
        index_format: pinned.manifest.format,
        analyzer: pinned.manifest.analyzer.clone(),
        generation: pinned.generation.clone(),
        articles: pinned.articles,
        segments: pinned.segments.clone(),
        created: created.format(&Rfc3339).unwrap_or_default(),
        files,
    })
}

/// One regular file entry of `size` bytes (the manifest's size, read from the same descriptor).
fn append<W: Write>(tar: &mut tar::Builder<W>, path: &str, size: u64, mtime: u64, data: impl Read) -> io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    tar.append_data(&mut header, path, data)
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
