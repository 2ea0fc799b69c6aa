//! Numbers however written: for a number a reader typed (`一千亿`, `1,000亿元`, `百分之五`,
//! `二〇二四年`), the other ways news writes the same number, so a search finds each.
//!
//! An expression is the whole of an unquoted query word: a number, then optionally a
//! myriad (`万`, `亿`, `万亿`) and a unit from [`UNITS`]; `百分之…` and `…%` are percents;
//! four digits before `年` are a year read digit by digit. Its forms (at most
//! [`MAX_FORMS`]):
//! - Arabic `1000亿` ↔ Chinese `一千亿` (with `两` for a leading 2 before 百/千/万/亿, and
//!   `二` too), the myriad and unit kept: `一千亿元` ↔ `1000亿元`;
//! - 1,000 ↔ 1000 (thousands separators, from 1,000 up);
//! - with `万`, the whole number too: `十万` ↔ `10万` ↔ `100000` ↔ `100,000` (not with `亿`:
//!   news does not write twelve digits);
//! - decimals digit by digit: `三点五` ↔ `3.5`; percents: `百分之五` ↔ `5%`;
//! - years: `二〇二四年` ↔ `二零二四年` ↔ `2024年` (never 两千零二十四年);
//! - the colloquial `一万二` is 12000 (`三千五` 3500): a digit after the last unit counts in
//!   the next unit down, as it is read.
//!
//! Not numbers here: a bare number below 100 (`5`, `15`, `十五`: a day, a model, a rank
//! more often than an amount; `15年` and `十五%` are numbers), words that
//! start with a unit (`百度`, `千万`, `万一`), negatives (`负三`: the minus is punctuation to
//! the literal matching, so `-3` would find every 3), leading zeros (`007`, a code).

use crate::fold;
use crate::literal;

/// Forms one expression expands to at most.
pub const MAX_FORMS: usize = 6;

/// Characters an expression may have at most (longer input is not a number here).
const MAX_CHARS: usize = 24;

/// Units a number keeps attached, longest first so `人次` wins over `人`.
pub const UNITS: [&str; 22] = [
    "美元", "人次", "港元", "元", "年", "%", "人", "个", "米", "亩", "吨", "家", "户", "件", "辆", "次", "名", "倍",
    "岁", "天", "只", "股",
];

/// Myriads, longest first.
const MYRIADS: [&str; 3] = ["万亿", "亿", "万"];

/// The largest integer part converted (a trillion times ten thousand): beyond it a number
/// is left as typed.
const MAX_VALUE: u64 = 9_999_999_999_999_999;

/// A number as parsed: integer part, decimal digits, myriad and unit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Number {
    int: u64,
    frac: String,
    myriad: &'static str,
    unit: String,
    percent: bool,
    year: bool,
}

/// The other written forms of `text` when it is a number expression (see the module doc),
/// in a fixed order, without the typed form; empty otherwise. Never panics, at most
/// [`MAX_FORMS`].
pub fn forms(text: &str) -> Vec<String> {
    let typed: String = text.trim().chars().map(fold::fold_char).collect();
    if typed.chars().count() > MAX_CHARS {
        return Vec::new();
    }
    let Some(number) = parse(&typed) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for form in render(&number) {
        if form != typed && !out.contains(&form) && out.len() < MAX_FORMS {
            out.push(form);
        }
    }
    out
}

/// Characters that continue a Chinese number on either side of a form (not 〇: the
/// literal matching skips it as a symbol, so 〇十万 would be 十万 itself).
const NUMERAL_CHARS: [char; 16] = [
    '零', '一', '二', '两', '三', '四', '五', '六', '七', '八', '九', '十', '百', '千', '万', '亿',
];

