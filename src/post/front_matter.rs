//! Jekyll front matter: the `---` block at the top of a post, read as YAML, with a lenient
//! `key: value` fallback for the front matter real sites write (titles pasted between
//! double quotes without escaping the quotes inside).

use serde_norway::Value;

use crate::error::PostError;

/// The fields of a front matter block that xinwen uses; everything else is ignored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    /// `title`, as written (numbers become text).
    pub title: Option<String>,
    /// `date`, as written.
    pub date: Option<String>,
    /// `categories` (or `category`): a string or a list.
    pub categories: Vec<String>,
    /// `tags` (or `tag`): a string or a list.
    pub tags: Vec<String>,
    /// `id`, when the post names its own id.
    pub id: Option<String>,
    /// `url` / `source_url`, when the front matter carries the source link.
    pub url: Option<String>,
    /// `source`: the publisher.
    pub source: Option<String>,
}

/// Splits a post into its front matter text and the rest.
pub fn split(text: &str) -> Result<(&str, &str), PostError> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(PostError::NoFrontMatter);
    }
    let start = first.len();
    let mut pos = start;
    for line in lines {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            return Ok((&text[start..pos], &text[pos + line.len()..]));
        }
        pos += line.len();
    }
    Err(PostError::UnterminatedFrontMatter)
}

/// Parses front matter: YAML first, the lenient line reader when YAML refuses it.
pub fn parse(yaml: &str) -> Result<FrontMatter, PostError> {
    match serde_norway::from_str::<Value>(yaml) {
        Ok(Value::Mapping(map)) => from_mapping(&map),
        Ok(Value::Null) => Ok(FrontMatter::default()),
        Ok(_) => Err(PostError::InvalidFrontMatter("not a mapping of keys to values".into())),
        Err(yaml_error) => lenient(yaml).ok_or_else(|| PostError::InvalidFrontMatter(describe(&yaml_error))),
    }
}

/// The YAML error with its line counted in the post file (the front matter starts on
/// line 2, after the opening `---`), without the parser's own positions.
fn describe(error: &serde_norway::Error) -> String {
    let message = error.to_string();
    let message = message.lines().next().unwrap_or_default();
    let mut clean = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(" at line ") {
        clean.push_str(&rest[..at]);
        let after = &rest[at + " at line ".len()..];
        // Skip "N column M".
        let skip = after
            .char_indices()
            .find(|&(_, c)| c == ',' || c == ';')
            .map_or(after.len(), |(i, _)| i);
        rest = &after[skip..];
    }
    clean.push_str(rest);
    match error.location() {
        Some(location) => format!("line {}: {clean}", location.line() + 1),
        None => clean,
    }
}

fn from_mapping(map: &serde_norway::Mapping) -> Result<FrontMatter, PostError> {
    let mut fm = FrontMatter::default();
    for (key, value) in map {
        // The keys and their aliases are listed once, in `field_of`, for both readers.
        let Some(field) = key.as_str().and_then(field_of) else {
            continue;
        };
        match field {
            "title" => fm.title = scalar(value, field)?,
            "date" => fm.date = scalar(value, field)?,
            "categories" => fm.categories.extend(list(value, field)?),
            "tags" => fm.tags.extend(list(value, field)?),
            "id" => fm.id = scalar(value, field)?,
            "url" => fm.url = scalar(value, field)?,
            "source" => fm.source = scalar(value, field)?,
            _ => {}
        }
    }
    Ok(fm)
}

fn scalar(value: &Value, field: &'static str) -> Result<Option<String>, PostError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(PostError::InvalidField {
            field,
            expected: "a single value",
        }),
    }
}

fn list(value: &Value, field: &'static str) -> Result<Vec<String>, PostError> {
    match value {
        Value::Sequence(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(scalar(item, field)?);
            }
            Ok(out)
        }
        _ => Ok(scalar(value, field)?.into_iter().collect()),
    }
}

