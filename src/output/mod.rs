//! Output files: atomic CSV writers, number formatting, manifests.
//!
//! `output` is the only module that knows CSV and JSON. Every file is written
//! to a temporary name beside its destination and renamed only when complete,
//! so an interrupted run never leaves a truncated file that looks whole.
//! Numbers are written as plain decimals (no exponents) so that every
//! spreadsheet reads them the same way.

pub mod batch;
pub mod calibration;
pub mod cell;
pub mod compare;
pub mod diff;
pub mod explore;
pub mod fault;
pub mod folder;
pub mod hindcast;
pub mod manifest;
pub mod rows;
pub mod seal;
pub mod why;

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// An I/O failure on a named file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {cause}")]
pub struct OutputError {
    /// The file or folder.
    pub path: PathBuf,
    /// The cause: shown in the message, so deliberately not named `source`
    /// (which would chain it and print it twice).
    pub cause: io::Error,
}

impl OutputError {
    /// Wraps an I/O error with its path.
    pub fn new(path: &Path, cause: io::Error) -> OutputError {
        OutputError { path: path.to_path_buf(), cause }
    }
}

impl From<csv::Error> for OutputError {
    fn from(e: csv::Error) -> Self {
        let path = PathBuf::from("(csv)");
        match e.into_kind() {
            csv::ErrorKind::Io(cause) => OutputError { path, cause },
            other => OutputError { path, cause: io::Error::other(format!("{other:?}")) },
        }
    }
}

/// A file written under a temporary name and renamed into place by [`AtomicFile::commit`].
/// Dropping it uncommitted removes the temporary file, unless it was
/// reopened to continue an interrupted run: a failed resume deletes nothing.
/// It keeps a running SHA-256 of its bytes, which checkpoints record.
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
    written: u64,
    hash: Sha256,
    remove_on_drop: bool,
}

/// What a checkpoint or a shard's state records of a file: its name, its
/// length and the SHA-256 of those bytes, so a resume or a merge can tell
/// the file is the one it describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMark {
    /// File name within the folder.
    pub name: String,
    /// Length in bytes.
    pub len: u64,
    /// SHA-256 of those bytes, lowercase hex.
    pub sha256: String,
}

/// The SHA-256 of the first `len` bytes of `path` (which must have at
/// least that many), and the hasher after them.
fn prefix_hash(path: &Path, len: u64) -> Result<Sha256, OutputError> {
    use std::io::Read;
    let file = File::open(path).map_err(|e| OutputError::new(path, e))?;
    let on_disk = file.metadata().map_err(|e| OutputError::new(path, e))?.len();
    if on_disk < len {
        let msg = format!("holds {on_disk} bytes but the checkpoint recorded {len}: cannot resume");
        return Err(OutputError::new(path, io::Error::other(msg)));
    }
    let mut hash = Sha256::new();
    let mut reader = io::BufReader::with_capacity(1 << 16, file.take(len));
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|e| OutputError::new(path, e))?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
    }
    Ok(hash)
}

fn hex(hash: &Sha256) -> String {
    hash.clone().finalize().iter().map(|x| format!("{x:02x}")).collect()
}

/// Checks that the temporary file of each mark in `dir` starts with the
/// bytes the mark describes (restoring a file a killed commit had already
/// renamed into place); changes nothing else. A resume calls it for every
/// file before it reopens any, so a failed check leaves the folder as it was.
pub fn verify_marks(dir: &Path, marks: &[FileMark]) -> Result<(), OutputError> {
    for mark in marks {
        verify_mark(dir, mark)?;
    }
    Ok(())
}

/// [`verify_marks`] for one file; returns the hasher after its marked bytes.
fn verify_mark(dir: &Path, mark: &FileMark) -> Result<Sha256, OutputError> {
    if mark.name.is_empty() || mark.name.contains(['/', '\\']) || mark.name.starts_with('.') {
        let msg = format!("the checkpoint names the file {:?}, which detente never writes", mark.name);
        return Err(OutputError::new(dir, io::Error::other(msg)));
    }
    let dest = dir.join(&mark.name);
    let tmp = temp_path(&dest);
    if !tmp.exists() && dest.exists() {
        // Killed between renaming the finished files into place and
        // recording the finish: the file is whole, and longer than the mark.
        fs::rename(&dest, &tmp).map_err(|e| OutputError::new(&dest, e))?;
    }
    let hash = prefix_hash(&tmp, mark.len)?;
    if hex(&hash) != mark.sha256 {
        let msg = format!(
            "its first {} bytes differ from those the checkpoint recorded (the file was edited or \
             damaged); cannot resume",
            mark.len
        );
        return Err(OutputError::new(&tmp, io::Error::other(msg)));
    }
    Ok(hash)
}

