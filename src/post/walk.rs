//! Input paths → the files to read: folders walked recursively in name order, each folder
//! once however many links lead to it, and only regular files read.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use tracing::debug;

use super::Rejection;
use super::sources::{Input, InputKind, Origin, reject};
use crate::error::PostError;

/// The files found under the given paths.
#[derive(Debug, Default)]
pub struct Found {
    /// Files to read, in a stable order: the paths in the order given, each folder's
    /// entries sorted by name.
    pub inputs: Vec<Input>,
    /// Paths that could not be read at all (missing, unreadable folder, unknown file type
    /// named explicitly).
    pub rejected: Vec<Rejection>,
    /// Files inside folders that are not news inputs (images, `README.md`, hidden files).
    pub skipped: usize,
    /// Links to folders walked already (a link to a parent is a loop): not walked again.
    pub folders_again: usize,
}

/// Walks `paths`: files are taken as they are, folders recursively. Each folder is
/// visited once, however many links lead to it (a link to a parent folder is a loop), and
/// a news file that is not a regular file (a FIFO, a device) is rejected: reading one
/// could block the job forever.
pub fn find_inputs(paths: &[PathBuf]) -> Found {
    let mut walker = Walker::default();
    for path in paths {
        // Origins hash the absolute path, so the same file is the same origin whichever
        // directory a job runs from.
        let absolute = std::fs::canonicalize(path)
            .or_else(|_| std::path::absolute(path))
            .unwrap_or_else(|_| path.clone());
        match std::fs::metadata(path) {
            Err(e) => walker.reject(path, PostError::Read(e.to_string())),
            Ok(meta) if meta.is_dir() => walker.walk(path, &absolute, &meta),
            Ok(meta) => match InputKind::of(path) {
                Some(kind) => walker.file(path.clone(), &absolute, kind, &meta),
                None => walker.reject(
                    path,
                    PostError::Read(
                        "not a news file: expected .md, .markdown, .html, .htm, .txt, .jsonl, .ndjson or .jsonl.gz"
                            .into(),
                    ),
                ),
            },
        }
    }
    walker.found
}

/// The state of a walk: what it found, and the folders it has been in.
#[derive(Default)]
struct Walker {
    found: Found,
    /// Every folder entered (see [`folder_key`]).
    visited: HashSet<FolderKey>,
}

impl Walker {
    fn reject(&mut self, path: &Path, reason: PostError) {
        self.found.rejected.push(reject(path, None, reason));
    }

    /// Takes a news file, if it is a regular file.
    fn file(&mut self, path: PathBuf, absolute: &Path, kind: InputKind, meta: &std::fs::Metadata) {
        match not_a_file(meta) {
            Some(what) => self.reject(&path, PostError::NotAFile(what)),
            None => self.found.inputs.push(Input {
                path,
                kind,
                origin: Origin::of(absolute),
                len: meta.len(),
            }),
        }
    }

    /// Walks the folder `dir` (whose absolute path is `absolute`), unless it was walked
    /// already.
    fn walk(&mut self, dir: &Path, absolute: &Path, meta: &std::fs::Metadata) {
        if !self.visited.insert(folder_key(dir, meta)) {
            debug!(folder = %dir.display(), "folder already walked");
            self.found.folders_again += 1;
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.reject(dir, PostError::Read(e.to_string())),
        };
        let mut names = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => names.push(entry.file_name()),
                // A folder listed in part hides files: a read error, not an empty folder.
                Err(e) => self.reject(dir, PostError::Read(e.to_string())),
            }
        }
        names.sort();
        for file_name in names {
            self.entry(&dir.join(&file_name), &absolute.join(&file_name));
        }
    }

    fn entry(&mut self, path: &Path, absolute: &Path) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') || name.to_ascii_lowercase().starts_with("readme") {
            self.found.skipped += 1;
            return;
        }
        let kind = InputKind::of(path);
        match (std::fs::metadata(path), kind) {
            (Ok(meta), _) if meta.is_dir() => self.walk(path, absolute, &meta),
            (Ok(meta), Some(kind)) => self.file(path.to_path_buf(), absolute, kind, &meta),
            // A link to nowhere: reading it says why.
            (Err(_), Some(kind)) => self.found.inputs.push(Input {
                path: path.to_path_buf(),
                kind,
                origin: Origin::of(absolute),
                len: 0,
            }),
            (_, None) => self.found.skipped += 1,
        }
    }
}

/// What tells two folders apart: device and inode, so every link to a folder is the same.
#[cfg(unix)]
type FolderKey = (u64, u64);
#[cfg(not(unix))]
type FolderKey = PathBuf;

#[cfg(unix)]
fn folder_key(_: &Path, meta: &std::fs::Metadata) -> FolderKey {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn folder_key(dir: &Path, _: &std::fs::Metadata) -> FolderKey {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// What a file that is not a regular file is, `None` for a regular file.
fn not_a_file(meta: &std::fs::Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a file")
}
