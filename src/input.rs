//! Reading input files with a size cap: the one place that decides how much
//! of a file detente is willing to read into memory.
//!
//! Scenario files, reference histories and state files come from other
//! people and other machines; a 50 MB scenario or `/dev/zero` given by
//! mistake must be refused quickly with a clear message instead of being
//! read until memory runs out. Every reader of such a file goes through
//! [`read`] or [`read_to_string`] with its cap; a file larger than the cap
//! is an error naming the cap (the read stops one byte past it, so a
//! device that never ends costs nothing).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Largest scenario file: the shipped ones are under 70 KB.
pub const SCENARIO_CAP: u64 = 4 << 20;
/// Largest reference history: a few hundred dated rows at most.
pub const REFERENCE_CAP: u64 = 16 << 20;
/// Largest checkpoint, state or manifest file read back.
pub const STATE_CAP: u64 = 1 << 30;

/// Reads at most `cap` bytes of `path`; a longer file is an error.
pub fn read(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let (file, len) = open_checked(path, cap)?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(bytes)
}

/// [`read`] as UTF-8 text.
pub fn read_to_string(path: &Path, cap: u64) -> io::Result<String> {
    String::from_utf8(read(path, cap)?)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("not UTF-8 text ({e})")))
}

/// A reader of at most `cap` bytes of `path` that fails when the file goes on.
pub fn open(path: &Path, cap: u64) -> io::Result<Capped<File>> {
    let (file, _) = open_checked(path, cap)?;
    Ok(Capped { inner: file, left: cap })
}

/// Opens `path` and refuses a folder or a regular file over `cap` before
/// reading anything; returns the file and its length (0 when it is not a
/// regular file, such as a device, whose length only reading tells).
fn open_checked(path: &Path, cap: u64) -> io::Result<(File, u64)> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a folder, not a file"));
    }
    if !meta.is_file() {
        return Ok((file, 0));
    }
    if meta.len() > cap {
        return Err(too_large(cap));
    }
    Ok((file, meta.len()))
}

/// See [`open`].
pub struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more than allowed means the file is too long.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(too_large_any()),
            };
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

fn too_large(cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("larger than the limit of {} for this kind of file", size(cap)),
    )
}

fn too_large_any() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "larger than the limit for this kind of file")
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_cap_is_refused_without_reading_it_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.toml");
        std::fs::write(&path, vec![b'#'; 2000]).unwrap();
        assert_eq!(read(&path, 2000).unwrap().len(), 2000);
        let e = read(&path, 1999).unwrap_err().to_string();
        assert!(e.contains("larger than the limit of 1999 bytes"), "{e}");
        assert!(read(dir.path(), 10).is_err(), "a folder is not a file");
        assert!(open(&path, 100).err().unwrap().to_string().contains("limit"));
        let mut all = Vec::new();
        open(&path, 5000).unwrap().read_to_end(&mut all).unwrap();
        assert_eq!(all.len(), 2000);
        #[cfg(unix)]
        {
            let e = read(Path::new("/dev/zero"), 1 << 20).unwrap_err().to_string();
            assert!(e.contains("limit of 1 MiB"), "{e}");
            let mut s = Vec::new();
            let e = open(Path::new("/dev/zero"), 1000).unwrap().read_to_end(&mut s).unwrap_err();
            assert!(e.to_string().contains("limit"), "{e}");
        }
    }
}
