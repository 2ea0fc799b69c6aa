//! Telling a full disk from other failures: a job that runs out of space says so, with the
//! path, once it has removed what it wrote.

use std::path::Path;

use crate::error::IndexError;

/// `error` as [`IndexError::NoSpace`] when a full disk caused it (the job's files are
/// removed by then), else unchanged.
pub(super) fn no_space(error: IndexError, path: &Path) -> IndexError {
    if is_no_space(&error) {
        IndexError::NoSpace {
            path: path.to_path_buf(),
            committed: false,
        }
    } else {
        error
    }
}

/// The same, for a failure after the commit (a merge, the switch to a rebuild): the job's
/// articles are in, its tidying up is not.
pub(super) fn no_space_after_commit(error: IndexError, path: &Path) -> IndexError {
    if is_no_space(&error) {
        IndexError::NoSpace {
            path: path.to_path_buf(),
            committed: true,
        }
    } else {
        error
    }
}

/// Whether an I/O error with the OS's "no space left on device" is in the error's causes.
/// tantivy wraps I/O errors in its own variants, some only as text ("An IO error occurred:
/// 'No space left on device (os error 28)'"), so the text is looked at too.
fn is_no_space(error: &IndexError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        let io = e
            .downcast_ref::<std::io::Error>()
            .or_else(|| e.downcast_ref::<std::sync::Arc<std::io::Error>>().map(|a| &**a));
        if io.is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(ENOSPC)) {
            return true;
        }
        if e.to_string().contains("No space left on device") {
            return true;
        }
        cause = e.source();
    }
    false
}

/// `ENOSPC` on Linux and the BSDs.
const ENOSPC: i32 = 28;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_found_however_tantivy_wraps_it() {
        let full = || std::io::Error::from_raw_os_error(ENOSPC);
        let wrapped = IndexError::Tantivy(tantivy::TantivyError::IoError(std::sync::Arc::new(full())));
        assert!(is_no_space(&wrapped));
        let io = IndexError::Io {
            context: "cannot write the manifest".into(),
            source: full(),
        };
        assert!(is_no_space(&io));
        let text = IndexError::Tantivy(tantivy::TantivyError::ErrorInThread(format!(
            "{:?}",
            full().to_string()
        )));
        assert!(is_no_space(&text));
        let other = IndexError::Tantivy(tantivy::TantivyError::IoError(std::sync::Arc::new(
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        )));
        assert!(!is_no_space(&other));
    }
}
