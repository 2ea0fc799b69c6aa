//! Alias learning at index time: the name ↔ code pairs a job's articles show (see
//! [`crate::search::aliases`]), counted by distinct article and kept in `aliases.json` in the
//! generation, beside the user dictionary. An incremental job adds its counts to the file's;
//! a rebuild writes only its own. The file is written to a temporary name and renamed, so a
//! reader sees the old counts or the new ones; it is read with a size cap.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::IndexError;
use crate::post::Article;
use crate::search::aliases::{self, Pair};

/// The counts file in a generation.
pub const FILE: &str = "aliases.json";
/// Largest counts file read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Most pairs kept: past it, the pairs seen in one article only are dropped when saving.
pub const MAX_PAIRS: usize = 1_000_000;

/// The file's shape: `[name, code, articles]` triples.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CountsFile {
    pairs: Vec<(String, String, u32)>,
}

/// Pair → the distinct articles it was seen in.
pub type Counts = HashMap<Pair, u32>;

/// Adds the pairs of one article (title and body) to `counts`, once each.
pub fn count_article(counts: &mut Counts, article: &Article) {
    let mut pairs = aliases::find_pairs(&article.title);
    for pair in aliases::find_pairs(&article.body) {
        if !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }
    for pair in pairs {
        *counts.entry(pair).or_default() += 1;
    }
}

fn unreadable(generation: &Path, reason: String) -> IndexError {
    IndexError::Unreadable {
        path: generation.join(FILE),
        reason,
    }
}

/// The counts saved in `generation`; none when it has no file (an index built before).
pub fn read(generation: &Path) -> Result<Counts, IndexError> {
    let path = generation.join(FILE);
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Counts::new()),
        Err(e) => return Err(unreadable(generation, e.to_string())),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(generation, e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(unreadable(generation, format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    let parsed: CountsFile = serde_json::from_slice(&bytes).map_err(|e| unreadable(generation, e.to_string()))?;
    Ok(parsed
        .pairs
        .into_iter()
        .take(MAX_PAIRS)
        .map(|(name, code, n)| ((name, code), n))
        .collect())
}

/// Writes `counts` into `generation`, atomically (temporary file, fsync, rename).
pub fn write(generation: &Path, counts: &Counts) -> Result<(), IndexError> {
    let mut pairs: Vec<(String, String, u32)> = counts
        .iter()
        .filter(|(_, n)| counts.len() <= MAX_PAIRS || **n > 1)
        .map(|((name, code), &n)| (name.clone(), code.clone(), n))
        .collect();
    pairs.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.1, &a.0).cmp(&(&b.1, &b.0))));
    pairs.truncate(MAX_PAIRS);
    let io = |source| IndexError::Io {
        context: format!("cannot write {}", generation.join(FILE).display()),
        source,
    };
    let text = serde_json::to_vec(&CountsFile { pairs }).map_err(|e| io(std::io::Error::other(e)))?;
    let tmp = generation.join(format!("{FILE}.tmp"));
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    file.write_all(&text).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, generation.join(FILE)).map_err(io)?;
    Ok(())
}

/// Adds a job's counts to those saved in `generation` (for a rebuild's new generation,
/// there are none) and saves them; returns the total.
pub fn merge_into(generation: &Path, job: &Counts) -> Result<Counts, IndexError> {
    let mut counts = read(generation)?;
    for (pair, n) in job {
        *counts.entry(pair.clone()).or_default() += n;
    }
    write(generation, &counts)?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(body: &str) -> Article {
        Article {
            id: "a".into(),
            title: "贵州茅台（600519）公告".into(),
            body: body.into(),
            url: None,
            date: None,
            tags: Vec::new(),
            categories: Vec::new(),
            source: None,
        }
    }

    #[test]
    fn counts_are_per_article_and_survive_a_round_trip() {
        let mut counts = Counts::new();
        count_article(&mut counts, &article("贵州茅台(600519.SH)涨，宁德时代（300750）跌"));
        count_article(&mut counts, &article(""));
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(read(dir.path()).expect("no file").is_empty());
        write(dir.path(), &counts).expect("write");
        let again = merge_into(dir.path(), &counts).expect("merge");
        assert_eq!(again.get(&("贵州茅台".into(), "600519".into())), Some(&4));
        assert_eq!(again.get(&("宁德时代".into(), "300750".into())), Some(&2));
        std::fs::write(dir.path().join(FILE), "{").expect("write");
        assert!(read(dir.path()).is_err());
    }
}
