//! One JSON Lines record → an [`Article`]: `{"id"?, "url"?, "title", "date"?, "categories"?,
//! "tags"?, "body", "source"?}`. `body` may be plain text or HTML (`text` and `content` are
//! accepted for it too). A record without a title takes the start of its body as its title:
//! headline-less wire flashes are real news and must stay findable.

use serde_json::{Map, Value};

use super::{Article, body_text, clean_list, clean_opt, clean_title, id, parse_date_field};
use crate::error::PostError;

/// Characters of body used as the title of a record that has none.
const DERIVED_TITLE_CHARS: usize = 40;

/// Parses one JSONL line.
pub fn parse_line(line: &str) -> Result<Article, PostError> {
    let value: Value = serde_json::from_str(line).map_err(|e| PostError::InvalidJson(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(PostError::NotAnObject);
    };
    parse_record(&map)
}

/// Parses one record already decoded from JSON (the HTTP ingestion path shares it).
pub fn parse_record(map: &Map<String, Value>) -> Result<Article, PostError> {
    let body_raw = ["body", "text", "content"]
        .iter()
        .find_map(|k| map.get(*k).filter(|v| !v.is_null()))
        .map(|v| {
            v.as_str().ok_or(PostError::InvalidField {
                field: "body",
                expected: "a string",
            })
        })
        .transpose()?
        .unwrap_or_default();
    let body = body_text(body_raw);
    if body.is_empty() {
        return Err(PostError::EmptyBody);
    }
    let title_raw = string(map, "title")?;
    let title = clean_title(title_raw.as_deref()).unwrap_or_else(|| derive_title(&body));
    let date_raw = string(map, "date")?;
    let date = parse_date_field(date_raw.as_deref())?;
    let url = string(map, "url")?.and_then(|u| clean_opt(&u));
    let explicit = match map.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            return Err(PostError::InvalidField {
                field: "id",
                expected: "a string or a number",
            });
        }
    };
    let id = match (explicit, &url) {
        (Some(own), _) => id::from_explicit(&own),
        (None, Some(url)) => id::from_url(url),
        (None, None) => id::from_title_date(&title, &date.map(super::format_date).unwrap_or_default()),
    };
    Ok(Article {
        id,
        url,
        title,
        body,
        date,
        tags: clean_list(list(map, "tags")?),
        categories: clean_list(list(map, "categories")?),
        source: string(map, "source")?.and_then(|s| clean_opt(&s)),
    })
}

fn string(map: &Map<String, Value>, field: &'static str) -> Result<Option<String>, PostError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) if field == "title" => Ok(Some(n.to_string())),
        Some(_) => Err(PostError::InvalidField {
            field,
            expected: "a string",
        }),
    }
}

fn list(map: &Map<String, Value>, field: &'static str) -> Result<Vec<String>, PostError> {
    let invalid = PostError::InvalidField {
        field,
        expected: "a string or a list of strings",
    };
    match map.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| invalid.clone()))
            .collect(),
        Some(_) => Err(invalid),
    }
}

/// The first sentence of the body (up to a `。！？` or a line end), at most
/// [`DERIVED_TITLE_CHARS`] characters, with a leading `【…】` headline preferred.
fn derive_title(body: &str) -> String {
    let first_line = body.lines().next().unwrap_or(body).trim();
    if let Some(rest) = first_line.strip_prefix('【')
        && let Some((headline, _)) = rest.split_once('】')
        && !headline.trim().is_empty()
    {
        return headline.trim().to_string();
    }
    let sentence_end = first_line.find(['。', '！', '？']).map_or(first_line.len(), |i| i);
    let sentence = &first_line[..sentence_end];
    let mut title: String = sentence.chars().take(DERIVED_TITLE_CHARS).collect();
    if title.len() < sentence.len() {
        title.push('…');
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_with_everything() {
        let a = parse_line(r#"{"id":"cls-1","url":"https://x.example.com/1","title":"标题","date":"2026-06-13T10:15:00+08:00","categories":["cls"],"tags":"A股","body":"第一段\n第二段","source":"财联社"}"#)
            .expect("valid");
        assert_eq!(a.id, "cls-1");
        assert_eq!(a.body, "第一段\n第二段");
        assert_eq!(a.tags, ["A股"]);
        assert_eq!(a.source.as_deref(), Some("财联社"));
    }

    #[test]
    fn ids_fall_back_to_url_then_title_and_date() {
        let by_url = parse_line(r#"{"url":"http://x.example.com/a","title":"t","body":"b"}"#).expect("valid");
        assert_eq!(by_url.id, id::from_url("http://x.example.com/a"));
        let by_title = parse_line(r#"{"title":"t","date":"2024-01-01","body":"b"}"#).expect("valid");
        assert!(by_title.id.starts_with("t-"));
        let again = parse_line(r#"{"title":"t","date":"2024-01-01","body":"changed"}"#).expect("valid");
        assert_eq!(by_title.id, again.id);
    }

    #[test]
    fn a_missing_title_comes_from_the_body() {
        let a = parse_line(r#"{"body":"【央行开展逆回购】财联社6月13日电，央行今日开展操作。"}"#).expect("valid");
        assert_eq!(a.title, "央行开展逆回购");
        let b = parse_line(r#"{"body":"沪指收涨0.5%。两市成交额放大。"}"#).expect("valid");
        assert_eq!(b.title, "沪指收涨0.5%");
    }

    #[test]
    fn bad_records_say_why() {
        assert!(matches!(parse_line(r#"{"title":"t","#), Err(PostError::InvalidJson(_))));
        assert_eq!(parse_line("[1,2]"), Err(PostError::NotAnObject));
        assert_eq!(parse_line(r#"{"title":"t","body":"  "}"#), Err(PostError::EmptyBody));
        assert_eq!(
            parse_line(r#"{"title":"t","body":"b","tags":{"a":1}}"#),
            Err(PostError::InvalidField {
                field: "tags",
                expected: "a string or a list of strings"
            })
        );
        assert_eq!(
            parse_line(r#"{"title":"t","body":"b","date":"2023-13-45"}"#),
            Err(PostError::InvalidDate("2023-13-45".into()))
        );
    }
}
