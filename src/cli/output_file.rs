//! `-o FILE` of `analyze`: opened before the analysis, so a bad path fails
//! at once, but emptied only at the first write, so a run that reads no
//! input leaves an existing file as it was (and removes one it created).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub struct OutputFile {
    file: File,
    /// A regular file that held something before: emptied at the first
    /// write (devices and pipes cannot be, and need not be).
    truncate_first: bool,
}

/// What to undo when nothing is written.
pub struct Created(Option<PathBuf>);

impl Created {
    /// Removes the file if this run created it.
    pub fn remove(self) {
        if let Some(path) = self.0 {
            let _ = fs::remove_file(path);
        }
    }
}

pub fn open(path: &Path) -> io::Result<(OutputFile, Created)> {
    let (file, created) = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => (f, Created(Some(path.to_path_buf()))),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => (
            OpenOptions::new()
                .write(true)
                .create(false)
                .truncate(false)
                .open(path)?,
            Created(None),
        ),
        Err(e) => return Err(e),
    };
    let truncate_first = created.0.is_none() && file.metadata()?.is_file();
    Ok((
        OutputFile {
            file,
            truncate_first,
        },
        created,
    ))
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.truncate_first {
            self.file.set_len(0)?;
            self.truncate_first = false;
        }
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
