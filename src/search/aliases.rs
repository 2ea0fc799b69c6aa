//! Company name ↔ stock code aliases: finding `贵州茅台（600519）` pairs in text, the
//! operator's add/veto file, and the table a query expands with (like a synonym group).
//!
//! A pair is a bracket, full-width or half-width, holding only a code, right after a name:
//! - the code is 6 digits (A-share, Beijing), optionally with `.SH`/`.SZ`/`.BJ` after or
//!   `SH`/`SZ`/`BJ` before; or 5 digits optionally with `.HK`, or 4 digits with `.HK`
//!   (padded to 5). It is kept as its digits: `600519.SH`, `SH600519` and `600519` are one.
//! - the name is the run of Han characters and Latin letters right before the bracket
//!   (spaces between skipped), scanned back at most [`MAX_SCAN_CHARS`]; leading function
//!   words and reporting verbs (公告称, 截至, 旗下, …) are trimmed off; it must then be 2 to
//!   [`MAX_NAME_CHARS`] characters, else there is no pair.
//!
//! One pass over the text; each bracket looks at most a few dozen characters either side,
//! and an article yields at most [`MAX_PAIRS_PER_ARTICLE`] pairs.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::fold;

/// Most characters of a name.
pub const MAX_NAME_CHARS: usize = 8;
/// Characters scanned back from a bracket for a name.
pub const MAX_SCAN_CHARS: usize = 16;
/// Characters inside a bracket read for a code.
const MAX_CODE_CHARS: usize = 24;
/// Most distinct pairs taken from one article.
pub const MAX_PAIRS_PER_ARTICLE: usize = 64;
/// Distinct articles a pair must be seen in to become an alias.
pub const MIN_ARTICLES: u32 = 3;
/// Names a code keeps: the most frequent ones, ties included up to this many.
pub const MAX_NAMES_PER_CODE: usize = 2;
/// Most lines (pairs) in an aliases file.
pub const MAX_ALIAS_LINES: usize = 10_000;

/// Leading words trimmed off a name, longest first where one is a prefix of another.
const LEAD_WORDS: &[&str] = &[
    "公告称",
    "公告显示",
    "公告",
    "消息称",
    "数据显示",
    "显示",
    "披露",
    "宣布",
    "表示",
    "发布",
    "截至",
    "旗下",
    "创业板",
    "科创板",
    "北交所",
    "沪市",
    "深市",
    "港股",
    "其中",
    "以及",
    "同时",
    "此外",
    "另外",
    "今日",
    "今天",
    "昨日",
    "近日",
    "目前",
    "其",
    "据",
    "称",
    "和",
    "与",
    "及",
    "或",
    "而",
    "了",
    "的",
    "在",
    "对",
    "是",
    "由",
    "被",
    "将",
    "向",
    "从",
    "为",
    "如",
    "包括",
    "例如",
    "比如",
    "子公司",
    "母公司",
    "控股股东",
    "股东",
    "关于",
];

/// A name ↔ code pair: the name folded, the code its digits.
pub type Pair = (String, String);

/// Where an alias in force comes from, as `analyze` and explain show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasSource {
    /// Seen in enough articles (also when the operator's file adds it too: the articles
    /// alone would make it an alias).
    Learned,
    /// Added by the operator's file only.
    User,
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

fn is_name_char(c: char) -> bool {
    is_han(c) || c.is_ascii_alphabetic()
}

