//! Engine rows → what xinwen shows: stored articles, hits highlighted from the stored text
//! (exactly as the local engine makes them), facet names and counts.

use time::OffsetDateTime;

use crate::post::Article;
pub(crate) use crate::search::highlight::make_hit;

use super::sphinxql::ResultSet;
use super::translate::top_facets;

/// The value of column `name` in a row.
pub(crate) fn cell(set: &ResultSet, row: &[Option<String>], name: &str) -> Option<String> {
    set.column(name).and_then(|i| row.get(i).cloned().flatten())
}

/// A hit row → the stored article, its score and its number of copies.
pub(crate) fn stored_row(set: &ResultSet, row: &[Option<String>]) -> Result<(Article, f32, Option<u32>), String> {
    let text = |name: &str| cell(set, row, name).ok_or_else(|| format!("no column {name}"));
    let list = |name: &str| -> Result<Vec<String>, String> {
        let raw = text(name)?;
        serde_json::from_str(&raw).map_err(|e| format!("{name}: {e}"))
    };
    let dated = text("dated")? == "1";
    let date = if dated {
        let secs: i64 = text("date")?.parse().map_err(|_| "date: not a number".to_string())?;
        Some(OffsetDateTime::from_unix_timestamp(secs).map_err(|e| format!("date: {e}"))?)
    } else {
        None
    };
    let score = cell(set, row, "score")
        .or_else(|| cell(set, row, "w"))
        .and_then(|s| s.parse::<f32>().ok())
        .unwrap_or(0.0);
    let copies = cell(set, row, "copies").and_then(|c| c.parse().ok());
    let url = text("url")?;
    Ok((
        Article {
            id: text("xid")?,
            url: (!url.is_empty()).then_some(url),
            title: text("title")?,
            body: text("body")?,
            tags: list("tags")?,
            categories: list("categories")?,
            date,
            source: None,
        },
        score,
        copies,
    ))
}

/// A facet set (`k` the folded value's id, `n` the count, and the names of the group's
/// best article) → (name as written, count), the first ones by count then name.
pub(crate) fn facet(set: &ResultSet, id: fn(&str) -> u64) -> Result<Vec<(String, u64)>, String> {
    let mut groups = Vec::with_capacity(set.rows.len());
    let names_col = set.columns.get(2).cloned().unwrap_or_default();
    for row in &set.rows {
        let key: u64 = cell(set, row, "k").and_then(|k| k.parse().ok()).ok_or("facet key")?;
        let count: u64 = cell(set, row, "n").and_then(|n| n.parse().ok()).ok_or("facet count")?;
        let names: Vec<String> = cell(set, row, &names_col)
            .map(|raw| serde_json::from_str(&raw).map_err(|e| format!("{names_col}: {e}")))
            .transpose()?
            .unwrap_or_default();
        if let Some(name) = names.into_iter().find(|n| id(n) == key) {
            groups.push((name, count));
        }
    }
    Ok(top_facets(groups))
}
