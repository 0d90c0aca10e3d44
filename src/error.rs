//! Typed errors of the library; the binary turns them into messages and
//! exit codes.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: is a directory, not a capture file", .0.display())]
    NotAFile(PathBuf),
    #[error("{}: file is empty", .0.display())]
    Empty(PathBuf),
    #[error("{}: not a pcap or pcapng capture (unknown magic number at offset 0)", .0.display())]
    NotACapture(PathBuf),
    /// Compressed with a tool callpath does not read (gzip it does).
    #[error("{}: compressed with {format}, which callpath does not read: decompress it first ({command})", path.display())]
    Compressed {
        path: PathBuf,
        format: &'static str,
        command: &'static str,
    },
    /// The magic number is right but the file or section header after it
    /// is cut short or corrupt, so not one packet can be read.
    #[error("{}: at byte offset {offset}: {reason}", path.display())]
    BadHeader {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
    #[error("signatures: {0}")]
    Signatures(String),
    #[error("geolocation: {0}")]
    Geo(String),
}