/// The digits of a stock code written as `600519`, `600519.SH`, `SH600519`, `00700.HK`,
/// `0700.HK` (padded to `00700`); `None` for anything else (`2024`, `5%`).
pub fn parse_code(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_uppercase();
    let t = t.replace('．', ".");
    let (digits, suffix) = match t.split_once('.') {
        Some((d, s)) => (d.to_string(), Some(s.to_string())),
        None => (t.clone(), None),
    };
    let digits = match ["SH", "SZ", "BJ"].iter().find(|p| digits.starts_with(*p)) {
        Some(p) if suffix.is_none() => digits[p.len()..].to_string(),
        Some(_) => return None,
        None => digits,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefixed = t.starts_with(|c: char| c.is_ascii_alphabetic());
    match (digits.len(), suffix.as_deref()) {
        (6, None | Some("SH" | "SZ" | "BJ")) => Some(digits),
        (5, None | Some("HK")) if !prefixed => Some(digits),
        (4, Some("HK")) => Some(format!("0{digits}")),
        _ => None,
    }
}

/// Trims leading function words off a run; the name left, when it is 2..=MAX_NAME_CHARS.
fn trim_name(run: &str) -> Option<String> {
    let mut name = run;
    while let Some(lead) = LEAD_WORDS
        .iter()
        .find(|w| name.starts_with(**w) && name.len() > w.len())
    {
        name = &name[lead.len()..];
    }
    let chars = name.chars().count();
    (2..=MAX_NAME_CHARS).contains(&chars).then(|| fold::fold_value(name))
}

/// The distinct name ↔ code pairs of `text`, in the order first seen, at most
/// [`MAX_PAIRS_PER_ARTICLE`].
pub fn find_pairs(text: &str) -> Vec<Pair> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, &(_, c)) in chars.iter().enumerate() {
        if c != '（' && c != '(' {
            continue;
        }
        let Some(code) = code_after(text, &chars, i) else {
            continue;
        };
        let Some(name) = name_before(text, &chars, i) else {
            continue;
        };
        if seen.insert((name.clone(), code.clone())) {
            out.push((name, code));
            if out.len() == MAX_PAIRS_PER_ARTICLE {
                break;
            }
        }
    }
    out
}

/// The code in the bracket opening at `chars[open]`, when the bracket holds only a code
/// (optionally after 股票代码：/代码:).
fn code_after(text: &str, chars: &[(usize, char)], open: usize) -> Option<String> {
    let start = chars.get(open + 1)?.0;
    let close = chars
        .iter()
        .skip(open + 1)
        .take(MAX_CODE_CHARS)
        .find(|(_, c)| matches!(c, '）' | ')' | '（' | '('))?;
    if !matches!(close.1, '）' | ')') {
        return None;
    }
    let inner = &text[start..close.0];
    let inner = ["股票代码：", "股票代码:", "代码：", "代码:"]
        .iter()
        .find_map(|p| inner.strip_prefix(p))
        .unwrap_or(inner);
    parse_code(inner)
}

/// The name right before the bracket at `chars[open]`.
fn name_before(text: &str, chars: &[(usize, char)], open: usize) -> Option<String> {
    let mut end = open;
    while end > 0 && chars[end - 1].1 == ' ' {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && end - start < MAX_SCAN_CHARS && is_name_char(chars[start - 1].1) {
        start -= 1;
    }
    if start == end {
        return None;
    }
    let end_byte = chars.get(end).map_or(text.len(), |c| c.0);
    let run = &text[chars[start].0..end_byte];
    if !run.chars().any(is_han) {
        return None;
    }
    trim_name(run)
}

/// The operator's alias edits: pairs added and pairs vetoed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasEdits {
    /// Pairs that are aliases whatever the articles say.
    #[serde(default)]
    pub add: Vec<Pair>,
    /// Pairs never used, learned or not.
    #[serde(default)]
    pub veto: Vec<Pair>,
}

/// Parses an aliases file: `名称 = 代码` adds a pair, `!名称 = 代码` vetoes one, `#` starts
/// a comment. Errors name the line.
pub fn parse_edits(text: &str) -> Result<AliasEdits, (usize, String)> {
    let mut edits = AliasEdits::default();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let content = line.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        if edits.add.len() + edits.veto.len() == MAX_ALIAS_LINES {
            return Err((line_no, format!("more than {MAX_ALIAS_LINES} pairs")));
        }
        let (veto, rest) = match content.strip_prefix(['!', '！']) {
            Some(rest) => (true, rest),
            None => (false, content),
        };
        let Some((name, code)) = rest.split_once(['=', '＝']) else {
            return Err((line_no, "expected `name = code` (or `!name = code` to veto)".into()));
        };
        let name = fold::fold_value(name);
        let chars = name.chars().count();
        if !(2..=MAX_NAME_CHARS * 2).contains(&chars) || !name.chars().any(char::is_alphanumeric) {
            return Err((
                line_no,
                format!("name {:?} must be 2 to {} characters", name, MAX_NAME_CHARS * 2),
            ));
        }
        let Some(code) = parse_code(code) else {
            return Err((
                line_no,
                format!("{:?} is not a stock code (600519, 600519.SH, 00700.HK)", code.trim()),
            ));
        };
        if veto { &mut edits.veto } else { &mut edits.add }.push((name, code));
    }
    Ok(edits)
}