/// For a form written in Chinese numerals, the longer numbers it occurs in: a numeral
/// character before it (二十万 for 十万) and, unless it ends with a unit, one after it
/// (一千零五 for 一千, 百分之五十 for 百分之五; 点 too); for Arabic digits, the same
/// followed by 万 or 亿 (1000万, 1000亿). Empty for other forms. A string
/// match cannot see these boundaries, so an article with one is left out (at most
/// [`NUMERAL_CHARS`] twice and 点: 33 strings).
pub fn longer_numbers(form: &str) -> Vec<String> {
    let folded: String = form.trim().chars().map(fold::fold_char).collect();
    let starts = folded.strip_prefix("百分之").unwrap_or(&folded);
    let mut out = Vec::new();
    // 1000 is not 1000亿: an Arabic number's digits are words, so only a myriad after it
    // makes it a longer number.
    if folded.starts_with(|c: char| c.is_ascii_digit()) && folded.ends_with(|c: char| c.is_ascii_digit()) {
        out.extend(["万", "亿"].iter().map(|m| format!("{folded}{m}")));
        return out;
    }
    if !starts.starts_with(|c| digit(c).is_some() || c == '十') {
        return out;
    }
    // 百分之 starts a percent: what comes before it is not part of the number.
    if starts.len() == folded.len() {
        out.extend(NUMERAL_CHARS.iter().map(|c| format!("{c}{folded}")));
    }
    if folded.ends_with(|c| NUMERAL_CHARS.contains(&c)) {
        out.extend(
            NUMERAL_CHARS
                .iter()
                .chain(['点'].iter())
                .map(|c| format!("{folded}{c}")),
        );
    }
    // A longer string must be longer where it is matched, or it would leave out the form.
    let own = literal::normalize(&folded).chars().count();
    out.retain(|s| literal::normalize(s).chars().count() > own);
    out
}

/// Parses a whole expression, Arabic or Chinese.
fn parse(text: &str) -> Option<Number> {
    let (body, unit) = split_unit(text);
    let number = if body.starts_with(|c: char| c.is_ascii_digit()) {
        parse_arabic(body, unit)?
    } else {
        parse_chinese(body, unit)?
    };
    // A bare number below 100 (5, 15, 十五) is a day, a model (iPhone 15), a rank more
    // often than an amount, and its Chinese form is in many longer words.
    let lone = number.int < 100 && number.frac.is_empty() && number.myriad.is_empty() && number.unit.is_empty();
    (!lone || number.percent).then_some(number)
}

/// The text before its unit, and the unit (`""` without one).
fn split_unit(text: &str) -> (&str, &str) {
    for unit in UNITS {
        if let Some(body) = text.strip_suffix(unit)
            && !body.is_empty()
        {
            return (body, unit);
        }
    }
    (text, "")
}

/// The myriad a number part ends with, and what comes before it.
fn split_myriad(text: &str) -> (&str, &'static str) {
    for myriad in MYRIADS {
        if let Some(body) = text.strip_suffix(myriad)
            && !body.is_empty()
        {
            return (body, myriad);
        }
    }
    (text, "")
}

