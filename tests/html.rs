//! The HTML converter from outside (issue 14): the structure a browser gives.

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
