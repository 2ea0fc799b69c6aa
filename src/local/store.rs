//! The index directory on disk: generations, the `CURRENT` pointer, the writer lock.
//!
//! ```text
//! index/
//!   CURRENT            name of the live generation ("gen-000002"), replaced atomically
//!   gen-000002/        a tantivy index + xinwen.json (analyzer, user dictionary, stop words
//!                      and synonyms; the word lists can change in place, see save_words)
//!   gen-000003/        a rebuild in progress: holds xinwen.building until it is published
//!   .xinwen.lock       held (flock) by the one job writing; says who holds it
//! ```
//! A rebuild writes a new generation beside the live one and switches `CURRENT` only once
//! it is committed; readers follow `CURRENT`. Deleting is the dangerous part, so it is
//! done only with proof: a generation still marked as building was never live and is a
//! killed job's leftover; any other generation is removed only once the live one has
//! opened. A `CURRENT` naming a missing generation, or generations without a `CURRENT`,
//! stop every command with a message saying how to repair it (`xinwen generations`).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexSettings};

use crate::analysis::ChineseAnalyzer;
use crate::error::IndexError;
use crate::schema::{self, Fields};
use crate::search::words::WordSettings;

mod lock;
mod readable;

pub use lock::WriterLock;
use readable::Readable;

const CURRENT: &str = "CURRENT";
const LOCK: &str = ".xinwen.lock";
pub(crate) const MANIFEST: &str = "xinwen.json";
pub(crate) const USER_DICT: &str = "user_dict.txt";
const GEN_PREFIX: &str = "gen-";
/// Present in a generation from its creation until it is published.
const BUILDING: &str = "xinwen.building";

/// What a generation records about how it was built.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Layout version of xinwen's index.
    pub format: u32,
    /// The analyzer that built it; a different one needs a rebuild.
    pub analyzer: String,
    /// Whether `user_dict.txt` beside it extends the dictionary.
    pub user_dict: bool,
    /// Stop words and synonyms: used only to build queries, so they may change without a
    /// rebuild (an older manifest without them has the built-in lists).
    #[serde(default)]
    pub words: WordSettings,
    /// Bumped each time the word settings change in place, so a server notices.
    #[serde(default)]
    pub words_revision: u64,
}

/// The current layout version.
pub const FORMAT: u32 = 9;

/// Identifies the analysis rules; bump when tokens change so old indexes ask for a rebuild.
pub const ANALYZER_VERSION: &str = "jieba-search-nohmm-fold-v2-lit-bigram";

impl Manifest {
    /// The manifest for a new generation.
    pub fn new(user_dict: bool) -> Self {
        Manifest {
            format: FORMAT,
            analyzer: ANALYZER_VERSION.to_string(),
            user_dict,
            words: WordSettings::default(),
            words_revision: 0,
        }
    }
}

/// A tantivy index opened with xinwen's analyzer registered.
pub struct OpenIndex {
    /// The tantivy index.
    pub index: Index,
    /// Its fields.
    pub fields: Fields,
    /// The analyzer it was built with (registered on it).
    pub analyzer: ChineseAnalyzer,
    /// The generation directory.
    pub generation: PathBuf,
    /// What it was built with.
    pub manifest: Manifest,
}

/// The index root directory.
#[derive(Debug, Clone)]
pub struct IndexDir {
    root: PathBuf,
}

