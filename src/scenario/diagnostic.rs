//! Problems found in an input file, each with its place.
//!
//! A [`Diagnostic`] prints as `file:line:col: key: message`, the form editors
//! and terminals turn into links. Loaders collect every problem they find and
//! return them together, sorted by position.

use std::fmt;
use std::path::PathBuf;

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index (0-based).
    Index(usize),
}

/// Where in a scenario's tree a value sits, e.g. `actors[2].capability`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// The root.
    pub fn root() -> KeyPath {
        KeyPath(Vec::new())
    }

    /// This path extended by a key.
    pub fn key(&self, k: &str) -> KeyPath {
        let mut v = self.0.clone();
        v.push(Seg::Key(k.to_string()));
        KeyPath(v)
    }

    /// This path extended by an index.
    pub fn index(&self, i: usize) -> KeyPath {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        KeyPath(v)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(file)");
        }
        for (n, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(i) => write!(f, "[{i}]")?,
                Seg::Key(k) => {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if bare {
                        f.write_str(k)?
                    } else {
                        write!(f, "{k:?}")?
                    }
                }
            }
        }
        Ok(())
    }
}

/// One problem in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// Key path of the offending value.
    pub key: String,
    /// What was expected and what was found.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic whose key and message are kept on one line: control
    /// characters a file can smuggle in through an escaped TOML string
    /// (`"\r"`, `"\n"`) are shown escaped, so one problem prints as one line.
    pub fn new(file: &std::path::Path, line: usize, col: usize, key: &str, message: &str) -> Diagnostic {
        Diagnostic { file: file.to_path_buf(), line, col, key: one_line(key), message: one_line(message) }
    }
}

fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}: {}", self.file.display(), self.line, self.col, self.key, self.message)
    }
}

/// Every problem found in one or more files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, d) in self.0.iter().enumerate() {
            if k > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Closest candidate to `word`, for "did you mean" hints: within an edit
/// distance of a third of the word's length (at least 1), so short words
/// are not matched to unrelated ones.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions
/// and swaps of neighbouring letters (the commonest typo) each cost 1.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_stays_on_one_line() {
        let d =
            Diagnostic::new(std::path::Path::new("f.toml"), 3, 4, "a\rb", "`\relations` is\nnot a key path");
        assert_eq!(d.key, "a\\rb");
        assert_eq!(d.message, "`\\relations` is\\nnot a key path");
        assert_eq!(d.to_string().lines().count(), 1);
    }

    #[test]
    fn key_paths_print_like_the_file() {
        let p = KeyPath::root().key("actors").index(2).key("capability");
        assert_eq!(p.to_string(), "actors[2].capability");
        let q = KeyPath::root().key("events").index(0).key("set").key("relations.us.x.trust");
        assert_eq!(q.to_string(), "events[0].set.\"relations.us.x.trust\"");
    }

    #[test]
    fn suggests_near_misses_only() {
        assert_eq!(closest("capabilty", ["capability", "kind"]), Some("capability"));
        assert_eq!(closest("zzz", ["capability", "kind"]), None);
        assert_eq!(closest("trsut", ["trust", "hostility"]), Some("trust"));
    }
}