/// `1000`, `1,000`, `3.5`, each optionally followed by a myriad.
fn parse_arabic(body: &str, unit: &str) -> Option<Number> {
    let (digits, myriad) = split_myriad(body);
    let (int_text, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (digits.contains('.') && frac.is_empty()) {
        return None;
    }
    let plain: String = int_text.chars().filter(|&c| c != ',').collect();
    if plain.is_empty() || plain.len() > 16 || !plain.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if int_text.contains(',') && !valid_commas(int_text) {
        return None;
    }
    if plain.len() > 1 && plain.starts_with('0') {
        return None;
    }
    if unit == "%" && !myriad.is_empty() {
        return None;
    }
    let int: u64 = plain.parse().ok()?;
    let year = unit == "年" && myriad.is_empty() && frac.is_empty() && plain.len() == 4 && !int_text.contains(',');
    Some(Number {
        int,
        frac: frac.to_string(),
        myriad,
        unit: unit.to_string(),
        percent: unit == "%",
        year,
    })
}

/// Thousands separators every three digits (`1,000`, `12,345,678`).
fn valid_commas(text: &str) -> bool {
    let mut groups = text.split(',');
    let first = groups.next().unwrap_or_default();
    (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3)
}

/// `一千亿`, `三点五`, `百分之五`, `二〇二四` (before 年), `一万二`.
fn parse_chinese(body: &str, unit: &str) -> Option<Number> {
    let (body, percent) = match body.strip_prefix("百分之") {
        Some(rest) => (rest, true),
        None => (body, false),
    };
    if percent && !unit.is_empty() {
        return None;
    }
    let unit = if percent { "%" } else { unit };
    if unit == "年" && body.chars().count() == 4 && body.chars().all(|c| digit(c).is_some()) {
        let int = body.chars().try_fold(0u64, |acc, c| Some(acc * 10 + digit(c)?))?;
        return Some(Number {
            int,
            frac: String::new(),
            myriad: "",
            unit: unit.to_string(),
            percent,
            year: true,
        });
    }
    let (int_text, frac_text) = match body.split_once('点') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if body.contains('点') && frac_text.is_empty() {
        return None;
    }
    let frac: String = frac_text
        .chars()
        .map(|c| digit(c).and_then(|d| char::from_digit(d as u32, 10)))
        .collect::<Option<String>>()?;
    // Myriads stay attached unless the part before them has one of its own (一亿二千万).
    let (mantissa, myriad) = split_myriad(int_text);
    let (mantissa, myriad) = if mantissa.contains(['万', '亿']) && myriad != "万亿" {
        (int_text, "")
    } else {
        (mantissa, myriad)
    };
    if percent && !myriad.is_empty() {
        return None;
    }
    // A number starts with a digit or 十 (十万): 百度, 千万 and 万一 are words.
    let first = mantissa.chars().next()?;
    if digit(first).is_none() && first != '十' {
        return None;
    }
    let int = chinese_value(mantissa)?;
    Some(Number {
        int,
        frac,
        myriad,
        unit: unit.to_string(),
        percent,
        year: false,
    })
}

/// The value of a Chinese integer with 万 and 亿 sections (`一万零五`, `一万二`).
fn chinese_value(text: &str) -> Option<u64> {
    for (sep, scale) in [('亿', 100_000_000u64), ('万', 10_000u64)] {
        if let Some((high, low)) = text.rsplit_once(sep) {
            let high = chinese_value(high)?;
            let low = match low.chars().collect::<Vec<_>>().as_slice() {
                // 一万二: the digit counts in the next unit down, as it is read.
                [c] if digit(*c).is_some_and(|d| d > 0) => digit(*c)? * (scale / 10),
                [] => 0,
                _ => {
                    let value = chinese_value(low)?;
                    // 一万零五 says its zero; 一万五百 leaves it out (still 10500).
                    (value < scale).then_some(value)?
                }
            };
            return high.checked_mul(scale)?.checked_add(low).filter(|&v| v <= MAX_VALUE);
        }
    }
    small_value(text)
}

/// The value of a Chinese integer below ten thousand (`一千零五`, `十五`, `三千五`).
fn small_value(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut value = 0u64;
    let mut pending: Option<u64> = None;
    let mut last_unit = 10_000u64;
    let mut zero = false;
    let mut first = true;
    for c in text.chars() {
        if let Some(unit) = small_unit(c) {
            let times = match pending.take() {
                Some(d) => d,
                None if first && unit == 10 => 1,
                None => return None,
            };
            if unit >= last_unit {
                return None;
            }
            value += times * unit;
            last_unit = unit;
            zero = false;
        } else if matches!(c, '零' | '〇') {
            if pending.is_some() {
                return None;
            }
            zero = true;
        } else {
            let d = digit(c)?;
            if pending.is_some() {
                return None;
            }
            pending = Some(d);
        }
        first = false;
    }
    if let Some(d) = pending {
        // 三千五 is 3500; 一千零五, 二十五 and 五 end with their ones.
        value += if zero || last_unit <= 10 || last_unit == 10_000 {
            d
        } else {
            d * last_unit / 10
        };
    }
    Some(value)
}

fn small_unit(c: char) -> Option<u64> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        _ => None,
    }
}

