//! Results folders: who owns them, who may use them, and how a run replaces
//! one as a whole.
//!
//! A folder is detente's when it holds a `manifest.json` written by detente
//! (`"tool": "detente"`). Every command that writes results goes through a
//! [`Folder`]:
//!
//! - **Ownership.** An existing folder that is not empty and not detente's
//!   is never written into. A folder holding a finished run is replaced only
//!   with [`Replace::Yes`] (`--replace`), or [`Replace::Own`] when the run
//!   there was made by the same command (the default batch, `hindcast`,
//!   `merge`); the note lists what was replaced.
//! - **Whole-folder commits.** A run is built in the sibling staging folder
//!   `.NAME.staging`; [`Folder::commit`] then records the intent
//!   (`.NAME.commit`), moves the old folder aside (`.NAME.old`), renames the
//!   staging folder into place and removes the old one. A process killed or
//!   a disk filling at any step leaves either the old run or the new one,
//!   never a mix: the next command on the folder finishes a recorded commit
//!   ([`settle`]), and `--resume` continues an unfinished staging folder or
//!   commits a finished one.
//! - **A lock.** `.NAME.lock` (an advisory `flock`, released by the kernel
//!   when its holder dies) names the process that holds the folder; a second
//!   process is refused with that name. A folder inside another results
//!   folder also holds its parent's lock, so the parent cannot be replaced
//!   under it.
//! - **Safe default names.** [`safe_name`] turns a scenario name into one
//!   path component: no separators, no `.` or `..`, no control characters.

use std::fs::{self, File};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use super::{fault, OutputError};

/// The manifest that marks a folder as detente's.
pub const MANIFEST: &str = "manifest.json";
/// The mark a staging folder carries from its creation until its commit.
const STAGING_MARK: &str = ".detente-staging";
/// Files whose presence means a staging folder holds work `--resume` can continue.
const RESUME_FILES: [&str; 2] = [super::batch::CHECKPOINT, super::calibration::STATE_FILE];
/// Largest manifest read to decide who owns a folder.
const MANIFEST_CAP: u64 = 64 << 20;

/// Why a folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The path cannot hold a results folder at all.
    #[error("cannot write results to {}: {why}", path.display())]
    Unusable {
        /// The path as given.
        path: PathBuf,
        /// Why not.
        why: String,
    },
    /// An existing folder that detente did not write.
    #[error(
        "{}: exists and is not a detente results folder (no manifest.json written by detente; it holds {}); \
         nothing was written. Choose a new or empty folder with --out",
        path.display(),
        listing(entries)
    )]
    NotOurs {
        /// The folder.
        path: PathBuf,
        /// Some of what it holds.
        entries: Vec<String>,
    },
    /// A finished run that may only be replaced on request.
    #[error(
        "{}: holds the finished results of `detente {command}` ({}); nothing was written. \
         Give --replace to replace them, or choose another --out",
        path.display(),
        listing(entries)
    )]
    Finished {
        /// The folder.
        path: PathBuf,
        /// The command that wrote it.
        command: String,
        /// What it holds.
        entries: Vec<String>,
    },
    /// An unfinished run that would be lost by starting afresh.
    #[error(
        "{}: holds an interrupted run (in {}); continue it with the same command and --resume, \
         or give --replace to discard it",
        path.display(),
        staging.display()
    )]
    Unfinished {
        /// The folder.
        path: PathBuf,
        /// Its staging folder.
        staging: PathBuf,
    },
    /// Another process holds the folder.
    #[error("{}: in use by another detente process ({holder}); wait for it to finish, or stop it", path.display())]
    InUse {
        /// The folder.
        path: PathBuf,
        /// What the lock file says about its holder.
        holder: String,
    },
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] OutputError),
}

fn listing(entries: &[String]) -> String {
    const SHOWN: usize = 12;
    if entries.is_empty() {
        return "nothing".into();
    }
    let mut s = entries.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if entries.len() > SHOWN {
        s.push_str(&format!(" and {} more", entries.len() - SHOWN));
    }
    s
}