impl AtomicFile {
    /// Creates `dest`'s temporary sibling (creating the folder if needed).
    pub fn create(dest: &Path) -> Result<AtomicFile, OutputError> {
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| OutputError::new(dir, e))?;
        }
        let tmp = temp_path(dest);
        let file = File::create(&tmp).map_err(|e| OutputError::new(&tmp, e))?;
        Ok(AtomicFile {
            dest: dest.to_path_buf(),
            tmp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
            written: 0,
            hash: Sha256::new(),
            remove_on_drop: true,
        })
    }

    /// Reopens the temporary file of an interrupted write, checked against
    /// its checkpoint's `mark` and cut back to its length, for appending.
    pub fn reopen(dest: &Path, mark: &FileMark) -> Result<AtomicFile, OutputError> {
        use std::io::{Seek, SeekFrom};
        let dir = dest.parent().unwrap_or(Path::new("."));
        let hash = verify_mark(dir, mark)?;
        let tmp = temp_path(dest);
        let mut file =
            fs::OpenOptions::new().write(true).open(&tmp).map_err(|e| OutputError::new(&tmp, e))?;
        file.set_len(mark.len).map_err(|e| OutputError::new(&tmp, e))?;
        file.seek(SeekFrom::End(0)).map_err(|e| OutputError::new(&tmp, e))?;
        Ok(AtomicFile {
            dest: dest.to_path_buf(),
            tmp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
            written: mark.len,
            hash,
            remove_on_drop: false,
        })
    }

    /// Bytes written so far (after a flush, the length of the file on disk).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The SHA-256 of the bytes written so far, lowercase hex.
    pub fn sha256(&self) -> String {
        hex(&self.hash)
    }

    /// Leaves the temporary file in place (for a later resume) instead of removing it.
    pub fn keep(mut self) {
        self.writer.take();
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let writer = self.writer.take().expect("an uncommitted file has a writer");
        let file = writer.into_inner().map_err(|e| OutputError::new(&self.tmp, e.into_error()))?;
        file.sync_all().map_err(|e| OutputError::new(&self.tmp, e))?;
        fault::step();
        fs::rename(&self.tmp, &self.dest).map_err(|e| OutputError::new(&self.dest, e))
    }
}

/// Removes a file and the temporary sibling a process killed while writing
/// it may have left; a missing file is not an error.
pub fn remove_with_temp(path: &Path) -> Result<(), OutputError> {
    for p in [path.to_path_buf(), temp_path(path)] {
        match fs::remove_file(&p) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(OutputError::new(&p, e)),
            _ => {}
        }
    }
    Ok(())
}