/// Reads `key: value` lines, `key: [a, b]` flow lists and `- item` block lists, taking a
/// double-quoted value as everything between the first and the last quote. Returns `None`
/// for anything else, so truly broken front matter is still rejected.
fn lenient(yaml: &str) -> Option<FrontMatter> {
    let mut fm = FrontMatter::default();
    let mut current_list: Option<&'static str> = None;
    for line in yaml.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(item) = trimmed.strip_prefix("- ").or_else(|| (trimmed == "-").then_some("")) {
            let field = current_list?;
            push_list(&mut fm, field, vec![unquote(item.trim())?]);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            return None;
        }
        let (key, value) = trimmed.split_once(':')?;
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return None;
        }
        let value = value.trim();
        let field = field_of(key);
        current_list = None;
        if value.is_empty() {
            current_list = field.filter(|f| matches!(*f, "categories" | "tags"));
            continue;
        }
        let Some(field) = field else {
            // Unknown keys are ignored, but they must still look like values.
            if value.starts_with('[') && !value.ends_with(']') {
                return None;
            }
            continue;
        };
        if value.starts_with('[') {
            let inner = value.strip_prefix('[')?.strip_suffix(']')?;
            let items = inner
                .split(',')
                .map(|s| unquote(s.trim()))
                .collect::<Option<Vec<_>>>()?
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            push_list(&mut fm, field, items);
        } else {
            let value = unquote(value)?;
            match field {
                "categories" | "tags" => push_list(&mut fm, field, vec![value]),
                "title" => fm.title = Some(value),
                "date" => fm.date = Some(value),
                "id" => fm.id = Some(value),
                "url" => fm.url = Some(value),
                "source" => fm.source = Some(value),
                _ => {}
            }
        }
    }
    Some(fm)
}

/// The field a front-matter key sets (`category` and `tag` are aliases of the list fields,
/// `source_url` of `url`), `None` for keys xinwen does not read.
fn field_of(key: &str) -> Option<&'static str> {
    Some(match key {
        "title" => "title",
        "date" => "date",
        "categories" | "category" => "categories",
        "tags" | "tag" => "tags",
        "id" => "id",
        "url" | "source_url" => "url",
        "source" => "source",
        _ => return None,
    })
}

fn push_list(fm: &mut FrontMatter, field: &str, items: Vec<String>) {
    let items = items.into_iter().filter(|s| !s.is_empty());
    match field {
        "categories" => fm.categories.extend(items),
        _ => fm.tags.extend(items),
    }
}

/// Strips one pair of matching outer quotes; an opening quote without its closing one is
/// not a value.
fn unquote(value: &str) -> Option<String> {
    let value = value.trim();
    for quote in ['"', '\''] {
        if let Some(rest) = value.strip_prefix(quote) {
            return rest.strip_suffix(quote).map(str::to_string);
        }
    }
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seed_shape() {
        let fm = parse("layout: post\ntitle: \"1688全面提升\"\ndate: 2022-05-11 14:33:56 +0800\ncategories: zhengquanribaowang\ntags: 证券日报网新闻\n")
            .expect("valid");
        assert_eq!(fm.title.as_deref(), Some("1688全面提升"));
        assert_eq!(fm.date.as_deref(), Some("2022-05-11 14:33:56 +0800"));
        assert_eq!(fm.categories, ["zhengquanribaowang"]);
        assert_eq!(fm.tags, ["证券日报网新闻"]);
    }

    #[test]
    fn unescaped_quotes_in_a_title_fall_back_to_the_lenient_reader() {
        let fm = parse("title: \"专家谈\"双减\"一周年\"\ntags: [教育, 政策]\n").expect("lenient");
        assert_eq!(fm.title.as_deref(), Some("专家谈\"双减\"一周年"));
        assert_eq!(fm.tags, ["教育", "政策"]);
    }

    #[test]
    fn block_lists_and_lists_of_categories() {
        let fm = parse("title: x\ncategories: [tiyu, shehui]\ntags:\n  - 足球\n  - 中超\n").expect("valid");
        assert_eq!(fm.categories, ["tiyu", "shehui"]);
        assert_eq!(fm.tags, ["足球", "中超"]);
    }

    #[test]
    fn broken_front_matter_is_rejected_with_the_yaml_reason() {
        let err = parse("title: \"x\"\ntags: [A股, 白酒\n").expect_err("invalid");
        assert_eq!(
            err,
            PostError::InvalidFrontMatter(
                "line 4: did not find expected ',' or ']', while parsing a flow sequence".into()
            )
        );
    }

    #[test]
    fn split_finds_the_closing_line() {
        assert_eq!(split("---\ntitle: a\n---\nbody\n"), Ok(("title: a\n", "body\n")));
        assert_eq!(split("---\r\ntitle: a\r\n---\r\nbody"), Ok(("title: a\r\n", "body")));
        assert_eq!(split("<p>x</p>"), Err(PostError::NoFrontMatter));
        assert_eq!(split("---\ntitle: a\nbody"), Err(PostError::UnterminatedFrontMatter));
    }
}