/// How a command starts in a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A new run (the folder's previous run, if any, is replaced on commit).
    Fresh,
    /// Continue the interrupted run in the staging folder.
    Resume,
}

/// Whether a finished (or unfinished) run in the folder may be replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replace {
    /// Never: the command fails and names what is there.
    No,
    /// Yes (`--replace`).
    Yes,
    /// Only a run made by this command (its manifest's `command`).
    Own(String),
}

/// The sibling paths of a results folder.
#[derive(Debug, Clone)]
struct Siblings {
    /// The folder as given, for messages.
    shown: PathBuf,
    /// The folder.
    target: PathBuf,
    parent: PathBuf,
    name: String,
}

impl Siblings {
    fn of(path: &Path) -> Result<Siblings, FolderError> {
        let unusable = |why: &str| FolderError::Unusable { path: path.to_path_buf(), why: why.into() };
        if path.as_os_str().is_empty() {
            return Err(unusable("an empty path"));
        }
        // `.`, `..`, `a/..` and symbolic links name the folder they resolve to.
        let resolved = match fs::symlink_metadata(path) {
            Ok(_) => fs::canonicalize(path).map_err(|e| FolderError::Io(OutputError::new(path, e)))?,
            // `x/..` of a folder `x` that does not exist.
            Err(_) if path.file_name().is_none() => return Err(unusable("the path names no folder")),
            Err(_) => path.to_path_buf(),
        };
        let name = match resolved.file_name() {
            Some(n) => n.to_string_lossy().into_owned(),
            None => return Err(unusable("the root of the file system is nobody's results folder")),
        };
        let parent = match resolved.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if resolved.exists() {
            if let Ok(here) = fs::canonicalize(".") {
                if here.starts_with(&resolved) {
                    return Err(unusable("it is the current folder or holds it"));
                }
            }
        }
        Ok(Siblings { shown: path.to_path_buf(), target: resolved, parent, name })
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        self.parent.join(format!(".{}.{suffix}", self.name))
    }
    fn staging(&self) -> PathBuf {
        self.sibling("staging")
    }
    fn update(&self) -> PathBuf {
        self.sibling("update")
    }
    fn old(&self) -> PathBuf {
        self.sibling("old")
    }
    fn lock(&self) -> PathBuf {
        self.sibling("lock")
    }
    fn commit_mark(&self) -> PathBuf {
        self.sibling("commit")
    }
}

/// What a folder holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Content {
    /// Nothing there.
    Absent,
    /// An empty folder.
    Empty,
    /// Results written by detente; `finished` unless the manifest records an interruption.
    Detente { command: String, finished: bool },
    /// Something else.
    Foreign,
    /// A file, not a folder.
    File,
}

/// The `tool`, `command` and interruption of a manifest, if it is detente's.
fn manifest_of(dir: &Path) -> Option<(String, bool)> {
    let path = dir.join(MANIFEST);
    let mut text = String::new();
    File::open(&path).ok()?.take(MANIFEST_CAP).read_to_string(&mut text).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    if value.get("tool")?.as_str()? != "detente" {
        return None;
    }
    let command = value.get("command").and_then(|c| c.as_str()).unwrap_or("?").to_string();
    let interrupted =
        value.get("details").and_then(|d| d.get("interrupted")).and_then(|i| i.as_bool()).unwrap_or(false);
    Some((command, !interrupted))
}

fn content(dir: &Path) -> Content {
    match fs::symlink_metadata(dir) {
        Err(_) => Content::Absent,
        Ok(m) if !m.is_dir() => Content::File,
        Ok(_) => {
            if let Some((command, finished)) = manifest_of(dir) {
                return Content::Detente { command, finished };
            }
            match fs::read_dir(dir) {
                Ok(mut entries) => match entries.next() {
                    None => Content::Empty,
                    Some(_) => Content::Foreign,
                },
                Err(_) => Content::Foreign,
            }
        }
    }
}

/// Whether `dir` is a folder detente wrote (it holds detente's manifest).
pub fn is_results_folder(dir: &Path) -> bool {
    matches!(content(dir), Content::Detente { .. })
}