/// The temporary sibling a file is written to: `.NAME.partial`.
pub fn temp_path(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dest.with_file_name(format!(".{name}.partial"))
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        fault::charge(buf.len())?;
        let n = self.writer.as_mut().expect("writer present until commit").write(buf)?;
        self.hash.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().expect("writer present until commit").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() && self.remove_on_drop {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// How a writer opens its file: afresh, or to continue an interrupted run
/// from the file lengths (by file name) its checkpoint recorded.
#[derive(Debug, Clone, Copy)]
pub enum Opening<'a> {
    /// A new file with its header.
    Fresh,
    /// The temporary file of an interrupted run, checked against its mark
    /// and cut back to its recorded length.
    Resume(&'a [FileMark]),
}

/// A CSV writer over an [`AtomicFile`], with a header.
pub struct CsvFile {
    writer: csv::Writer<AtomicFile>,
    /// First error of the row being written; fields go straight to the
    /// writer (no intermediate record), and the error surfaces at `end_row`.
    error: Option<csv::Error>,
    scratch: String,
    rows: u64,
}

impl CsvFile {
    /// Creates `dest` and writes its header.
    pub fn create<S: AsRef<str>>(dest: &Path, header: &[S]) -> Result<CsvFile, OutputError> {
        let file = AtomicFile::create(dest)?;
        let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(file);
        writer
            .write_record(header.iter().map(|h| h.as_ref()))
            .map_err(|e| OutputError::new(dest, io::Error::other(e)))?;
        Ok(CsvFile { writer, error: None, scratch: String::new(), rows: 0 })
    }

    /// Creates `dest` afresh, or reopens it where a checkpoint left it.
    pub fn open<S: AsRef<str>>(dest: &Path, header: &[S], how: Opening<'_>) -> Result<CsvFile, OutputError> {
        match how {
            Opening::Fresh => CsvFile::create(dest, header),
            Opening::Resume(lengths) => {
                let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let mark = lengths.iter().find(|m| m.name == name).ok_or_else(|| {
                    OutputError::new(dest, io::Error::other("the checkpoint records nothing of this file"))
                })?;
                CsvFile::reopen(dest, mark)
            }
        }
    }

    /// Reopens an interrupted file where its mark says; the header is already there.
    pub fn reopen(dest: &Path, mark: &FileMark) -> Result<CsvFile, OutputError> {
        let file = AtomicFile::reopen(dest, mark)?;
        let writer = csv::WriterBuilder::new().has_headers(false).from_writer(file);
        Ok(CsvFile { writer, error: None, scratch: String::new(), rows: 0 })
    }

    /// Hands everything written so far to the operating system and returns
    /// the file's length in bytes: a process killed after this loses nothing of it.
    pub fn sync(&mut self) -> Result<u64, OutputError> {
        let path = self.path().to_path_buf();
        self.writer.flush().map_err(|e| OutputError::new(&path, e))?;
        Ok(self.writer.get_ref().written())
    }

    /// Hands everything written so far to the operating system and returns
    /// the file's mark (name, length, SHA-256) for a checkpoint or a shard's state.
    pub fn mark(&mut self) -> Result<FileMark, OutputError> {
        let len = self.sync()?;
        let name = self.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(FileMark { name, len, sha256: self.writer.get_ref().sha256() })
    }

    /// Appends a row read from another file of the same kind, as it is.
    pub fn copy_row(&mut self, record: &csv::ByteRecord) -> Result<(), OutputError> {
        self.rows += 1;
        let path = self.path().to_path_buf();
        self.writer.write_byte_record(record).map_err(|e| OutputError::new(&path, io::Error::other(e)))
    }

    /// Stops without committing, keeping the temporary file for a resume.
    pub fn keep(self) {
        if let Ok(file) = self.writer.into_inner() {
            file.keep();
        }
    }

    fn field(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.writer.write_field(bytes) {
                self.error = Some(e);
            }
        }
    }

    /// Appends a text field to the current row, neutralised so that no
    /// spreadsheet evaluates it as a formula ([`cell::neutralise`]).
    pub fn text(&mut self, s: &str) -> &mut CsvFile {
        self.field(cell::neutralise(s).as_bytes());
        self
    }

    /// Appends an integer field.
    pub fn int(&mut self, x: impl itoa::Integer) -> &mut CsvFile {
        self.field(itoa::Buffer::new().format(x).as_bytes());
        self
    }

    /// Appends a decimal field (see [`decimal`]).
    pub fn num(&mut self, x: f64) -> &mut CsvFile {
        self.scratch.clear();
        decimal(&mut self.scratch, x);
        let scratch = std::mem::take(&mut self.scratch);
        self.field(scratch.as_bytes());
        self.scratch = scratch;
        self
    }

    /// Appends an empty field (a value that does not exist, e.g. "never reached").
    pub fn empty(&mut self) -> &mut CsvFile {
        self.field(b"");
        self
    }

    /// Appends a number that may be missing.
    pub fn opt_num(&mut self, x: Option<f64>) -> &mut CsvFile {
        match x {
            Some(v) => self.num(v),
            None => self.empty(),
        }
    }

    /// Writes the current row and starts the next.
    pub fn end_row(&mut self) -> Result<(), OutputError> {
        self.rows += 1;
        let ended = self.writer.write_record(None::<&[u8]>);
        match self.error.take().map_or(ended, Err) {
            Ok(()) => Ok(()),
            Err(e) => Err(OutputError::new(self.path(), io::Error::other(e))),
        }
    }

    /// The final path of the file.
    pub fn path(&self) -> &Path {
        self.writer.get_ref().path()
    }

    /// Rows written so far (without the header).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and renames into place.
    pub fn commit(self) -> Result<(), OutputError> {
        let path = self.writer.get_ref().path().to_path_buf();
        let file = self.writer.into_inner().map_err(|e| OutputError::new(&path, e.into_error()))?;
        file.commit()
    }
}

/// Writes `x` as a plain decimal with at most six places and no trailing
/// zeros: `0.25`, `12`, `-0.000001`. Never an exponent, so every spreadsheet
/// reads it as a number. Non-finite values become an empty cell.
pub fn decimal(out: &mut String, x: f64) {
    if !x.is_finite() {
        return;
    }
    // Fast path: most values fit a fixed-point integer of micro-units, which
    // integer formatting writes several times faster than `{:.6}`.
    let scaled = (x * 1e6).round();
    if scaled.abs() < 9e15 {
        let n = scaled as i64;
        if n < 0 {
            out.push('-');
        }
        let magnitude = n.unsigned_abs();
        let mut buffer = itoa::Buffer::new();
        out.push_str(buffer.format(magnitude / 1_000_000));
        let mut fraction = magnitude % 1_000_000;
        if fraction != 0 {
            let mut digits = 6;
            while fraction.is_multiple_of(10) {
                fraction /= 10;
                digits -= 1;
            }
            out.push('.');
            let text = buffer.format(fraction);
            for _ in text.len()..digits {
                out.push('0');
            }
            out.push_str(text);
        }
        return;
    }
    let start = out.len();
    let _ = write!(out, "{x:.6}");
    if out[start..].contains('.') {
        let trimmed = out[start..].trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(start + trimmed);
    }
}

/// Writes `value` as pretty JSON to `path`, atomically.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), OutputError> {
    let mut file = AtomicFile::create(path)?;
    let text = serde_json::to_string_pretty(value).map_err(|e| OutputError::new(path, e.into()))?;
    file.write_all(text.as_bytes()).map_err(|e| OutputError::new(path, e))?;
    file.write_all(b"\n").map_err(|e| OutputError::new(path, e))?;
    file.commit()
}