/// The aliases a query expands with: each form (a name, or a code's digits) → the others,
/// each with where its pair comes from.
#[derive(Debug, Clone, Default)]
pub struct Aliases {
    by_form: HashMap<String, Vec<(String, AliasSource)>>,
    pairs: usize,
}

impl Aliases {
    /// The aliases of learned counts (pair → distinct articles) and the operator's edits:
    /// pairs seen in at least [`MIN_ARTICLES`] articles, a code keeping its most frequent
    /// name(s) (at most [`MAX_NAMES_PER_CODE`]), vetoes removed, additions added.
    pub fn new(counts: &HashMap<Pair, u32>, edits: &AliasEdits) -> Aliases {
        let veto: HashSet<&Pair> = edits.veto.iter().collect();
        let mut by_code: HashMap<&str, Vec<(&str, u32)>> = HashMap::new();
        for ((name, code), &n) in counts {
            if n >= MIN_ARTICLES && !veto.contains(&(name.clone(), code.clone())) {
                by_code.entry(code).or_default().push((name, n));
            }
        }
        let mut pairs: Vec<(Pair, AliasSource)> = Vec::new();
        for (code, mut names) in by_code {
            names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let top = names[0].1;
            for (name, _) in names.iter().filter(|(_, n)| *n == top).take(MAX_NAMES_PER_CODE) {
                pairs.push(((name.to_string(), code.to_string()), AliasSource::Learned));
            }
        }
        for pair in &edits.add {
            if !pairs.iter().any(|(p, _)| p == pair) {
                pairs.push((pair.clone(), AliasSource::User));
            }
        }
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut by_form: HashMap<String, Vec<(String, AliasSource)>> = HashMap::new();
        for ((name, code), source) in &pairs {
            by_form.entry(name.clone()).or_default().push((code.clone(), *source));
            by_form.entry(code.clone()).or_default().push((name.clone(), *source));
        }
        Aliases {
            by_form,
            pairs: pairs.len(),
        }
    }

