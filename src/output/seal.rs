//! Sealed JSON: state files that carry the SHA-256 of their own content.
//!
//! A checkpoint, a shard's state or a calibration's state is what a later
//! process trusts to continue or merge a job byte for byte; a number edited
//! by hand or damaged on disk would silently give wrong results. Each is
//! therefore written as `{"sha256": H, "content": C}` where H is the
//! SHA-256 of the exact text of C, and read back only if the text still
//! hashes to H. This detects every edit that does not also recompute the
//! hash; it is an integrity check, not a signature.

use std::io::{self, Write};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::manifest::sha256_hex;
use super::{AtomicFile, OutputError};

#[derive(Deserialize)]
struct Sealed<'a> {
    sha256: String,
    #[serde(borrow)]
    content: &'a serde_json::value::RawValue,
}

/// Writes `value` sealed to `path`, atomically.
pub fn write_sealed(path: &Path, value: &impl Serialize) -> Result<(), OutputError> {
    let content = serde_json::to_string(value).map_err(|e| OutputError::new(path, e.into()))?;
    let text =
        format!("{{\n  \"sha256\": \"{}\",\n  \"content\": {content}\n}}\n", sha256_hex(content.as_bytes()));
    let mut file = AtomicFile::create(path)?;
    file.write_all(text.as_bytes()).map_err(|e| OutputError::new(path, e))?;
    file.commit()
}

/// Why a sealed file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// There is no such file.
    #[error("{}: not found", .0.display())]
    Missing(std::path::PathBuf),
    /// The file is there but cannot be trusted or understood.
    #[error("{}: damaged or edited: {why}", path.display())]
    Damaged {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// Reading failed.
    #[error(transparent)]
    Io(#[from] OutputError),
}

impl SealError {
    /// Whether the file simply is not there (as opposed to damaged).
    pub fn is_missing(&self) -> bool {
        matches!(self, SealError::Missing(_))
    }
}

/// Reads a file written by [`write_sealed`], checking its seal.
pub fn read_sealed<T: DeserializeOwned>(path: &Path) -> Result<T, SealError> {
    let text = match crate::input::read_to_string(path, crate::input::STATE_CAP) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(SealError::Missing(path.to_path_buf())),
        Err(e) => return Err(SealError::Io(OutputError::new(path, e))),
    };
    let damaged = |why: String| SealError::Damaged { path: path.to_path_buf(), why };
    let sealed: Sealed<'_> = serde_json::from_str(&text)
        .map_err(|e| damaged(format!("not a sealed state file of this version of detente ({e})")))?;
    if sha256_hex(sealed.content.get().as_bytes()) != sealed.sha256 {
        return Err(damaged("its content does not match its SHA-256".into()));
    }
    serde_json::from_str(sealed.content.get()).map_err(|e| damaged(format!("unexpected content ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct State {
        next: u64,
        sums: Vec<f64>,
    }

    #[test]
    fn an_edited_number_breaks_the_seal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let state = State { next: 4096, sums: vec![0.1, 2.5] };
        write_sealed(&path, &state).unwrap();
        assert_eq!(read_sealed::<State>(&path).unwrap(), state);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("4096", "4097")).unwrap();
        let e = read_sealed::<State>(&path).unwrap_err();
        assert!(e.to_string().contains("does not match its SHA-256"), "{e}");
        std::fs::write(&path, "{\"next\": 1}").unwrap();
        assert!(read_sealed::<State>(&path).unwrap_err().to_string().contains("not a sealed state file"));
        assert!(read_sealed::<State>(&dir.path().join("none.json")).unwrap_err().is_missing());
    }
}
