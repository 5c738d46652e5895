//! The text of a scenario file: positions, lookups by key path, and parsing
//! that reports every serde error rather than the first.
//!
//! serde stops at the first unknown key or wrong type. To report all of them,
//! [`parse_all`] records the error, blanks the offending entry with spaces
//! (so every other byte keeps its line and column) and parses again, until
//! the file deserializes or an error cannot be isolated (a syntax error).
//!
//! Each pass parses the whole file, so the passes are bounded twice over: by
//! a count of errors and by a count of bytes parsed, and an unknown key
//! takes its unknown siblings with it in one pass. A hostile file of 100,000
//! bad entries is then reported in seconds rather than hours.

use std::ops::Range;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use toml_edit::{ImDocument, Item, Table, Value};

use super::diagnostic::{closest, KeyPath, Seg};

/// Most errors collected from one file before giving up.
const MAX_ERRORS: usize = 200;

/// Most bytes parsed while collecting errors, over all passes. Real scenario
/// files are tens of kilobytes, so this lets them report all [`MAX_ERRORS`];
/// it stops a megabyte-sized file after a few passes instead of two hundred.
const MAX_PARSED_BYTES: usize = 8 << 20;

/// A file's text with a line index.
#[derive(Debug, Clone)]
pub struct Source {
    text: String,
    line_starts: Vec<usize>,
    /// The parsed document, made on the first [`Source::locate`]: a file can
    /// have thousands of problems to place, and parsing it again for each
    /// made placing them quadratic in the file's size.
    doc: OnceLock<Option<ImDocument<String>>>,
}

/// A problem with a byte span and a key path (possibly empty).
#[derive(Debug, Clone)]
pub struct Located {
    /// Byte range in the original text.
    pub span: Range<usize>,
    /// Key path of the entry, when known.
    pub key: String,
    /// Message.
    pub message: String,
}

impl Source {
    /// Wraps a file's text.
    pub fn new(text: String) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        Source { text, line_starts, doc: OnceLock::new() }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        (line + 1, col)
    }

    /// Byte span of the value at `path`, or of the nearest enclosing entry
    /// that exists (a missing key is reported at its table).
    pub fn locate(&self, path: &KeyPath) -> Range<usize> {
        let doc = self.doc.get_or_init(|| ImDocument::parse(self.text.clone()).ok());
        let Some(doc) = doc else { return 0..0 };
        let mut best = 0..0;
        let mut node = Node::from_item(doc.as_item());
        for seg in &path.0 {
            let Some(n) = node else { break };
            let next = match (seg, n) {
                (Seg::Key(k), Node::Table(t)) => {
                    t.get_key_value(k).map(|(key, item)| (key.span(), Node::from_item(item), item.span()))
                }
                (Seg::Key(k), Node::Inline(t)) => {
                    t.get_key_value(k).map(|(key, item)| (key.span(), Node::from_item(item), item.span()))
                }
                (Seg::Index(i), Node::Tables(a)) => {
                    a.get(*i).map(|t| (t.span(), Some(Node::Table(t)), t.span()))
                }
                (Seg::Index(i), Node::Array(a)) => {
                    a.get(*i).map(|v| (v.span(), Node::from_value(v), v.span()))
                }
                _ => None,
            };
            let Some((key_span, child, value_span)) = next else { break };
            if let Some(s) = value_span.or(key_span) {
                best = s;
            }
            node = child;
        }
        best
    }
}

