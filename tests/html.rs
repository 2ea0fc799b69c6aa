//! The HTML converter from outside (issue 14): the structure a browser gives, time linear in
//! the input on hostile markup (time at n against 4n), memory that follows the input and not
//! its elements (a child process's peak), and properties of arbitrary input (proptest).

use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use proptest::prelude::*;
use xinwen::post::html::html_to_text;
use xinwen::post::jsonl::parse_line;

#[test]
fn issue_14_an_unclosed_svg_no_longer_swallows_the_body() {
    let body = "<p><svg/onload=alert(1)></p><p>正文在这里</p>";
    assert_eq!(html_to_text(body), "正文在这里");
    let line = serde_json::json!({"id": "svg", "title": "标题", "body": body}).to_string();
    let article = parse_line(&line).map_err(|e| e.to_string());
    assert_eq!(article.map(|a| a.body), Ok("正文在这里".to_string()));
    // `</p>` and an HTML start tag leave MathML too; the formula's own text is drawn, so it
    // is kept.
    assert_eq!(html_to_text("<p><math><mi>x</mi><mo>=</mo><mn>1</p>正文"), "x=1\n正文");
    assert_eq!(html_to_text("<math><mi>x<p>正文"), "x\n正文");
    // Text straight inside SVG is not drawn; text in `<text>` is, like in a browser.
    assert_eq!(html_to_text("图<svg>坐标<text>标签</text></svg>后"), "图标签后");
}

#[test]
fn issue_14_the_categories_the_suite_found_show_their_text() {
    // Form controls end where the spec ends them, and show their text.
    assert_eq!(html_to_text("<a>1<button>2</a>3</button>"), "123");
    assert_eq!(html_to_text("<p><button>1</foo>后"), "1后");
    assert_eq!(html_to_text("<select><option>甲<option>乙</select>丙"), "甲\n乙\n丙");
    assert_eq!(html_to_text("<textarea>x<p>y</textarea>z"), "x<p>yz");
    // Foster-parented text comes before its table, as a browser shows it.
    assert_eq!(html_to_text("<table>A<td>B</td>C</table>"), "AC\nB");
    assert_eq!(html_to_text("<table><tr><td>格</td></tr>前</table>后"), "前\n格\n后");
    // A misnested formatting element is reopened, its text kept in order.
    assert_eq!(html_to_text("<b>1<i>2<p>3</b>4"), "12\n34");
}

/// Held by the tests that keep a core busy, so that none of them runs while times are taken.
static BUSY: Mutex<()> = Mutex::new(());

fn busy() -> MutexGuard<'static, ()> {
    BUSY.lock().unwrap_or_else(PoisonError::into_inner)
}

fn seconds(html: &str) -> f64 {
    let start = Instant::now();
    std::hint::black_box(html_to_text(html));
    start.elapsed().as_secs_f64()
}

/// How many times longer `large` takes than `small`: the shortest of seven runs each, taken
/// in turns, since other tenants of the machine slow runs down, never up.
fn time_ratio(small: &str, large: &str) -> f64 {
    let (mut a, mut b) = (f64::MAX, f64::MAX);
    for _ in 0..7 {
        a = a.min(seconds(small));
        b = b.min(seconds(large));
    }
    b / a
}

/// A hostile input made of `n` repeats of a pattern.
type Hostile = fn(usize) -> String;