impl IndexDir {
    /// An index root (nothing is touched until used).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        IndexDir { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn io(&self, context: impl Into<String>) -> impl FnOnce(std::io::Error) -> IndexError {
        let context = context.into();
        move |source| IndexError::Io { context, source }
    }

    /// The live generation's directory, `None` when there is no index yet. A `CURRENT`
    /// naming a generation that is not there, and finished generations without a
    /// `CURRENT`, are errors: guessing which generation was meant could delete the index.
    pub fn live_generation(&self) -> Result<Option<PathBuf>, IndexError> {
        let pointer = self.root.join(CURRENT);
        let name = match fs::read_to_string(&pointer) {
            Ok(name) => name,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let finished: Vec<String> = self
                    .generations()?
                    .iter()
                    .filter(|g| !is_building(g))
                    .filter_map(|g| g.file_name().and_then(|n| n.to_str()).map(str::to_string))
                    .collect();
                if finished.is_empty() {
                    return Ok(None);
                }
                return Err(IndexError::NoCurrent {
                    path: self.root.clone(),
                    names: finished.join(", "),
                });
            }
            Err(e) => return Err(self.io(format!("cannot read {}", pointer.display()))(e)),
        };
        let name = name.trim();
        if !name.starts_with(GEN_PREFIX) || name.contains(['/', '\\']) {
            return Err(self.unreadable(format!("{CURRENT} names {name:?}, not a generation")));
        }
        let generation = self.root.join(name);
        if !generation.is_dir() {
            return Err(IndexError::DanglingCurrent {
                path: self.root.clone(),
                name: name.to_string(),
            });
        }
        Ok(Some(generation))
    }

    /// The user dictionary saved with the live generation, if it has one.
    pub fn live_user_dict(&self) -> Result<Option<PathBuf>, IndexError> {
        let Some(generation) = self.live_generation()? else {
            return Ok(None);
        };
        let path = generation.join(USER_DICT);
        Ok(path.is_file().then_some(path))
    }

    fn unreadable(&self, reason: String) -> IndexError {
        IndexError::Unreadable {
            path: self.root.clone(),
            reason,
        }
    }

    /// The word settings of the live generation and their revision; the built-in lists
    /// when there is no index yet.
    pub fn live_words(&self) -> Result<(WordSettings, u64), IndexError> {
        let Some(generation) = self.live_generation()? else {
            return Ok((WordSettings::default(), 0));
        };
        let manifest = self.read_manifest(&generation)?;
        Ok((manifest.words, manifest.words_revision))
    }

    fn read_manifest(&self, generation: &Path) -> Result<Manifest, IndexError> {
        let manifest_path = generation.join(MANIFEST);
        fs::read_to_string(&manifest_path)
            .map_err(|e| self.unreadable(format!("cannot read {}: {e}", manifest_path.display())))
            .and_then(|text| {
                serde_json::from_str(&text).map_err(|e| self.unreadable(format!("invalid {MANIFEST}: {e}")))
            })
    }

    /// Replaces the word settings of `open`'s generation in place: the new manifest is
    /// written beside the old one and renamed over it, so a reader sees the old settings
    /// or the new ones, never a mix. Stop words and synonyms only shape queries: no
    /// article changes. Call only while holding the [`WriterLock`].
    pub fn save_words(&self, _lock: &WriterLock, open: &OpenIndex, words: &WordSettings) -> Result<u64, IndexError> {
        let mut manifest = self.read_manifest(&open.generation)?;
        manifest.words = words.clone();
        manifest.words_revision += 1;
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| self.io("cannot write the manifest")(std::io::Error::other(e)))?;
        let tmp = open.generation.join(format!("{MANIFEST}.tmp"));
        write_synced(&tmp, text.as_bytes()).map_err(self.io(format!("cannot write {}", tmp.display())))?;
        fs::rename(&tmp, open.generation.join(MANIFEST)).map_err(self.io("cannot replace the manifest"))?;
        sync_dir(&open.generation);
        Ok(manifest.words_revision)
    }

    /// Opens the live generation for reading or writing.
    pub fn open(&self) -> Result<OpenIndex, IndexError> {
        let Some(generation) = self.live_generation()? else {
            return Err(IndexError::Missing {
                path: self.root.clone(),
            });
        };
        self.open_generation(&generation)
    }

    /// Opens a given generation.
    pub fn open_generation(&self, generation: &Path) -> Result<OpenIndex, IndexError> {
        let manifest = self.read_manifest(generation)?;
        if manifest.format != FORMAT || manifest.analyzer != ANALYZER_VERSION {
            return Err(self.unreadable(format!(
                "it was built by another version of xinwen (format {}, analyzer {})",
                manifest.format, manifest.analyzer
            )));
        }
        let index = MmapDirectory::open(generation)
            .map_err(|e| self.unreadable(e.to_string()))
            .and_then(|directory| {
                Index::open(Readable::new(directory, generation)).map_err(|e| self.unreadable(e.to_string()))
            })?;
        let fields = Fields::resolve(&index.schema()).ok_or_else(|| self.unreadable("not a xinwen schema".into()))?;
        let dict = generation.join(USER_DICT);
        let analyzer = load_analyzer(manifest.user_dict.then_some(dict.as_path()))?;
        analyzer.register(&index);
        Ok(OpenIndex {
            index,
            fields,
            analyzer,
            generation: generation.to_path_buf(),
            manifest,
        })
    }

    /// Creates a new, empty generation beside the live one (not live until [`publish`]ed).
    ///
    /// [`publish`]: IndexDir::publish
    pub fn create_generation(&self, user_dict: Option<&Path>) -> Result<OpenIndex, IndexError> {
        self.create_generation_with(user_dict, &WordSettings::default())
    }

    /// [`create_generation`](IndexDir::create_generation) with these word settings.
    pub fn create_generation_with(
        &self,
        user_dict: Option<&Path>,
        words: &WordSettings,
    ) -> Result<OpenIndex, IndexError> {
        let generation = self.reserve_generation()?;
        let analyzer = load_analyzer(user_dict)?;
        if let Some(dict) = user_dict {
            fs::copy(dict, generation.join(USER_DICT)).map_err(self.io(format!("cannot copy {}", dict.display())))?;
        }
        let manifest = Manifest {
            words: words.clone(),
            ..Manifest::new(user_dict.is_some())
        };
        // A manifest that cannot be written is an error, never an empty file that would
        // make the generation unreadable later.
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| self.io("cannot write the manifest")(std::io::Error::other(e)))?;
        write_synced(&generation.join(MANIFEST), text.as_bytes()).map_err(self.io("cannot write the manifest"))?;
        let index = Index::builder()
            .schema(schema::build())
            .settings(IndexSettings::default())
            .create_in_dir(&generation)?;
        analyzer.register(&index);
        let fields = Fields::resolve(&index.schema()).ok_or_else(|| self.unreadable("schema mismatch".into()))?;
        Ok(OpenIndex {
            index,
            fields,
            analyzer,
            generation,
            manifest,
        })
    }

    /// Makes the next generation's directory, empty but for the building mark (what a
    /// restore fills; [`create_generation`] puts a new index in it).
    ///
    /// [`create_generation`]: IndexDir::create_generation
    pub fn reserve_generation(&self) -> Result<PathBuf, IndexError> {
        fs::create_dir_all(&self.root).map_err(self.io(format!("cannot create {}", self.root.display())))?;
        let next = self
            .generations()?
            .iter()
            .filter_map(|p| generation_number(p))
            .max()
            .unwrap_or(0)
            + 1;
        let generation = self.root.join(format!("{GEN_PREFIX}{next:06}"));
        fs::create_dir(&generation).map_err(self.io(format!("cannot create {}", generation.display())))?;
        write_synced(&generation.join(BUILDING), b"").map_err(self.io("cannot mark the new generation"))?;
        Ok(generation)
    }

    /// Makes `generation` the live one: `CURRENT` is replaced by a rename, so a reader
    /// sees the old or the new generation, never a mix. The building mark goes first: a
    /// generation that may be live must never look like a leftover.
    pub fn publish(&self, generation: &Path) -> Result<(), IndexError> {
        let name = generation
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| self.unreadable("bad generation path".into()))?;
        match fs::remove_file(generation.join(BUILDING)) {
            Ok(()) => sync_dir(generation),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(self.io(format!("cannot unmark {}", generation.display()))(e)),
        }
        let tmp = self.root.join(format!("{CURRENT}.tmp"));
        write_synced(&tmp, format!("{name}\n").as_bytes()).map_err(self.io("cannot write CURRENT.tmp"))?;
        fs::rename(&tmp, self.root.join(CURRENT)).map_err(self.io("cannot replace CURRENT"))?;
        sync_dir(&self.root);
        Ok(())
    }

    /// All generation directories, live or not.
    fn generations(&self) -> Result<Vec<PathBuf>, IndexError> {
        let entries = match fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(format!("cannot list {}", self.root.display()))(e)),
        };
        Ok(entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir() && generation_number(p).is_some())
            .collect())
    }

    /// Removes the generations still marked as building: leftovers of killed or failed
    /// jobs, never live. Call only while holding the [`WriterLock`].
    pub fn remove_unfinished(&self, _lock: &WriterLock) -> Result<usize, IndexError> {
        let mut removed = 0;
        for generation in self.generations()?.into_iter().filter(|g| is_building(g)) {
            fs::remove_dir_all(&generation).map_err(self.io(format!("cannot remove {}", generation.display())))?;
            removed += 1;
        }
        let _ = fs::remove_file(self.root.join(format!("{CURRENT}.tmp")));
        Ok(removed)
    }

    /// Removes every generation but `live`, which must be the one `CURRENT` names and has
    /// been opened (the proof that removing the others loses nothing that is served).
    /// Call only while holding the [`WriterLock`].
    pub fn remove_stale_generations(&self, lock: &WriterLock, live: &OpenIndex) -> Result<usize, IndexError> {
        if self.live_generation()?.as_deref() != Some(live.generation.as_path()) {
            return Err(IndexError::Refused(format!(
                "not removing old generations: {CURRENT} does not name {}",
                live.generation.display()
            )));
        }
        let mut removed = self.remove_unfinished(lock)?;
        for generation in self.generations()? {
            if generation != live.generation {
                fs::remove_dir_all(&generation).map_err(self.io(format!("cannot remove {}", generation.display())))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Removes the segment files in `open`'s generation that no commit refers to: what a
    /// failed or killed job wrote there. (tantivy's own clean-up spares segments still
    /// tracked in the process, which a failed writer lets go of only a moment later.)
    /// Call only while holding the [`WriterLock`].
    pub fn remove_uncommitted(&self, _lock: &WriterLock, open: &OpenIndex) -> Result<usize, IndexError> {
        let committed: std::collections::HashSet<String> = open
            .index
            .searchable_segment_ids()?
            .iter()
            .map(|id| id.uuid_string())
            .collect();
        let entries =
            fs::read_dir(&open.generation).map_err(self.io(format!("cannot list {}", open.generation.display())))?;
        let mut removed = 0;
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let Some((segment, _)) = name.to_str().and_then(|n| n.split_once('.')) else {
                continue;
            };
            let is_segment = segment.len() == 32 && segment.bytes().all(|b| b.is_ascii_hexdigit());
            if is_segment && !committed.contains(segment) {
                fs::remove_file(entry.path()).map_err(self.io(format!("cannot remove {}", entry.path().display())))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Every generation with its state, oldest first, for an operator choosing one.
    pub fn list_generations(&self) -> Result<Vec<GenerationInfo>, IndexError> {
        let live = self.live_generation().ok().flatten();
        let mut generations = self.generations()?;
        generations.sort_by_key(|g| generation_number(g));
        Ok(generations
            .into_iter()
            .map(|path| {
                let building = is_building(&path);
                let articles = self
                    .open_generation(&path)
                    .and_then(|open| Ok(open.index.reader()?.searcher().num_docs()))
                    .map_err(|e| e.to_string());
                GenerationInfo {
                    name: path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    live: live.as_ref() == Some(&path),
                    building,
                    articles,
                    path,
                }
            })
            .collect())
    }

    /// Points `CURRENT` at the generation called `name`, once it is shown to open and to
    /// be finished. The operator's repair for a lost or mistyped `CURRENT`.
    pub fn use_generation(&self, _lock: &WriterLock, name: &str) -> Result<GenerationInfo, IndexError> {
        let path = self.root.join(name);
        if !name.starts_with(GEN_PREFIX) || name.contains(['/', '\\']) || !path.is_dir() {
            return Err(IndexError::Refused(format!(
                "{} has no generation {name:?}: `xinwen generations --index {}` lists them",
                self.root.display(),
                self.root.display()
            )));
        }
        if is_building(&path) {
            return Err(IndexError::Refused(format!(
                "{name} is unfinished (its job was stopped before it completed): choose another"
            )));
        }
        let articles = self.open_generation(&path)?.index.reader()?.searcher().num_docs();
        self.publish(&path)?;
        Ok(GenerationInfo {
            name: name.to_string(),
            path,
            live: true,
            building: false,
            articles: Ok(articles),
        })
    }
}

/// One generation directory as [`IndexDir::list_generations`] finds it.
#[derive(Debug, Clone)]
pub struct GenerationInfo {
    /// Its name (`gen-000002`).
    pub name: String,
    /// Its directory.
    pub path: PathBuf,
    /// Whether `CURRENT` names it.
    pub live: bool,
    /// Whether it is still marked as being built (a killed job's leftover).
    pub building: bool,
    /// Its article count, or why it does not open.
    pub articles: Result<u64, String>,
}

fn generation_number(path: &Path) -> Option<u64> {
    path.file_name()?.to_str()?.strip_prefix(GEN_PREFIX)?.parse().ok()
}

fn is_building(generation: &Path) -> bool {
    generation.join(BUILDING).exists()
}

/// Persists a directory's entries (a rename, a removal); failing here only weakens
/// durability on power loss.
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The analyzer for an optional user dictionary (jieba's `word [freq] [tag]` lines).
pub fn load_analyzer(user_dict: Option<&Path>) -> Result<ChineseAnalyzer, IndexError> {
    crate::fold::check().map_err(IndexError::Refused)?;
    let Some(path) = user_dict else {
        return Ok(ChineseAnalyzer::default());
    };
    let invalid = |reason: String| IndexError::Dictionary {
        path: path.to_path_buf(),
        reason,
    };
    let text = fs::read_to_string(path).map_err(|e| invalid(e.to_string()))?;
    let mut jieba = crate::analysis::new_jieba();
    for (n, line) in text.lines().enumerate() {
        let mut parts = line.split_whitespace();
        let Some(word) = parts.next() else { continue };
        if word.starts_with('#') {
            continue;
        }
        let freq = match parts.next() {
            Some(f) => Some(
                f.parse::<usize>()
                    .map_err(|_| invalid(format!("line {}: frequency {f:?} is not a number", n + 1)))?,
            ),
            None => None,
        };
        // Words are folded like the text they will be matched against.
        let folded: String = word.chars().map(crate::fold::fold_full).collect();
        jieba.add_word(&folded, freq, parts.next());
    }
    Ok(ChineseAnalyzer::with_jieba(jieba))
}
