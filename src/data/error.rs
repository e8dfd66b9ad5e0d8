use std::path::{Path, PathBuf};

/// Everything that can go wrong while reading image data. Each variant names the file,
/// so the message can be shown to a person as it is.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Not a `#[source]`: the message already says it, and error chains would say it twice.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    /// The bytes are not what the format says (bad magic, truncated, inconsistent header...).
    #[error("{path}: {problem}")]
    Malformed { path: PathBuf, problem: String },
    #[error("{path}: not a readable image ({message})")]
    Undecodable { path: PathBuf, message: String },
    #[error("{path}: image is {width}x{height}, above the {limit}x{limit} limit")]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
        limit: u32,
    },
    #[error("{path}: {problem}")]
    Unsupported { path: PathBuf, problem: String },
}

impl DataError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), error: source }
    }

    pub(crate) fn malformed(path: &Path, problem: impl Into<String>) -> Self {
        Self::Malformed {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }
}

pub type Result<T, E = DataError> = std::result::Result<T, E>;