fn hostile() -> Vec<(&'static str, Hostile)> {
    vec![
        ("unmatched end tags in a hidden element", |n| {
            format!("<div hidden>{}{}", "<i>".repeat(n), "</b>".repeat(n))
        }),
        ("open elements in a hidden element", |n| {
            format!("<div hidden>{}{}</div>ok", "<span>".repeat(n), "</p>".repeat(n))
        }),
        ("one tag with many attributes", |n| {
            (0..n).fold(String::from("<p"), |s, k| s + &format!(" a{k}")) + ">x"
        }),
        ("deep nesting, then end tags that close nothing", |n| {
            "<div>".repeat(n) + &"x</p>".repeat(n)
        }),
        ("nested lists", |n| "<ul><li>".repeat(n) + "x"),
        ("formatting elements told apart by attributes", |n| {
            (0..n).fold(String::new(), |s, k| s + &format!("<b id={k}>")) + &"<p>x".repeat(n)
        }),
        ("unclosed links", |n| "<a href=x>t".repeat(n)),
        ("nested tables", |n| "<table><tr><td>".repeat(n) + "x"),
        ("foster-parented text", |n| {
            format!("<table>{}</table>", "x<b>y</b><td>z".repeat(n))
        }),
        ("entities", |n| "&amp;&#20013;&nbsp;&ldquo;".repeat(n)),
    ]
}

#[test]
fn issue_14_time_is_linear_in_the_input_on_hostile_markup() {
    // Quadratic work takes 16× the time for 4× the input; linear, 4×. Half way between is
    // far from both, whatever the machine's load does to single runs.
    const N: usize = 4_000;
    let _alone = busy();
    let ratios: Vec<(&str, f64)> = hostile()
        .into_iter()
        .map(|(name, make)| (name, time_ratio(&make(N), &make(4 * N))))
        .collect();
    let report: Vec<String> = ratios.iter().map(|(name, r)| format!("{name}: {r:.1}×")).collect();
    eprintln!("time for 4× the input:\n  {}", report.join("\n  "));
    let slow: Vec<&String> = ratios
        .iter()
        .zip(&report)
        .filter(|((_, r), _)| *r >= 8.0)
        .map(|(_, line)| line)
        .collect();
    assert!(slow.is_empty(), "not linear: {slow:?}");
}

#[test]
fn deep_nesting_keeps_the_text_around_it() {
    let _alone = busy();
    let n = 200_000;
    let deep = "<div>".repeat(n) + "深" + &"</div>".repeat(n) + "后";
    assert_eq!(html_to_text(&deep), "深\n后");
    let hidden = "<div hidden>".repeat(n) + "藏" + &"</div>".repeat(n) + "后";
    assert_eq!(html_to_text(&hidden), "后");
    let drawing = "<svg>".to_string() + &"<g>".repeat(n) + "图" + "</svg>后";
    assert_eq!(html_to_text(&drawing), "后");
    let tables = "<table><tr><td>".repeat(n / 10) + "格";
    assert_eq!(html_to_text(&tables), "格");
    let inline = "<span>".repeat(n) + "字" + &"<p>段".repeat(3);
    assert_eq!(html_to_text(&inline), "字\n段\n段\n段");
}

/// Set in the child process of the memory test: the size of the input it converts, in MiB.
const MEMORY_CHILD: &str = "XINWEN_HTML_MEMORY_MIB";