/// Names in `dir`, sorted, folders with a trailing `/`.
fn entries(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let mut n = e.file_name().to_string_lossy().into_owned();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                n.push('/');
            }
            n
        })
        .collect();
    out.sort();
    out
}

/// What a staging folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staged {
    /// No staging folder.
    Nothing,
    /// A staging folder with no work worth keeping (killed before its first checkpoint).
    Scraps,
    /// An interrupted run `--resume` can continue.
    Unfinished,
    /// A finished run not yet committed (killed or out of space during the commit).
    Finished,
}

fn staged(dir: &Path) -> Staged {
    match content(dir) {
        Content::Absent | Content::File => Staged::Nothing,
        Content::Detente { finished: true, .. } => Staged::Finished,
        Content::Detente { finished: false, .. } => Staged::Unfinished,
        _ if RESUME_FILES.iter().any(|f| dir.join(f).exists()) => Staged::Unfinished,
        _ => Staged::Scraps,
    }
}

/// How a folder is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// To write it (or replace it): one holder, whose name the lock file records.
    Exclusive,
    /// To read it, or to write a folder inside it: any number of holders,
    /// and no writer meanwhile.
    Shared,
}

/// An advisory lock (`flock`) on a results folder, held until dropped. An
/// exclusive holder writes its name into the lock file and removes it on
/// release; the last shared holder removes it too. A process that already
/// holds a lock (a merge given one shard twice, two shards inside one
/// results folder) may take it again shared, and gets a guard that
/// releases nothing.
pub struct Lock {
    path: PathBuf,
    #[cfg(unix)]
    file: Option<nix::fcntl::Flock<File>>,
    #[cfg(not(unix))]
    file: Option<File>,
}

/// The lock files this process holds.
static HELD: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn held() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    HELD.lock().unwrap_or_else(|e| e.into_inner())
}

impl Lock {
    /// Takes the lock `path` of `folder` (for messages) in `mode`; an
    /// exclusive holder records `holder` in it.
    fn acquire(path: &Path, folder: &Path, holder: &str, mode: Mode) -> Result<Lock, FolderError> {
        let io = |e: io::Error| FolderError::Io(OutputError::new(path, e));
        let key = fs::canonicalize(path.parent().unwrap_or(Path::new(".")))
            .map(|p| p.join(path.file_name().unwrap_or_default()))
            .unwrap_or_else(|_| path.to_path_buf());
        if held().contains(&key) {
            if mode == Mode::Exclusive {
                return Err(FolderError::InUse {
                    path: folder.to_path_buf(),
                    holder: "this very command, which reads or writes it already".into(),
                });
            }
            return Ok(Lock { path: key, file: None });
        }
        loop {
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(io)?;
            let mut locked = match try_lock(file, mode) {
                Ok(l) => l,
                Err(Some(mut file)) => {
                    let mut text = String::new();
                    let _ = (&mut file).take(4096).read_to_string(&mut text);
                    let holder = match text.trim() {
                        "" => "a process reading it or writing a folder inside it",
                        t => t,
                    };
                    return Err(FolderError::InUse {
                        path: folder.to_path_buf(),
                        holder: super::cell::escape_control(holder).into_owned(),
                    });
                }
                Err(None) => return Err(io(io::Error::other("cannot lock"))),
            };
            // The holder before us may have removed the file between our open
            // and our lock: then we hold a lock on a file nobody else sees.
            if !same_file(&locked, path) {
                continue;
            }
            if mode == Mode::Exclusive {
                let f: &mut File = &mut locked;
                f.set_len(0).map_err(io)?;
                f.write_all(format!("pid {}: {holder}\n", std::process::id()).as_bytes()).map_err(io)?;
            }
            held().push(key.clone());
            return Ok(Lock { path: key, file: Some(locked) });
        }
    }
}

#[cfg(unix)]
fn try_lock(file: File, mode: Mode) -> Result<nix::fcntl::Flock<File>, Option<File>> {
    use nix::fcntl::{Flock, FlockArg};
    let arg = match mode {
        Mode::Exclusive => FlockArg::LockExclusiveNonblock,
        Mode::Shared => FlockArg::LockSharedNonblock,
    };
    match Flock::lock(file, arg) {
        Ok(l) => Ok(l),
        Err((file, nix::errno::Errno::EWOULDBLOCK)) => Err(Some(file)),
        Err(_) => Err(None),
    }
}

