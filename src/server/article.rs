//! `GET /a/{id}`: the page of one article, rendered on the server: its whole text, title,
//! date, source and source link, tags, categories by the index's readable names, and its related
//! articles linked to their own pages. Every text is escaped; the only script fetches the
//! story's other outlets when the article JSON has a story. Unknown ids get a readable
//! 404 page, as do other errors (their status kept).

use std::fmt::Write;
use std::sync::Arc;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use warp::http::StatusCode;
use warp::reply::Response;

use super::api::{blocking, decode_id};
use super::error::ApiError;
use super::state::Shared;
use crate::config::MAX_RELATED;
use crate::error::Code;
use crate::post::{Article, format_date};
use crate::search::Related;
use crate::search::categories::Categories;
use crate::search::highlight::escape_html;

/// The page around the article (styles, header, the story script).
const TEMPLATE: &str = include_str!("article.html");

/// The characters of an id kept as they are in a link; the rest are percent-encoded.
const ID_KEEPS: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// GET /a/{id}: the page, or an error page with the error's status.
pub(crate) async fn page(shared: Arc<Shared>, raw_id: String) -> Response {
    let found = match decode_id(&raw_id) {
        Ok(id) => {
            blocking(&shared, move |backend| {
                let article = backend.get(&id)?;
                let related = backend.related(&id, MAX_RELATED)?;
                Ok((article, related, backend.categories()))
            })
            .await
        }
        Err(e) => Err(e),
    };
    let (status, html) = match found {
        Ok((article, related, names)) => (StatusCode::OK, render(&article, &related, &names)),
        Err(e) => (e.status(), render_error(&e)),
    };
    super::html_page(html, status)
}

/// The link to an article's page.
pub(crate) fn href(id: &str) -> String {
    format!("/a/{}", utf8_percent_encode(id, ID_KEEPS))
}

/// `url` when it is an http(s) link, the only kind the page links to.
fn web_link(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then_some(url)
}

/// The whole page of `article` with its `related` articles, its categories named by `names`.
fn render(article: &Article, related: &[Related], names: &Categories) -> String {
    let mut main = String::new();
    // Writing into a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        main,
        "<article id=\"article\" data-id=\"{}\">\n<h1>{}</h1>\n<p class=\"meta\">",
        escape_html(&article.id),
        escape_html(&article.title)
    );
    if let Some(date) = article.date {
        let date = format_date(date);
        let _ = write!(
            main,
            "<time datetime=\"{}\">{}</time>",
            escape_html(&date),
            escape_html(date.get(..10).unwrap_or(&date))
        );
    }
    if let Some(source) = &article.source {
        let _ = write!(main, "<span class=\"source\">{}</span>", escape_html(source));
    }
    if let Some(url) = article.url.as_deref().and_then(web_link) {
        let _ = write!(
            main,
            "<a class=\"origin\" href=\"{}\" rel=\"noopener noreferrer\">原文链接</a>",
            escape_html(url)
        );
    }
    main.push_str("</p>\n");
    chips(
        &mut main,
        "categories",
        "分类",
        article.categories.iter().map(|c| names.name(c)),
    );
    chips(&mut main, "tags", "标签", article.tags.iter().map(|t| format!("#{t}")));
    main.push_str("<div class=\"body\">\n");
    for paragraph in article.body.lines().map(str::trim).filter(|p| !p.is_empty()) {
        let _ = writeln!(main, "<p>{}</p>", escape_html(paragraph));
    }
    main.push_str("</div>\n</article>\n");
    main.push_str("<section id=\"story\" hidden><h2>其他媒体的报道</h2><ul></ul></section>\n");
    main.push_str("<section id=\"related\"><h2>相关文章</h2>\n");
    if related.is_empty() {
        main.push_str("<p class=\"none\">没有相关文章。</p>\n");
    } else {
        main.push_str("<ol>\n");
        for item in related {
            let a = &item.article;
            let _ = write!(
                main,
                "<li><a href=\"{}\">{}</a>",
                escape_html(&href(&a.id)),
                escape_html(&a.title)
            );
            if let Some(date) = a.date {
                let date = format_date(date);
                let _ = write!(
                    main,
                    "<span class=\"meta\">{}</span>",
                    escape_html(date.get(..10).unwrap_or(&date))
                );
            }
            main.push_str("</li>\n");
        }
        main.push_str("</ol>\n");
    }
    main.push_str("</section>");
    fill(&article.title, &main)
}

/// A list of chips (categories, tags) with its label, nothing when empty.
fn chips<S: AsRef<str>>(out: &mut String, class: &str, label: &str, items: impl Iterator<Item = S>) {
    let items: Vec<S> = items.collect();
    if items.is_empty() {
        return;
    }
    let _ = write!(out, "<ul class=\"chips {class}\" aria-label=\"{label}\">");
    for item in items {
        let _ = write!(out, "<li>{}</li>", escape_html(item.as_ref()));
    }
    out.push_str("</ul>\n");
}

/// The page for an error: the 404 of an unknown id says so, others give their message.
fn render_error(e: &ApiError) -> String {
    let (title, text) = match e.code {
        Code::UnknownId => (
            "找不到这篇文章",
            "没有这个编号的文章：它可能已被删除，或链接有误。".to_string(),
        ),
        _ => ("无法显示这篇文章", e.message.clone()),
    };
    let main = format!(
        "<article id=\"missing\">\n<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/\">返回搜索</a></p>\n</article>",
        escape_html(title),
        escape_html(&text)
    );
    fill(title, &main)
}

/// The template with its title and main part.
fn fill(title: &str, main: &str) -> String {
    // Split first, so a title or text that happens to hold a marker stays as it is.
    let (head, tail) = TEMPLATE.split_once("{{main}}").unwrap_or((TEMPLATE, ""));
    format!("{}{main}{tail}", head.replacen("{{title}}", &escape_html(title), 1))
}