    /// How many name ↔ code pairs.
    pub fn len(&self) -> usize {
        self.pairs
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    /// The other forms of a query word (folded), each with where its pair comes from: a
    /// code's names (and its bare digits when typed with an exchange, from the code's first
    /// pair), or a name's codes; empty when it is no alias.
    pub fn forms_of(&self, folded: &str) -> Vec<(&str, AliasSource)> {
        if let Some(code) = parse_code(folded) {
            let Some((key, forms)) = self.by_form.get_key_value(&code) else {
                return Vec::new();
            };
            let mut out: Vec<(&str, AliasSource)> = Vec::new();
            if key != folded
                && let Some((_, source)) = forms.first()
            {
                out.push((key, *source));
            }
            out.extend(tagged(forms));
            return out;
        }
        self.by_form.get(folded).map(|f| tagged(f)).unwrap_or_default()
    }
}

/// Forms as borrowed text with their sources.
fn tagged(forms: &[(String, AliasSource)]) -> Vec<(&str, AliasSource)> {
    forms.iter().map(|(form, source)| (form.as_str(), *source)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pairs of `text` as `name=code`.
    fn pairs(text: &str) -> Vec<String> {
        find_pairs(text).into_iter().map(|(n, c)| format!("{n}={c}")).collect()
    }

    #[test]
    fn codes_in_every_written_form() {
        assert_eq!(parse_code("600519"), Some("600519".into()));
        assert_eq!(parse_code("600519.SH"), Some("600519".into()));
        assert_eq!(parse_code("sh600519"), Some("600519".into()));
        assert_eq!(parse_code("00700.HK"), Some("00700".into()));
        assert_eq!(parse_code("0700.hk"), Some("00700".into()));
        assert_eq!(parse_code("830799.BJ"), Some("830799".into()));
        for bad in ["2024", "5%", "6005", "6005190", "600519.HK", "SH00700", "abc", ""] {
            assert_eq!(parse_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn pairs_with_either_bracket_and_suffix() {
        assert_eq!(
            pairs("贵州茅台（600519）涨2%，腾讯控股(00700.HK)跌，宁德时代(300750.SZ)平；平安银行 (000001) 收涨"),
            vec![
                "贵州茅台=600519",
                "腾讯控股=00700",
                "宁德时代=300750",
                "平安银行=000001"
            ]
        );
    }

    #[test]
    fn leading_words_are_trimmed() {
        assert_eq!(pairs("公告称贵州茅台（600519）"), vec!["贵州茅台=600519"]);
        assert_eq!(pairs("截至今日，旗下宁德时代（300750.SZ）"), vec!["宁德时代=300750"]);
        assert_eq!(pairs("TCL科技（000100）"), vec!["tcl科技=000100"]);
        assert_eq!(pairs("创业板的超纯应材（301717）"), vec!["超纯应材=301717"]);
        assert_eq!(pairs("科创板的国仪公司（688828）"), vec!["国仪公司=688828"]);
    }

    #[test]
    fn brackets_without_a_code_or_name_give_nothing() {
        assert!(pairs("报告（2024）显示").is_empty());
        assert!(pairs("增长（5%）").is_empty());
        assert!(pairs("贵州茅台（600519（SH））").is_empty());
        assert!(pairs("，（600519）").is_empty());
        assert!(pairs("abc(600519)").is_empty());
        assert!(pairs("茅（600519）").is_empty());
        // A run longer than a name: no pair rather than a sentence for a name.
        assert!(pairs("这是一段没有标点的很长很长的句子贵州茅台（600519）").is_empty());
        // An unclosed bracket at the end.
        assert!(pairs("贵州茅台（600519").is_empty());
    }

    #[test]
    fn an_article_yields_each_pair_once_and_a_bounded_number() {
        assert_eq!(
            pairs("贵州茅台（600519）、贵州茅台(600519.SH)"),
            vec!["贵州茅台=600519"]
        );
        let many: String = (0..200)
            .map(|i| format!("公司{}（{:06}）；", ["甲", "乙"][i % 2], i))
            .collect();
        assert_eq!(find_pairs(&many).len(), MAX_PAIRS_PER_ARTICLE);
    }

    #[test]
    fn the_table_keeps_frequent_pairs_and_the_top_name() {
        let counts: HashMap<Pair, u32> = [
            (("贵州茅台".into(), "600519".into()), 5),
            (("茅台".into(), "600519".into()), 3),
            (("平安银行".into(), "000001".into()), 2),
            (("宁德时代".into(), "300750".into()), 3),
        ]
        .into_iter()
        .collect();
        let aliases = Aliases::new(&counts, &AliasEdits::default());
        assert_eq!(aliases.len(), 2);
        let learned = |forms: &[&'static str]| forms.iter().map(|f| (*f, AliasSource::Learned)).collect::<Vec<_>>();
        assert_eq!(aliases.forms_of("600519"), learned(&["贵州茅台"]));
        assert_eq!(aliases.forms_of("600519.sh"), learned(&["600519", "贵州茅台"]));
        assert_eq!(aliases.forms_of("贵州茅台"), learned(&["600519"]));
        assert!(aliases.forms_of("000001").is_empty());
        // A pair the file adds is the user's, unless the articles make it an alias anyway.
        let edits = AliasEdits {
            add: vec![
                ("平安银行".into(), "000001".into()),
                ("贵州茅台".into(), "600519".into()),
            ],
            veto: vec![("宁德时代".into(), "300750".into())],
        };
        let aliases = Aliases::new(&counts, &edits);
        assert_eq!(aliases.forms_of("000001"), vec![("平安银行", AliasSource::User)]);
        assert_eq!(aliases.forms_of("600519"), learned(&["贵州茅台"]));
        assert!(aliases.forms_of("宁德时代").is_empty());
    }

    #[test]
    fn edit_files_are_checked_by_line() {
        let edits = parse_edits("# mine\n贵州茅台 = 600519.SH\n!宁德时代＝300750\n").expect("parses");
        assert_eq!(edits.add, vec![("贵州茅台".to_string(), "600519".to_string())]);
        assert_eq!(edits.veto, vec![("宁德时代".to_string(), "300750".to_string())]);
        assert_eq!(
            parse_edits("贵州茅台 = 600519\n宁德时代 300750"),
            Err((2, "expected `name = code` (or `!name = code` to veto)".into()))
        );
        assert_eq!(
            parse_edits("贵州茅台 = 2024"),
            Err((1, "\"2024\" is not a stock code (600519, 600519.SH, 00700.HK)".into()))
        );
    }
}