#[cfg(not(unix))]
fn try_lock(file: File, _: Mode) -> Result<File, Option<File>> {
    Ok(file)
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for Lock {
    fn drop(&mut self) {
        let Some(file) = self.file.take() else { return };
        held().retain(|p| p != &self.path);
        // Removed while still held exclusively (a shared holder first tries
        // to become the only one), so whoever opened it meanwhile sees it go.
        #[cfg(unix)]
        let alone = file.relock(nix::fcntl::FlockArg::LockExclusiveNonblock).is_ok();
        #[cfg(not(unix))]
        let alone = true;
        if alone {
            let _ = fs::remove_file(&self.path);
        }
        drop(file);
    }
}

/// Takes the locks of a folder: its own in `mode`, and its parent's
/// (shared) when the parent is itself a results folder.
fn lock(sib: &Siblings, holder: &str, mode: Mode) -> Result<Vec<Lock>, FolderError> {
    fs::create_dir_all(&sib.parent).map_err(|e| FolderError::Unusable {
        path: sib.shown.clone(),
        why: format!("cannot create the folder {}: {e}", sib.parent.display()),
    })?;
    let mut locks = Vec::new();
    if is_results_folder(&sib.parent) {
        if let Ok(outer) = Siblings::of(&sib.parent) {
            locks.push(Lock::acquire(&outer.lock(), &outer.shown, holder, Mode::Shared)?);
        }
    }
    locks.push(Lock::acquire(&sib.lock(), &sib.shown, holder, mode)?);
    // Dropped in order: the folder's own lock before its parent's.
    locks.reverse();
    Ok(locks)
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> FolderError + '_ {
    move |e| FolderError::Io(OutputError::new(path, e))
}

fn remove_all(path: &Path) -> Result<(), FolderError> {
    match fs::symlink_metadata(path) {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).map_err(io_err(path)),
        Ok(_) => fs::remove_file(path).map_err(io_err(path)),
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Finishes whatever a killed process left of a commit of `sib`: a recorded
/// commit is carried forward, a replaced folder left behind is removed.
/// Needs the folder's lock.
fn recover(sib: &Siblings) -> Result<(), FolderError> {
    let mark = sib.commit_mark();
    let old = sib.old();
    if mark.exists() {
        let mut from = String::new();
        if let Ok(mut f) = File::open(&mark) {
            let _ = f.read_to_string(&mut from);
        }
        let work = match from.trim() {
            "update" => sib.update(),
            _ => sib.staging(),
        };
        if work.exists() {
            if sib.target.exists() && !old.exists() {
                fs::rename(&sib.target, &old).map_err(io_err(&sib.target))?;
            }
            if !sib.target.exists() {
                fs::rename(&work, &sib.target).map_err(io_err(&work))?;
            }
        }
        sync_dir(&sib.parent);
        remove_all(&old)?;
        remove_all(&mark)?;
        sync_dir(&sib.parent);
    } else if old.exists() {
        if sib.target.exists() {
            remove_all(&old)?;
        } else {
            // Moved aside but never replaced: put it back.
            fs::rename(&old, &sib.target).map_err(io_err(&old))?;
        }
    }
    Ok(())
}

/// Carries forward a commit a killed process left half done, so `path`
/// holds one whole run, and locks it for reading: for commands that only
/// read a folder (any number of them at once, but no writer meanwhile).
pub fn settle(path: &Path, holder: &str) -> Result<Vec<Lock>, FolderError> {
    let sib = Siblings::of(path)?;
    if sib.commit_mark().exists() || sib.old().exists() {
        // Carrying a commit forward changes the folder: alone, then shared.
        let locks = lock(&sib, holder, Mode::Exclusive)?;
        recover(&sib)?;
        drop(locks);
    }
    lock(&sib, holder, Mode::Shared)
}

/// The staging folder of `target`, if there is one: where an unfinished
/// run of it is kept.
pub fn staging_of(target: &Path) -> Option<PathBuf> {
    Siblings::of(target).ok().map(|s| s.staging()).filter(|p| p.is_dir())
}

/// A results folder being written: the work happens in [`Folder::dir`],
/// and [`Folder::commit`] puts it in place of the folder as a whole.
pub struct Folder {
    sib: Siblings,
    work: PathBuf,
    kind: Kind,
    /// Remove the work folder when dropped uncommitted.
    discard_on_drop: bool,
    staged: Staged,
    notes: Vec<String>,
    replaced: Option<Vec<String>>,
    _locks: Vec<Lock>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A run, built in `.NAME.staging`.
    Run,
    /// Files added to a finished run, in a linked copy `.NAME.update`.
    Update,
}

impl Folder {
    /// Opens `target` for a command: takes its lock, finishes a commit a
    /// killed process left, checks the folder is detente's (or new), and
    /// prepares the staging folder. `holder` describes this process for
    /// whoever finds the folder locked.
    pub fn open(target: &Path, start: Start, replace: &Replace, holder: &str) -> Result<Folder, FolderError> {
        let sib = Siblings::of(target)?;
        let locks = lock(&sib, holder, Mode::Exclusive)?;
        recover(&sib)?;
        let staging = sib.staging();
        let here = content(&sib.target);
        let mut notes = Vec::new();
        let mut replaced = None;
        match &here {
            Content::File => {
                return Err(FolderError::Unusable { path: sib.shown.clone(), why: "it is a file".into() })
            }
            Content::Foreign => {
                return Err(FolderError::NotOurs { path: sib.shown.clone(), entries: entries(&sib.target) })
            }
            _ => {}
        }
        let stage_content = content(&staging);
        if matches!(stage_content, Content::Foreign | Content::File) && !staging.join(STAGING_MARK).exists() {
            return Err(FolderError::NotOurs { path: staging.clone(), entries: entries(&staging) });
        }
        let state = staged(&staging);
        match start {
            Start::Resume => {}
            Start::Fresh => {
                let may_replace = |command: &str| match replace {
                    Replace::Yes => true,
                    Replace::Own(own) => own == command,
                    Replace::No => false,
                };
                if matches!(state, Staged::Unfinished | Staged::Finished) {
                    // A command that owns its folder (the default batch, hindcast,
                    // merge) discards its own unfinished run.
                    if replace == &Replace::No {
                        return Err(FolderError::Unfinished { path: sib.shown.clone(), staging });
                    }
                    notes.push(format!(
                        "note: discarded the unfinished run of {} (its staging folder {})",
                        sib.shown.display(),
                        staging.display()
                    ));
                }
                if let Content::Detente { command, .. } = &here {
                    let listed = entries(&sib.target);
                    if !may_replace(command) {
                        return Err(FolderError::Finished {
                            path: sib.shown.clone(),
                            command: command.clone(),
                            entries: listed,
                        });
                    }
                    replaced = Some(listed);
                }
                if state != Staged::Nothing {
                    remove_all(&staging)?;
                }
                fs::create_dir(&staging).map_err(io_err(&staging))?;
                File::create(staging.join(STAGING_MARK)).map_err(io_err(&staging))?;
            }
        }
        Ok(Folder {
            work: staging,
            sib,
            kind: Kind::Run,
            discard_on_drop: start == Start::Fresh,
            staged: if start == Start::Fresh { Staged::Nothing } else { state },
            notes,
            replaced,
            _locks: locks,
        })
    }

    /// Opens the finished folder `target` to add files to it (a report): the
    /// work folder is a linked copy, committed in place of the folder as a
    /// whole, so a failed or killed update leaves the folder as it was.
    pub fn update(target: &Path, holder: &str) -> Result<Folder, FolderError> {
        let sib = Siblings::of(target)?;
        let locks = lock(&sib, holder, Mode::Exclusive)?;
        recover(&sib)?;
        match content(&sib.target) {
            Content::Detente { .. } => {}
            Content::Absent => {
                return Err(FolderError::Unusable {
                    path: sib.shown.clone(),
                    why: "no such folder (expected a folder of results written by detente)".into(),
                })
            }
            _ => return Err(FolderError::NotOurs { path: sib.shown.clone(), entries: entries(&sib.target) }),
        }
        let work = sib.update();
        remove_all(&work)?;
        link_tree(&sib.target, &work)?;
        Ok(Folder {
            work,
            sib,
            kind: Kind::Update,
            discard_on_drop: true,
            staged: Staged::Nothing,
            notes: Vec::new(),
            replaced: None,
            _locks: locks,
        })
    }

    /// Where the command writes: the staging folder.
    pub fn dir(&self) -> &Path {
        &self.work
    }

    /// The results folder as the user named it.
    pub fn shown_target(&self) -> &Path {
        &self.sib.shown
    }

    /// What a resumed folder's staging holds.
    pub fn staged(&self) -> Staged {
        self.staged
    }

    /// Notes for the user: what was discarded or replaced.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// `path` inside the work folder as the user will find it after the commit.
    pub fn shown(&self, path: &Path) -> PathBuf {
        match path.strip_prefix(&self.work) {
            Ok(rel) => self.sib.shown.join(rel),
            Err(_) => path.to_path_buf(),
        }
    }

    /// `text` (a message) with the work folder's path replaced by the
    /// results folder's, as the user knows it.
    pub fn shown_text(&self, text: &str) -> String {
        text.replace(&self.work.display().to_string(), &self.sib.shown.display().to_string())
    }

    /// Keeps the staging folder for `--resume` (an interruption) and releases the lock.
    pub fn suspend(mut self) {
        self.discard_on_drop = false;
    }

    /// Puts the work folder in place of the results folder as one step (see
    /// the module documentation); returns the notes for the user, with what
    /// was replaced.
    pub fn commit(mut self) -> Result<Vec<String>, FolderError> {
        let work = self.work.clone();
        if self.kind == Kind::Run {
            prune_unlisted(&work)?;
        }
        sync_dir(&work);
        let mark = self.sib.commit_mark();
        {
            let mut f = File::create(&mark).map_err(io_err(&mark))?;
            let what: &[u8] = if self.kind == Kind::Update { b"update\n" } else { b"staging\n" };
            f.write_all(what).and_then(|_| f.sync_all()).map_err(io_err(&mark))?;
        }
        sync_dir(&self.sib.parent);
        // From here on a failure is carried forward by the next command on
        // the folder, so the staging folder is never removed.
        self.discard_on_drop = false;
        let old = self.sib.old();
        if self.sib.target.exists() {
            fault::step();
            fs::rename(&self.sib.target, &old).map_err(io_err(&self.sib.target))?;
        }
        fault::step();
        fs::rename(&work, &self.sib.target).map_err(io_err(&work))?;
        sync_dir(&self.sib.parent);
        fault::step();
        remove_all(&old)?;
        remove_all(&mark)?;
        sync_dir(&self.sib.parent);
        let mut notes = std::mem::take(&mut self.notes);
        if let Some(listed) = self.replaced.take() {
            notes.push(format!(
                "note: replaced the earlier results in {}: {}",
                self.sib.shown.display(),
                listing(&listed)
            ));
        }
        Ok(notes)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        if self.discard_on_drop {
            let _ = remove_all(&self.work);
        }
    }
}

/// Removes what a finished run's manifest does not list (a checkpoint or
/// state file a kill left between the manifest and its removal), and the
/// staging mark.
fn prune_unlisted(dir: &Path) -> Result<(), FolderError> {
    let _ = fs::remove_file(dir.join(STAGING_MARK));
    let path = dir.join(MANIFEST);
    let mut text = String::new();
    if File::open(&path).and_then(|mut f| f.read_to_string(&mut text)).is_err() {
        return Ok(());
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else { return Ok(()) };
    let Some(files) = value.get("files").and_then(|f| f.as_array()) else { return Ok(()) };
    let listed: Vec<&str> = files.iter().filter_map(|f| f.as_str()).collect();
    for entry in fs::read_dir(dir).map_err(io_err(dir))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != MANIFEST && !listed.contains(&name.as_str()) {
            remove_all(&entry.path())?;
        }
    }
    Ok(())
}

/// Copies the tree `from` to `to` as hard links (copies where links fail).
fn link_tree(from: &Path, to: &Path) -> Result<(), FolderError> {
    fs::create_dir(to).map_err(io_err(to))?;
    for entry in fs::read_dir(from).map_err(io_err(from))? {
        let entry = entry.map_err(io_err(from))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(io_err(&src))?;
        if kind.is_dir() {
            link_tree(&src, &dst)?;
        } else if fs::hard_link(&src, &dst).is_err() {
            fs::copy(&src, &dst).map_err(io_err(&src))?;
        }
    }
    Ok(())
}

/// `name` as one safe path component for a default folder: path
/// separators, control characters and the characters some file systems
/// forbid become `_`, leading dots and dashes and trailing dots and spaces
/// are dropped (so never `.`, `..`, a hidden name or an option), and the
/// result is at most 80 bytes; an empty result is `unnamed`.
pub fn safe_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            let bad = c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|');
            if bad {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = mapped
        .trim_start_matches(|c: char| c == '.' || c == '-' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let mut out = String::new();
    for c in trimmed.chars() {
        if out.len() + c.len_utf8() > 80 {
            break;
        }
        out.push(c);
    }
    let out = out.trim_end_matches(|c: char| c == '.' || c.is_whitespace()).to_string();
    if out.is_empty() {
        "unnamed".into()
    } else {
        out
    }
}

/// The default folder name of a what-if run: `NAME-whatif-HASH`, where
/// HASH is the start of the SHA-256 of the `--set` overrides as given, so
/// the plain run's folder is never overwritten by a what-if and two
/// different what-ifs do not share one.
pub fn what_if_name(name: &str, sets: &[String]) -> String {
    if sets.is_empty() {
        return safe_name(name);
    }
    let hash = super::manifest::sha256_hex(sets.join("\n").as_bytes());
    format!("{}-whatif-{}", safe_name(name), &hash[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_one_safe_component() {
        for (name, safe) in [
            ("afghanistan", "afghanistan"),
            ("../victim", "_victim"),
            ("/etc/passwd", "_etc_passwd"),
            ("..", "unnamed"),
            (".", "unnamed"),
            ("", "unnamed"),
            ("a\u{1b}[31mb", "a_[31mb"),
            ("-rf", "rf"),
            ("US–Vietnam 1975", "US–Vietnam 1975"),
            ("C:\\x", "C__x"),
            ("name. ", "name"),
        ] {
            assert_eq!(safe_name(name), safe, "{name:?}");
        }
        assert!(safe_name(&"é".repeat(100)).len() <= 80);
        let a = what_if_name("s", &["params.x=1".into()]);
        assert!(a.starts_with("s-whatif-") && a.len() == "s-whatif-".len() + 8, "{a}");
        assert_ne!(a, what_if_name("s", &["params.x=2".into()]));
        assert_eq!(what_if_name("s", &[]), "s");
    }

    fn finished(dir: &Path, command: &str) {
        fs::write(
            dir.join(MANIFEST),
            format!("{{\"tool\": \"detente\", \"command\": \"{command}\", \"files\": [\"a.csv\"], \"details\": {{}}}}"),
        )
        .unwrap();
        fs::write(dir.join("a.csv"), command).unwrap();
    }

    #[test]
    fn a_folder_is_replaced_whole_and_only_when_asked() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let f = Folder::open(&out, Start::Fresh, &Replace::No, "test").unwrap();
        finished(f.dir(), "run");
        assert!(!out.exists(), "nothing shows before the commit");
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("a.csv")).unwrap(), "run");
        let e = Folder::open(&out, Start::Fresh, &Replace::No, "test").err().unwrap().to_string();
        assert!(e.contains("finished results of `detente run`") && e.contains("a.csv"), "{e}");
        assert!(Folder::open(&out, Start::Fresh, &Replace::Own("merge".into()), "t").is_err());
        let f = Folder::open(&out, Start::Fresh, &Replace::Own("run".into()), "test").unwrap();
        finished(f.dir(), "run");
        fs::write(f.dir().join("checkpoint.json"), "{}").unwrap();
        let notes = f.commit().unwrap();
        assert!(notes[0].contains("replaced the earlier results") && notes[0].contains("a.csv"), "{notes:?}");
        assert!(!out.join("checkpoint.json").exists(), "what the manifest does not list is not committed");
        let names: Vec<String> = entries(root.path());
        assert_eq!(names, ["out/"], "no sibling is left behind");
    }

    #[test]
    fn foreign_folders_files_and_the_root_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        fs::create_dir(&data).unwrap();
        fs::write(data.join("thesis.docx"), "mine").unwrap();
        let e = Folder::open(&data, Start::Fresh, &Replace::Yes, "t").err().unwrap().to_string();
        assert!(e.contains("not a detente results folder") && e.contains("thesis.docx"), "{e}");
        assert_eq!(fs::read_to_string(data.join("thesis.docx")).unwrap(), "mine");
        assert!(Folder::open(&data.join("thesis.docx"), Start::Fresh, &Replace::Yes, "t").is_err());
        assert!(Folder::open(Path::new("/"), Start::Fresh, &Replace::Yes, "t").is_err());
        assert!(Siblings::of(Path::new("no/such/..")).is_err(), "names no folder");
        for (path, name) in [("./new", "new"), ("../new", "new"), ("a/../new", "new")] {
            assert_eq!(Siblings::of(Path::new(path)).unwrap().name, name, "{path}");
        }
        let empty = root.path().join("empty");
        fs::create_dir(&empty).unwrap();
        let f = Folder::open(&empty, Start::Fresh, &Replace::No, "t").unwrap();
        finished(f.dir(), "run");
        f.commit().unwrap();
        assert!(is_results_folder(&empty));
    }

    #[test]
    fn a_second_holder_is_refused_and_the_lock_names_the_first() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let first = Folder::open(&out, Start::Fresh, &Replace::No, "detente run a.toml").unwrap();
        // (Another process is refused with the holder's name: tests/it/faults.rs.)
        let e = Folder::open(&out, Start::Fresh, &Replace::Yes, "second").err().unwrap().to_string();
        assert!(e.contains("in use"), "{e}");
        let text = fs::read_to_string(root.path().join(".out.lock")).unwrap();
        assert!(text.contains("detente run a.toml") && text.starts_with("pid "), "{text}");
        assert!(settle(&out, "a reader").is_ok(), "a reader in the same process shares the lock");
        drop(first);
        let readers = (settle(&out, "reader 1").unwrap(), settle(&out, "reader 2").unwrap());
        let e = Folder::open(&out, Start::Fresh, &Replace::Yes, "writer").err().unwrap().to_string();
        assert!(e.contains("in use"), "a writer waits for the readers: {e}");
        drop(readers);
        assert!(!root.path().join(".out.lock").exists(), "the last reader removes the lock file");
        assert!(!root.path().join(".out.staging").exists(), "an uncommitted fresh run leaves nothing");
        assert!(Folder::open(&out, Start::Fresh, &Replace::No, "third").is_ok());
    }

    #[test]
    fn a_commit_killed_at_any_step_is_carried_forward() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let sib = Siblings::of(&out).unwrap();
        // The state after each step of a commit replacing "old" by "new".
        for step in 0..4 {
            let _ = fs::remove_dir_all(&out);
            fs::create_dir(&out).unwrap();
            finished(&out, "old");
            fs::create_dir(sib.staging()).unwrap();
            finished(&sib.staging(), "new");
            fs::write(sib.commit_mark(), "staging\n").unwrap();
            if step >= 1 {
                fs::rename(&out, sib.old()).unwrap();
            }
            if step >= 2 {
                fs::rename(sib.staging(), &out).unwrap();
            }
            if step >= 3 {
                fs::remove_dir_all(sib.old()).unwrap();
            }
            let _locks = settle(&out, "t").unwrap();
            assert_eq!(fs::read_to_string(out.join("a.csv")).unwrap(), "new", "step {step}");
            assert_eq!(entries(root.path()), [".out.lock", "out/"], "step {step}");
        }
    }
}
