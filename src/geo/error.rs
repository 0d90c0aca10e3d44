//! Errors of the geo stage; each names the file it came from.

use std::path::PathBuf;

/// Failure to load a geolocation database or a signature table.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid MaxMind DB.
    #[error("{file}: not a usable MaxMind DB: {source}")]
    Database {
        file: String,
        #[source]
        source: maxminddb::MaxMindDbError,
    },
    /// A TOML table failed to parse.
    #[error("{file}:{line}: {message}")]
    Toml {
        file: String,
        line: usize,
        message: String,
    },
    /// A table parsed but its content is wrong (duplicate ASN, bad country code, unknown id).
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl GeoError {
    /// Wraps a TOML parse error with the 1-based line of its span.
    pub(crate) fn from_toml(file: &str, text: &str, err: &toml::de::Error) -> GeoError {
        let line = err
            .span()
            .and_then(|span| text.get(..span.start))
            .map_or(0, |before| before.matches('\n').count() + 1);
        GeoError::Toml {
            file: file.to_string(),
            line,
            message: err.message().to_string(),
        }
    }
}
