//! The directory tantivy opens a generation through: readable where it cannot be written.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, META_LOCK, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};

/// A generation's directory as tantivy sees it, readable where it cannot be written (a
/// read-only mount, a snapshot, another user's index).
///
/// tantivy's readers take the meta lock (a file lock on `.tantivy-meta.lock`, opened for
/// writing) while they open segments, so the writer's clean-up cannot delete a segment
/// under them. Where the file cannot be opened for writing, the lock is taken on the file
/// opened for reading (a file lock needs no write access), and where there is no such file
/// and none can be made, nothing can write the index either: no lock is needed. Only the
/// meta lock is treated so; the writer's own lock fails as before.
#[derive(Clone, Debug)]
pub(super) struct Readable {
    inner: MmapDirectory,
    root: PathBuf,
}

impl Readable {
    pub(super) fn new(inner: MmapDirectory, root: &Path) -> Self {
        Readable {
            inner,
            root: root.to_path_buf(),
        }
    }
}

impl Directory for Readable {
    fn get_file_handle(&self, path: &Path) -> Result<std::sync::Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.inner.sync_directory()
    }

    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(callback)
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.inner.acquire_lock(lock) {
            Err(LockError::IoError(e)) if lock.filepath == META_LOCK.filepath && cannot_write(&e) => {
                let path = self.root.join(&lock.filepath);
                let Ok(file) = File::open(&path) else {
                    tracing::debug!(path = %path.display(), "read-only index: no meta lock");
                    return Ok(DirectoryLock::from(Box::new(())));
                };
                match file.try_lock() {
                    Ok(()) => {}
                    Err(fs::TryLockError::WouldBlock) if lock.is_blocking => {
                        file.lock().map_err(LockError::wrap_io_error)?;
                    }
                    Err(fs::TryLockError::WouldBlock) => return Err(LockError::LockBusy),
                    Err(fs::TryLockError::Error(e)) => return Err(LockError::wrap_io_error(e)),
                }
                Ok(DirectoryLock::from(Box::new(file)))
            }
            other => other,
        }
    }
}

/// Whether an error says the file system or its permissions refuse writing.
fn cannot_write(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
    )
}