/// Reads JSON written by [`write_json`] (at most [`crate::input::STATE_CAP`] bytes).
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, OutputError> {
    let text =
        crate::input::read_to_string(path, crate::input::STATE_CAP).map_err(|e| OutputError::new(path, e))?;
    serde_json::from_str(&text).map_err(|e| OutputError::new(path, io::Error::other(e)))
}

/// A SHA-256 fingerprint of `value` as JSON, lowercase hex: what identifies
/// a job (tool version, scenario hashes, every option that changes the
/// results), so a checkpoint, a shard or a state file is only ever continued
/// or merged by the job that wrote it.
pub fn fingerprint(value: &impl serde::Serialize) -> String {
    // Serialising plain data structs to a string cannot fail.
    let text = serde_json::to_string(value).unwrap_or_default();
    manifest::sha256_hex(text.as_bytes())
}

/// `x` as a plain decimal string.
pub fn decimal_string(x: f64) -> String {
    let mut s = String::new();
    decimal(&mut s, x);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain() {
        for (x, s) in [
            (0.25, "0.25"),
            (12.0, "12"),
            (1e-7, "0"),
            (-1e-7, "0"),
            (1.0 / 3.0, "0.333333"),
            (1e12, "1000000000000"),
            (-2.5, "-2.5"),
            (0.000001, "0.000001"),
            (-0.0000004, "0"),
            (0.01, "0.01"),
            (3.100204, "3.100204"),
            (1e17, "100000000000000000"),
        ] {
            assert_eq!(decimal_string(x), s);
        }
        assert_eq!(decimal_string(f64::NAN), "");
    }

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("x.csv");
        let mut f = CsvFile::create(&dest, &["a", "b"]).unwrap();
        f.int(1u32).num(0.5);
        f.end_row().unwrap();
        assert!(!dest.exists());
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "a,b\n1,0.5\n");
        let dropped = CsvFile::create(&dir.path().join("y.csv"), &["a"]).unwrap();
        drop(dropped);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "an uncommitted file leaves nothing behind");
    }
}