/// A Chinese digit's value (〇 and 零 are 0, 两 is 2).
fn digit(c: char) -> Option<u64> {
    Some(match c {
        '〇' | '零' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// Every written form of `n`, the typed one among them (the caller drops it).
fn render(n: &Number) -> Vec<String> {
    if n.year {
        let digits = n.int.to_string();
        let han: String = digits
            .bytes()
            .map(|b| {
                if b == b'0' {
                    '〇'
                } else {
                    DIGITS[usize::from(b - b'0')]
                }
            })
            .collect();
        return vec![
            format!("{digits}年"),
            format!("{han}年"),
            format!("{}年", han.replace('〇', "零")),
        ];
    }
    let frac = |arabic: bool| -> String {
        if n.frac.is_empty() {
            String::new()
        } else if arabic {
            format!(".{}", n.frac)
        } else {
            let han: String = n.frac.bytes().map(|b| DIGITS[usize::from(b - b'0')]).collect();
            format!("点{han}")
        }
    };
    let tail = |text: String| -> String {
        if n.percent {
            text
        } else {
            format!("{text}{}{}", n.myriad, n.unit)
        }
    };
    let arabic = |text: String| -> String { if n.percent { format!("{text}%") } else { tail(text) } };
    let han = |text: String| -> String {
        if n.percent {
            format!("百分之{text}")
        } else {
            tail(text)
        }
    };
    let mut out = vec![arabic(format!("{}{}", n.int, frac(true)))];
    if n.int >= 1000 {
        out.push(arabic(format!("{}{}", with_commas(n.int), frac(true))));
    }
    if let Some(c) = chinese(n.int) {
        let c = format!("{c}{}", frac(false));
        // 两千 and 二千 are both written; 两 first, as news mostly writes it.
        if let Some(rest) = c.strip_prefix('二')
            && rest.starts_with(['百', '千', '万', '亿'])
        {
            out.push(han(format!("两{rest}")));
        }
        out.push(han(c));
    }
    // 十万 is also written out in full (and 100000 as 10万).
    if n.myriad == "万" && n.frac.is_empty() && !n.percent {
        if let Some(full) = n.int.checked_mul(10_000).filter(|&v| v <= MAX_VALUE) {
            out.push(format!("{full}{}", n.unit));
            out.push(format!("{}{}", with_commas(full), n.unit));
        }
    } else if n.myriad.is_empty() && n.frac.is_empty() && !n.percent && n.int >= 10_000 && n.int.is_multiple_of(10_000)
    {
        out.push(format!("{}万{}", n.int / 10_000, n.unit));
    }
    out
}

/// `1000000` → `1,000,000`.
fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The Chinese reading of `n` (`1005` → 一千零五, `100000` → 十万), up to [`MAX_VALUE`].
fn chinese(n: u64) -> Option<String> {
    match n {
        0 => Some("零".to_string()),
        n if n > MAX_VALUE => None,
        n => Some(read(n, true)),
    }
}

/// The reading of `n` by 亿 and 万 sections, a 零 where a section starts with a gap.
fn read(n: u64, leading: bool) -> String {
    for (scale, name) in [(100_000_000u64, "亿"), (10_000u64, "万")] {
        if n >= scale {
            let (high, low) = (n / scale, n % scale);
            let mut out = read(high, leading);
            out.push_str(name);
            if low > 0 {
                if low < scale / 10 {
                    out.push('零');
                }
                out.push_str(&read(low, false));
            }
            return out;
        }
    }
    small_chinese(n, leading)
}

/// The reading of a section below ten thousand; `leading` drops the 一 of 一十 (十五).
fn small_chinese(n: u64, leading: bool) -> String {
    let places = [
        (n / 1000, '千'),
        ((n / 100) % 10, '百'),
        ((n / 10) % 10, '十'),
        (n % 10, ' '),
    ];
    let mut out = String::new();
    let mut zero = false;
    for (d, unit) in places {
        if d == 0 {
            zero = !out.is_empty();
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        if !(leading && out.is_empty() && unit == '十' && d == 1) {
            out.push(DIGITS[d as usize]);
        }
        if unit != ' ' {
            out.push(unit);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn f(text: &str) -> Vec<String> {
        forms(text)
    }

    #[test]
    fn chinese_and_arabic_with_a_myriad() {
        assert_eq!(f("一千亿"), vec!["1000亿", "1,000亿"]);
        assert_eq!(f("1000亿"), vec!["1,000亿", "一千亿"]);
        assert_eq!(f("1,000亿元"), vec!["1000亿元", "一千亿元"]);
        assert_eq!(f("一千亿元"), vec!["1000亿元", "1,000亿元"]);
        assert_eq!(f("一万亿"), vec!["1万亿"]);
    }

    #[test]
    fn decimals_percents_and_years() {
        assert_eq!(f("三点五"), vec!["3.5"]);
        assert_eq!(f("3.5"), vec!["三点五"]);
        assert_eq!(f("百分之五"), vec!["5%"]);
        assert_eq!(f("5%"), vec!["百分之五"]);
        assert_eq!(f("5％"), vec!["百分之五"]);
        assert_eq!(f("百分之三点五"), vec!["3.5%"]);
        assert_eq!(f("二〇二四年"), vec!["2024年", "二零二四年"]);
        assert_eq!(f("2024年"), vec!["二〇二四年", "二零二四年"]);
    }

    #[test]
    fn ten_thousands_are_also_written_out() {
        assert_eq!(f("十万"), vec!["10万", "100000", "100,000"]);
        assert_eq!(f("10万"), vec!["十万", "100000", "100,000"]);
        assert_eq!(f("100000"), vec!["100,000", "十万", "10万"]);
        assert_eq!(f("1,000"), vec!["1000", "一千"]);
        assert_eq!(f("1000"), vec!["1,000", "一千"]);
    }

    #[test]
    fn two_zero_and_colloquial_forms() {
        assert_eq!(f("两千"), vec!["2000", "2,000", "二千"]);
        assert_eq!(f("2000"), vec!["2,000", "两千", "二千"]);
        assert_eq!(f("一千零五"), vec!["1005", "1,005"]);
        assert_eq!(f("1005米"), vec!["1,005米", "一千零五米"]);
        assert_eq!(f("一万二"), vec!["12000", "12,000", "一万二千"]);
        assert_eq!(f("三千五"), vec!["3500", "3,500", "三千五百"]);
        assert_eq!(f("一万零五"), vec!["10005", "10,005"]);
        assert!(f("十五").is_empty());
        assert!(f("15").is_empty());
        assert_eq!(f("十五年"), vec!["15年"]);
        assert_eq!(f("一亿二千万"), vec!["120000000", "120,000,000", "12000万"]);
    }

    #[test]
    fn round_trips() {
        for n in [
            10u64,
            15,
            20,
            101,
            110,
            1005,
            1050,
            1500,
            10_005,
            100_010,
            2_000_000,
            123_456_789,
            1_000_000_000_000,
            1_5000_0003_0000,
        ] {
            let han = chinese(n).expect("in range");
            assert_eq!(chinese_value(&han), Some(n), "{n} → {han}");
        }
    }

    #[test]
    fn words_and_bad_input_are_not_numbers() {
        for text in [
            "",
            "一",
            "5",
            "百度",
            "千万",
            "万一",
            "负三",
            "-3",
            "007",
            "1,00",
            "3.",
            "点五",
            "一十百",
            "十十",
            "五五",
            "上海",
            "百分之",
            "1.2.3",
            "99999999999999999999",
        ] {
            assert!(f(text).is_empty(), "{text}: {:?}", f(text));
        }
    }

    #[test]
    fn chinese_forms_know_the_longer_numbers() {
        let ten_thousand = longer_numbers("十万");
        assert!(ten_thousand.contains(&"二十万".to_string()));
        assert!(ten_thousand.contains(&"十万五".to_string()));
        let percent = longer_numbers("百分之五");
        assert!(percent.contains(&"百分之五十".to_string()));
        assert!(percent.contains(&"百分之五点".to_string()));
        assert!(!percent.iter().any(|s| s.starts_with('二')));
        let thousand_yuan = longer_numbers("一千元");
        assert_eq!(thousand_yuan.len(), NUMERAL_CHARS.len());
        assert!(longer_numbers("1000亿").is_empty());
        assert_eq!(longer_numbers("1,000"), vec!["1,000万", "1,000亿"]);
        assert!(longer_numbers("上海").is_empty());
    }

    proptest! {
        #[test]
        fn any_text_is_bounded(text in "[0-9,.%一二两三四五六七八九十百千万亿零〇点年元百分之]{0,30}") {
            let out = forms(&text);
            prop_assert!(out.len() <= MAX_FORMS);
            prop_assert!(out.iter().all(|f| f.chars().count() <= 3 * MAX_CHARS));
        }

        #[test]
        fn any_string_never_panics(text in ".{0,40}") {
            prop_assert!(forms(&text).len() <= MAX_FORMS);
        }
    }
}