/// The process's peak resident memory, in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn memory_follows_the_input_not_its_elements() {
    if let Some(mib) = std::env::var(MEMORY_CHILD).ok().and_then(|v| v.parse::<usize>().ok()) {
        // 300,000 paragraphs with a link and a table each, 1.8 million elements: a tree of
        // them would take hundreds of MiB; text streamed out takes about the text.
        let unit = "<p><a href=\"/n\">新闻</a><table><tr><td>格</td></tr></table></p>";
        let html = unit.repeat(mib * 1024 * 1024 / unit.len());
        let before = peak_kib();
        let text = html_to_text(&html);
        println!(
            "input_kib={} before_kib={before} after_kib={} output_kib={}",
            html.len() / 1024,
            peak_kib(),
            text.len() / 1024
        );
        return;
    }
    if !cfg!(target_os = "linux") {
        eprintln!("skip: VmHWM is Linux's");
        return;
    }
    let _alone = busy();
    let exe = std::env::current_exe().unwrap_or_default();
    let output = Command::new(exe)
        .args([
            "--exact",
            "memory_follows_the_input_not_its_elements",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(MEMORY_CHILD, "16")
        .output();
    let stdout = output
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let field = |key: &str| -> u64 {
        stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (input, before, after) = (field("input_kib="), field("before_kib="), field("after_kib="));
    assert!(input > 15 * 1024, "the child did not report: {stdout:?}");
    let grown = after.saturating_sub(before);
    assert!(
        grown < input / 2,
        "converting {input} KiB raised the peak by {grown} KiB (from {before} to {after})"
    );
    eprintln!("{input} KiB of markup: peak +{grown} KiB");
}

/// A line of the output is never empty, padded, or holding two spaces in a row.
fn assert_clean(out: &str) -> Result<(), TestCaseError> {
    if out.is_empty() {
        return Ok(());
    }
    for line in out.split('\n') {
        prop_assert!(!line.is_empty(), "empty line in {:?}", out);
        prop_assert_eq!(line, line.trim(), "padded line in {:?}", out);
        prop_assert!(!line.contains("  "), "double space in {:?}", out);
    }
    Ok(())
}

/// Pieces of markup soup, and what each decodes to beyond its own characters.
const PIECES: &[(&str, &str)] = &[
    ("<p>", ""),
    ("</p>", ""),
    ("<div hidden>", ""),
    ("</div>", ""),
    ("<span style='display:none'>", ""),
    ("</span>", ""),
    ("<b>", ""),
    ("</b>", ""),
    ("<i>", ""),
    ("<a href=x>", ""),
    ("</a>", ""),
    ("<br>", ""),
    ("<table>", ""),
    ("<tr>", ""),
    ("<td>", ""),
    ("</td>", ""),
    ("</table>", ""),
    ("<ul><li>", ""),
    ("<select><option>", ""),
    ("<button>", ""),
    ("<textarea>", ""),
    ("</textarea>", ""),
    ("<pre>", ""),
    ("</pre>", ""),
    ("<script>", ""),
    ("</script>", ""),
    ("<style>", ""),
    ("<noscript>", ""),
    ("<template>", ""),
    ("<svg>", ""),
    ("<text>", ""),
    ("</svg>", ""),
    ("<math><mi>", ""),
    ("<title>", ""),
    ("<head>", ""),
    ("<body>", ""),
    ("<!--", ""),
    ("-->", ""),
    ("<![CDATA[", ""),
    ("]]>", ""),
    ("<", ""),
    (">", ""),
    ("/", ""),
    ("\"", ""),
    ("=", ""),
    ("&amp;", "&"),
    ("&lt;", "<"),
    ("&nbsp;", " "),
    ("&#20013;", "中"),
    ("&#x56FD;", "国"),
    ("&ldquo;", "“"),
    ("&copy;", "©"),
    ("&#128;", "€"),
    ("&#0;", "\u{FFFD}"),
    ("中文", ""),
    ("新闻", ""),
    ("Apple", ""),
    ("42", ""),
    ("，", ""),
    ("。", ""),
    (" ", ""),
    ("\n", ""),
    ("\r\n", ""),
    ("\t", ""),
    ("\u{3000}", ""),
    ("\u{A0}", ""),
    ("\0", "\u{FFFD}"),
];

fn soup() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..PIECES.len(), 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_text_converts_cleanly(text in any::<String>()) {
        let _alone = busy();
        assert_clean(&html_to_text(&text))?;
    }

    #[test]
    fn any_bytes_convert_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _alone = busy();
        assert_clean(&html_to_text(&String::from_utf8_lossy(&bytes)))?;
    }

    #[test]
    fn markup_soup_keeps_only_its_own_characters(picks in soup()) {
        let _alone = busy();
        let mut html = String::new();
        let mut allowed: Vec<char> = vec!['\n', ' '];
        for &pick in &picks {
            let (piece, decoded) = PIECES[pick];
            html.push_str(piece);
            allowed.extend(piece.chars().chain(decoded.chars()));
        }
        let out = html_to_text(&html);
        assert_clean(&out)?;
        for c in out.chars() {
            prop_assert!(allowed.contains(&c), "{:?} is not in {:?}: {:?}", c, html, out);
        }
    }
}
