//! Refuses an output path that is one of the inputs: writing it would
//! destroy the capture before (or while) it is read.

use std::fs;
use std::path::{Path, PathBuf};

use callpath::report::evidence::BUNDLE_FILES;

/// Whether `a` and `b` name the same existing file: the same device and
/// inode (hard links, `./x` and `x`), else the same canonical path.
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) else {
        // An output that does not exist yet cannot be an input.
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if ma.dev() == mb.dev() && ma.ino() == mb.ino() {
            return true;
        }
    }
    let _ = (ma, mb);
    matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

/// Whether an output path is `-`, standard output, as for inputs.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The files an evidence bundle in `dir` would write.
pub fn bundle_files(dir: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    BUNDLE_FILES.iter().map(move |name| dir.join(name))
}

/// `Err` with the message when an output would overwrite an input; call it
/// before anything is opened for writing.
pub fn refuse_overwriting_inputs<'a>(
    outputs: impl IntoIterator<Item = &'a Path>,
    inputs: &[PathBuf],
) -> Result<(), String> {
    for out in outputs.into_iter().filter(|o| !is_stdout(o)) {
        if let Some(input) = inputs.iter().find(|i| same_file(out, i)) {
            return Err(if out == input.as_path() {
                format!(
                    "{}: output is also an input; refusing to overwrite it",
                    out.display()
                )
            } else {
                format!(
                    "{}: output is the same file as input {}; refusing to overwrite it",
                    out.display(),
                    input.display()
                )
            });
        }
    }
    Ok(())
}