#[derive(Clone, Copy)]
enum Node<'a> {
    Table(&'a Table),
    Inline(&'a toml_edit::InlineTable),
    Tables(&'a toml_edit::ArrayOfTables),
    Array(&'a toml_edit::Array),
}

impl<'a> Node<'a> {
    fn from_item(item: &'a Item) -> Option<Node<'a>> {
        match item {
            Item::Table(t) => Some(Node::Table(t)),
            Item::ArrayOfTables(a) => Some(Node::Tables(a)),
            Item::Value(v) => Node::from_value(v),
            Item::None => None,
        }
    }

    fn from_value(v: &'a Value) -> Option<Node<'a>> {
        match v {
            Value::InlineTable(t) => Some(Node::Inline(t)),
            Value::Array(a) => Some(Node::Array(a)),
            _ => None,
        }
    }
}

/// Deserializes `source`, collecting every unknown key and type error.
/// Returns the value when, after blanking the bad entries, the rest parses.
pub fn parse_all<T: DeserializeOwned>(source: &Source) -> (Option<T>, Vec<Located>) {
    let mut text = source.text.clone();
    let mut problems = Vec::new();
    let mut parsed = 0;
    while problems.len() < MAX_ERRORS && parsed < MAX_PARSED_BYTES {
        parsed += text.len();
        let err = match toml::from_str::<T>(&text) {
            Ok(value) => return (Some(value), problems),
            Err(err) => err,
        };
        let span = err.span().unwrap_or(0..0);
        let message = one_line(err.message());
        let entries = Entries::parse(&text);
        let entry = entries.as_ref().and_then(|all| all.smallest_containing(&span));
        let key = entry.map_or(String::new(), |e| e.path.to_string());
        problems.push(Located { span: span.clone(), key, message: explain(&message) });
        let (Some(all), Some(entry)) = (&entries, entry) else { break };
        // serde names one unknown key per pass; its siblings that are not
        // among the expected keys are just as unknown, so report and blank
        // them now rather than with one more parse of the file each.
        let siblings = match unknown_field(&message) {
            Some((word, expected)) => all.unknown_siblings(entry, word, &expected),
            None => Vec::new(),
        };
        // What follows the unknown key in serde's message: the expected keys.
        let rest = message.split_once('`').and_then(|(_, r)| r.split_once('`')).map_or("", |(_, r)| r);
        for (sibling, word) in &siblings {
            if problems.len() < MAX_ERRORS {
                problems.push(Located {
                    span: sibling.key_span.clone().unwrap_or_else(|| all.range(sibling)),
                    key: sibling.path.to_string(),
                    message: explain(&format!("unknown field `{word}`{rest}")),
                });
            }
        }
        let mut bytes = std::mem::take(&mut text).into_bytes();
        for e in std::iter::once(entry).chain(siblings.iter().map(|(e, _)| *e)) {
            blank(&mut bytes, all.range(e), e.inline);
        }
        // Only ASCII bytes were replaced by ASCII spaces inside whole entries.
        text = String::from_utf8(bytes).unwrap_or_default();
    }
    (None, problems)
}

/// The unknown key and the expected ones, from serde's "unknown field" message.
fn unknown_field(message: &str) -> Option<(&str, Vec<&str>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (word, expected) = rest.split_once('`')?;
    Some((word, expected.split('`').skip(1).step_by(2).collect()))
}

/// The parser's message on one line; an empty one (a file cut short) gets a plain explanation.
fn one_line(message: &str) -> String {
    let text = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        "incomplete TOML here: expected a value (is the file cut short?)".to_string()
    } else {
        text
    }
}

/// Adds a "did you mean" hint to serde's unknown-field message.
fn explain(message: &str) -> String {
    let Some((word, candidates)) = unknown_field(message) else { return message.to_string() };
    let expected = &message["unknown field `".len() + word.len() + 1..];
    let mut out = format!("unknown key `{word}`{expected}");
    if let Some(c) = closest(word, candidates) {
        out.push_str(&format!(" (did you mean `{c}`?)"));
    }
    out
}

/// An entry of the document that can be blanked out.
struct Entry {
    path: KeyPath,
    /// Span of its own key, where serde places an unknown key.
    key_span: Option<Range<usize>>,
    /// Spans that identify it: its key, its value or its header.
    anchors: Vec<Range<usize>>,
    /// What to blank; empty (at the header) for a table, see [`Entries::range`].
    range: Range<usize>,
    inline: bool,
}

/// Every entry of one version of the text, with the table headers by position.
struct Entries {
    list: Vec<Entry>,
    headers: Vec<(usize, KeyPath)>,
    len: usize,
}

impl Entries {
    fn parse(text: &str) -> Option<Entries> {
        let doc = ImDocument::parse(text).ok()?;
        let mut list = Vec::new();
        let mut headers = Vec::new();
        collect_table(doc.as_table(), &KeyPath::root(), &mut list, &mut headers);
        headers.sort_by_key(|(start, _)| *start);
        Some(Entries { list, headers, len: text.len() })
    }

    /// What to blank for `e`. A table extends from its header to the next
    /// header that is not inside it. Worked out only for the entries that
    /// are blanked: doing it for every table made each pass quadratic in
    /// the number of headers.
    fn range(&self, e: &Entry) -> Range<usize> {
        if !e.range.is_empty() {
            return e.range.clone();
        }
        let start = e.range.start;
        let after = self.headers.partition_point(|(s, _)| *s <= start);
        let end =
            self.headers[after..].iter().find(|(_, p)| !is_within(p, &e.path)).map_or(self.len, |(s, _)| *s);
        start..end
    }

    /// The smallest entry whose key, value or header contains `span`.
    fn smallest_containing(&self, span: &Range<usize>) -> Option<&Entry> {
        let contains =
            |outer: &Range<usize>| outer.start <= span.start && span.end <= outer.end && !outer.is_empty();
        self.list.iter().filter(|e| e.anchors.iter().any(contains)).min_by_key(|e| self.range(e).len())
    }

    /// The other keyed entries of `entry`'s table whose key is neither
    /// `word` (serde reports that one) nor among `expected`, with their keys.
    fn unknown_siblings<'a>(
        &'a self,
        entry: &Entry,
        word: &str,
        expected: &[&str],
    ) -> Vec<(&'a Entry, String)> {
        let Some((Seg::Key(_), parent)) = entry.path.0.split_last() else { return Vec::new() };
        self.list
            .iter()
            .filter_map(|e| match e.path.0.split_last() {
                Some((Seg::Key(k), p)) if p == parent && k != word && !expected.contains(&k.as_str()) => {
                    Some((e, k.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

fn is_within(path: &KeyPath, ancestor: &KeyPath) -> bool {
    let keys = |p: &KeyPath| p.0.iter().filter(|s| matches!(s, Seg::Key(_))).cloned().collect::<Vec<_>>();
    let (p, a) = (keys(path), keys(ancestor));
    p.len() > a.len() && p.starts_with(&a)
}

fn collect_table(t: &Table, path: &KeyPath, out: &mut Vec<Entry>, headers: &mut Vec<(usize, KeyPath)>) {
    for (k, item) in t.iter() {
        let key_span = t.key(k).and_then(|key| key.span());
        let here = path.key(k);
        match item {
            Item::Value(v) => collect_value(key_span, v, &here, false, out),
            Item::Table(child) => {
                if let (Some(header), false) = (child.span(), child.is_implicit()) {
                    headers.push((header.start, here.clone()));
                    let anchors = [Some(header.clone()), key_span.clone()].into_iter().flatten().collect();
                    out.push(Entry {
                        path: here.clone(),
                        key_span,
                        anchors,
                        range: header.start..header.start,
                        inline: false,
                    });
                }
                collect_table(child, &here, out, headers);
            }
            Item::ArrayOfTables(a) => {
                for (i, child) in a.iter().enumerate() {
                    let at = here.index(i);
                    if let Some(header) = child.span() {
                        headers.push((header.start, at.clone()));
                        out.push(Entry {
                            path: at.clone(),
                            key_span: None,
                            anchors: vec![header.clone()],
                            range: header.start..header.start,
                            inline: false,
                        });
                    }
                    collect_table(child, &at, out, headers);
                }
            }
            Item::None => {}
        }
    }
}

fn collect_value(
    key_span: Option<Range<usize>>,
    v: &Value,
    path: &KeyPath,
    inline: bool,
    out: &mut Vec<Entry>,
) {
    if let (Some(k), Some(vs)) = (key_span.clone(), v.span()) {
        out.push(Entry {
            path: path.clone(),
            key_span: Some(k.clone()),
            anchors: vec![k.clone(), vs.clone()],
            range: k.start..vs.end,
            inline,
        });
    }
    match v {
        Value::InlineTable(t) => {
            for (k, child) in t.iter() {
                collect_value(t.key(k).and_then(|key| key.span()), child, &path.key(k), true, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                if let Value::InlineTable(t) = child {
                    for (k, grandchild) in t.iter() {
                        collect_value(
                            t.key(k).and_then(|key| key.span()),
                            grandchild,
                            &path.index(i).key(k),
                            true,
                            out,
                        );
                    }
                }
            }
        }
        _ => {}
    }
}

/// Replaces `range` with spaces (keeping newlines); inside an inline table
/// also removes one neighbouring comma so the table stays valid. Works on
/// bytes so that blanking thousands of entries checks the UTF-8 once.
fn blank(bytes: &mut [u8], range: Range<usize>, inline: bool) {
    let wipe = |r: Range<usize>, bytes: &mut [u8]| {
        for b in &mut bytes[r] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    };
    wipe(range.clone(), bytes);
    if inline {
        let after = (range.end..bytes.len()).find(|&i| !bytes[i].is_ascii_whitespace());
        let before = (0..range.start).rev().find(|&i| !bytes[i].is_ascii_whitespace());
        if let Some(i) = after.filter(|&i| bytes[i] == b',') {
            wipe(i..i + 1, bytes);
        } else if let Some(i) = before.filter(|&i| bytes[i] == b',') {
            wipe(i..i + 1, bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Top {
        #[serde(default)]
        x: f64,
        #[serde(default)]
        b: Vec<Inner>,
        #[serde(default)]
        t: Option<Inner>,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        #[serde(default)]
        y: f64,
    }

    fn problems(src: &str) -> Vec<String> {
        let source = Source::new(src.to_string());
        let (_, mut located) = parse_all::<Top>(&source);
        // In file order, as `scenario::parse` shows them: unknown siblings
        // are found together with the first of them.
        located.sort_by_key(|p| p.span.start);
        located
            .iter()
            .map(|p| {
                let (l, c) = source.line_col(p.span.start);
                format!("{l}:{c}: {}: {}", p.key, p.message)
            })
            .collect()
    }

    #[test]
    fn reports_every_unknown_key_and_type_error() {
        let got = problems(
            "x = \"s\"\nzz = 3\n[[b]]\ny = 2.0\nq = 1\n[[b]]\ny = true\n[t]\nyy = 1\n[wat]\na = 1\n",
        );
        assert_eq!(got.len(), 6, "{got:#?}");
        assert!(got[0].starts_with("1:5: x: invalid type"), "{}", got[0]);
        assert!(got[1].starts_with("2:1: zz: unknown key `zz`"), "{}", got[1]);
        assert!(got[2].starts_with("5:1: b[0].q: unknown key"), "{}", got[2]);
        assert!(got[3].starts_with("7:5: b[1].y: invalid type"), "{}", got[3]);
        assert!(
            got[4].contains("t.yy: unknown key `yy`") && got[4].contains("did you mean `y`"),
            "{}",
            got[4]
        );
        assert!(
            got[5].starts_with("10:2: wat: unknown key `wat`") && !got[5].contains("did you mean"),
            "{}",
            got[5]
        );
    }

    #[test]
    fn inline_tables_stay_valid_after_blanking() {
        let got = problems("b = [{y = 1.0, q = 2}, {q = 3, y = 2.0}]\n");
        assert_eq!(got.len(), 2, "{got:#?}");
    }

    #[test]
    fn unknown_siblings_are_reported_together_and_inline_tables_stay_valid() {
        let got = problems("zz = 1\nb = [{y = 1.0, q = 2, r = 3}, {q = 4}]\nyy = 2\n[ww]\n");
        let keys: Vec<&str> = got.iter().map(|g| g.split(": ").nth(1).unwrap()).collect();
        assert_eq!(keys, ["zz", "b[0].q", "b[0].r", "b[1].q", "yy", "ww"], "{got:#?}");
        assert!(got[4].starts_with("3:1: yy: unknown key `yy`, expected one of `x`"), "{}", got[4]);
        assert!(got[5].starts_with("4:2: ww: unknown key `ww`"), "{}", got[5]);
    }

    #[test]
    fn locates_values_by_path() {
        let s = Source::new("[[a]]\nx = 1\n[[a]]\nx = 22\n".to_string());
        let span = s.locate(&KeyPath::root().key("a").index(1).key("x"));
        assert_eq!(s.line_col(span.start), (4, 5));
        let missing = s.locate(&KeyPath::root().key("a").index(1).key("nope"));
        assert_eq!(s.line_col(missing.start).0, 3);
    }
}
