//! Chinese-language behaviour as a reader sees it: traditional and simplified characters,
//! a user dictionary, mixed Latin/digit tokens, words inside longer words, phrases across
//! jieba's cuts, the relaxed fallback and stopwords, recency, collapsed syndicated copies,
//! and snippets that read well. Most cases build a small index of articles written here
//! (a tempdir per test), so each expectation names every article that may match; the rest
//! use the shared fixture index (`tests/FIXTURES.md`). No test is ignored: an expectation
//! the engine does not meet fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use tempfile::TempDir;
use time::OffsetDateTime;
use time::macros::datetime;
use xinwen::analysis::ChineseAnalyzer;
use xinwen::error::ErrorCode;
use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::search::{Engine, Hit, SearchRequest, SearchResponse, Sort};
use xinwen::store::{self, IndexDir};
use xinwen::{IndexError, QueryError};

// ---------------------------------------------------------------- helpers

/// One JSONL article, dated `date` at 09:00 Beijing time.
fn article(id: &str, date: &str, title: &str, body: &str) -> Value {
    json!({
        "id": id,
        "date": format!("{date}T09:00:00+08:00"),
        "title": title,
        "body": body,
        "categories": ["test"],
    })
}

/// Writes `articles` as `articles.jsonl` under `dir` and returns its path.
fn write_articles(dir: &Path, articles: &[Value]) -> PathBuf {
    let path = dir.join("articles.jsonl");
    let text: String = articles.iter().map(|a| format!("{a}\n")).collect();
    std::fs::write(&path, text).expect("write the articles");
    path
}

/// Job options for the small indexes: one thread, so documents keep the file's order.
fn options(rebuild: bool, user_dict: Option<PathBuf>) -> IndexOptions {
    IndexOptions {
        rebuild,
        user_dict,
        threads: Some(1),
        memory: 16 * 1024 * 1024,
        ..IndexOptions::default()
    }
}

/// A small index of articles written for one test.
struct Corpus {
    _tmp: TempDir,
    dir: IndexDir,
    input: PathBuf,
    engine: Engine,
}

impl Corpus {
    fn build(articles: &[Value], user_dict: Option<PathBuf>) -> Corpus {
        let tmp = tempfile::tempdir().expect("create a temporary directory");
        let input = write_articles(tmp.path(), articles);
        let dir = IndexDir::new(tmp.path().join("index"));
        let report = indexer::run(&dir, std::slice::from_ref(&input), &options(true, user_dict), &Silent)
            .expect("index the articles");
        assert_eq!(report.rejected, 0, "{:?}", report.rejections);
        assert_eq!(report.new, articles.len());
        let engine = Engine::open(&dir).expect("open the index");
        Corpus {
            _tmp: tmp,
            dir,
            input,
            engine,
        }
    }

    fn search(&self, request: &SearchRequest) -> SearchResponse {
        self.engine
            .search(request)
            .unwrap_or_else(|e| panic!("search {:?} failed: {e}", request.query))
    }

    /// Every hit of `query`, best first.
    fn hits(&self, query: &str) -> Vec<Hit> {
        self.search(&SearchRequest {
            limit: 100,
            ..SearchRequest::new(query)
        })
        .hits
    }

    /// The ids of every hit of `query`, best first.
    fn ids(&self, query: &str) -> Vec<String> {
        self.hits(query).into_iter().map(|h| h.id).collect()
    }

    /// The hit with `id` among the hits of `query`.
    fn hit(&self, query: &str, id: &str) -> Hit {
        self.hits(query)
            .into_iter()
            .find(|h| h.id == id)
            .unwrap_or_else(|| panic!("{query:?} does not find {id}"))
    }
}

/// A small index of `articles` with the default dictionary.
fn corpus(articles: &[Value]) -> Corpus {
    Corpus::build(articles, None)
}

/// The words of jieba's main segmentation of `text` (no sub-words), folded.
fn main_words(analyzer: &ChineseAnalyzer, text: &str) -> Vec<String> {
    analyzer
        .analyze(text)
        .into_iter()
        .filter(|p| p.main)
        .map(|p| p.text)
        .collect()
}

/// Every token of `text`, sub-words too, folded.
fn all_words(analyzer: &ChineseAnalyzer, text: &str) -> Vec<String> {
    analyzer.analyze(text).into_iter().map(|p| p.text).collect()
}

fn ids_of(response: &SearchResponse) -> Vec<&str> {
    response.hits.iter().map(|h| h.id.as_str()).collect()
}

// ---------------------------------------------------------------- 1. traditional ↔ simplified

/// The same story, once in traditional and once in simplified characters, and an article
/// with neither word. The simplified copy is a day newer.
fn scripts() -> Corpus {
    corpus(&[
        article(
            "t-trad",
            "2024-01-10",
            "臺灣經濟成長率上修",
            "主計總處公布，臺灣今年經濟成長率預測上修至3.1%，半導體出口持續回溫。",
        ),
        article(
            "t-simp",
            "2024-01-11",
            "台湾经济增长率上调",
            "主计总处公布，台湾今年经济增长率预测上调至3.1%，半导体出口持续回暖。",
        ),
        article(
            "t-other",
            "2024-01-12",
            "上海消费市场持续回暖",
            "节日期间上海商圈客流增长，消费市场持续回暖。",
        ),
    ])
}

#[test]
fn a_traditional_query_finds_simplified_articles_and_the_reverse() {
    let c = scripts();
    for query in [
        "臺灣",
        "台湾",
        "經濟",
        "经济",
        "臺灣經濟",
        "台湾经济",
        "\"臺灣經濟\"",
        "\"台湾经济\"",
    ] {
        assert_eq!(c.ids(query), ["t-simp", "t-trad"], "{query:?}");
    }
    assert_eq!(c.ids("半導體 回暖"), ["t-simp"], "回暖 is only in the simplified copy");
    assert_eq!(c.ids("半导体 回溫"), ["t-trad"], "回溫 is only in the traditional copy");
    assert_eq!(c.ids("臺灣 -台湾"), Vec::<String>::new(), "an exclusion is folded too");
}

#[test]
fn marks_are_the_characters_each_article_wrote() {
    let c = scripts();
    let trad = c.hit("台湾", "t-trad");
    assert_eq!(trad.title_parts.marks(), ["臺灣"]);
    assert_eq!(trad.title_html, "<mark>臺灣</mark>經濟成長率上修");
    assert_eq!(
        trad.snippet_parts.render("[", "]"),
        "主計總處公布，[臺灣]今年經濟成長率預測上修至3.1%，半導體出口持續回溫。"
    );
    let simp = c.hit("臺灣", "t-simp");
    assert_eq!(simp.title_parts.marks(), ["台湾"]);
    assert_eq!(simp.snippet_parts.marks(), ["台湾"]);
    let economy = c.hit("经济", "t-trad");
    assert_eq!(economy.title_parts.marks(), ["經濟"]);
    assert_eq!(economy.snippet_parts.marks(), ["經濟"]);
    let phrase = c.hit("\"臺灣經濟\"", "t-simp");
    assert_eq!(phrase.title_html, "<mark>台湾经济</mark>增长率上调");
    let phrase = c.hit("\"台湾经济\"", "t-trad");
    assert_eq!(phrase.title_html, "<mark>臺灣經濟</mark>成長率上修");
}

// ---------------------------------------------------------------- 2. user dictionary

const USER_DICT: &str = "星衍智算 100 nz\n宏瑞通 50 nz\n";

/// Articles with two names jieba does not know; in the second, 宏瑞通 is followed by 信,
/// which the default dictionary joins to 通 (通信).
fn dict_articles() -> Vec<Value> {
    vec![
        article(
            "d-launch",
            "2024-05-01",
            "星衍智算发布推理芯片",
            "星衍智算今天发布新一代推理芯片，宏瑞通成为首批客户。",
        ),
        article(
            "d-client",
            "2024-05-02",
            "供应链企业获评诚信单位",
            "评审组认为，客户宏瑞通信守承诺，按期付款。",
        ),
    ]
}

fn write_dict(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("user_dict.txt");
    std::fs::write(&path, text).expect("write the dictionary");
    path
}

#[test]
fn a_user_dictionary_word_is_one_token_and_is_saved_with_the_index() {
    let dict_dir = tempfile::tempdir().expect("temporary directory");
    let dict = write_dict(dict_dir.path(), USER_DICT);
    let c = Corpus::build(&dict_articles(), Some(dict.clone()));

    let sentence = "星衍智算发布宏瑞通订单";
    assert_eq!(
        main_words(&ChineseAnalyzer::default(), sentence),
        ["星", "衍", "智", "算", "发布", "宏", "瑞", "通", "订单"],
        "without the dictionary the names are single characters"
    );
    assert_eq!(
        main_words(c.engine.analyzer(), sentence),
        ["星衍智算", "发布", "宏瑞通", "订单"]
    );
    assert_eq!(
        main_words(c.engine.analyzer(), "客户宏瑞通信守承诺"),
        ["客户", "宏瑞通", "信守", "承诺"]
    );
    assert_eq!(c.ids("星衍智算"), ["d-launch"]);
    assert_eq!(c.ids("宏瑞通"), ["d-client", "d-launch"]);
    assert_eq!(c.hit("宏瑞通", "d-client").snippet_parts.marks(), ["宏瑞通"]);

    // The dictionary is copied into the index: the original can go away.
    std::fs::remove_file(&dict).expect("remove the original dictionary");
    drop(c.engine);
    let reopened = Engine::open(&c.dir).expect("reopen the index");
    assert_eq!(
        main_words(reopened.analyzer(), sentence),
        ["星衍智算", "发布", "宏瑞通", "订单"],
        "the reopened index segments with the saved dictionary"
    );
    assert_eq!(
        main_words(reopened.analyzer(), "客户宏瑞通信守承诺"),
        ["客户", "宏瑞通", "信守", "承诺"]
    );
    let open = c.dir.open().expect("open the index directory");
    assert!(open.manifest.user_dict, "the manifest records the dictionary");
    assert_eq!(
        main_words(&open.analyzer, sentence),
        ["星衍智算", "发布", "宏瑞通", "订单"]
    );
    let ids: Vec<String> = reopened
        .search(&SearchRequest::new("宏瑞通"))
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(ids, ["d-client", "d-launch"]);
    assert_eq!(
        std::fs::read_to_string(open.generation.join("user_dict.txt")).expect("the saved dictionary"),
        USER_DICT
    );
}

#[test]
fn dictionary_words_are_folded_like_the_text() {
    let dict_dir = tempfile::tempdir().expect("temporary directory");
    let dict = write_dict(dict_dir.path(), "鈺晟電子 10 nz\nXG芯片 10 nz\n");
    let analyzer = store::load_analyzer(Some(&dict)).expect("a valid dictionary");
    for text in ["钰晟电子出货", "鈺晟電子出貨"] {
        assert_eq!(main_words(&analyzer, text), ["钰晟电子", "出货"], "{text:?}");
        assert_eq!(
            main_words(&ChineseAnalyzer::default(), text),
            ["钰", "晟", "电子", "出货"]
        );
    }
    for text in ["XG芯片量产", "xg芯片量产", "ＸＧ芯片量产"] {
        assert_eq!(main_words(&analyzer, text), ["xg芯片", "量产"], "{text:?}");
    }
}

#[test]
fn an_index_without_a_dictionary_says_so_in_its_manifest() {
    let c = corpus(&dict_articles());
    assert!(!c.dir.open().expect("open").manifest.user_dict);
    assert_eq!(
        main_words(c.engine.analyzer(), "星衍智算发布"),
        ["星", "衍", "智", "算", "发布"]
    );
}

#[test]
fn an_incremental_job_with_a_dictionary_is_refused_and_the_index_is_kept() {
    let dict_dir = tempfile::tempdir().expect("temporary directory");
    let dict = write_dict(dict_dir.path(), USER_DICT);
    let c = Corpus::build(&dict_articles(), Some(dict.clone()));
    let again = indexer::run(
        &c.dir,
        std::slice::from_ref(&c.input),
        &options(false, Some(dict.clone())),
        &Silent,
    );
    match again {
        Err(IndexError::Refused(message)) => assert_eq!(
            message,
            "a user dictionary changes how every article is segmented: pass --rebuild with --dict"
        ),
        other => panic!("expected IndexError::Refused, got {other:?}"),
    }
    // Nor may an incremental job drop the dictionary silently: without --dict it keeps it.
    let plain = indexer::run(&c.dir, std::slice::from_ref(&c.input), &options(false, None), &Silent)
        .expect("an incremental job without --dict");
    assert_eq!(plain.unchanged, 2);
    let reopened = Engine::open(&c.dir).expect("reopen");
    assert_eq!(main_words(reopened.analyzer(), "星衍智算"), ["星衍智算"]);
    assert!(c.dir.open().expect("open").manifest.user_dict);
}

#[test]
fn a_rebuild_keeps_the_dictionary_until_it_is_dropped() {
    let dict_dir = tempfile::tempdir().expect("temporary directory");
    let dict = write_dict(dict_dir.path(), USER_DICT);
    let c = Corpus::build(&dict_articles(), Some(dict.clone()));
    std::fs::remove_file(&dict).expect("remove the original dictionary");
    let input = std::slice::from_ref(&c.input);

    // A nightly full rebuild that does not mention the dictionary keeps it.
    let kept = indexer::run(&c.dir, input, &options(true, None), &Silent).expect("rebuild");
    assert_eq!((kept.rebuilt, kept.new), (true, 2));
    let open = c.dir.open().expect("open");
    assert!(open.manifest.user_dict);
    assert_eq!(main_words(&open.analyzer, "星衍智算发布"), ["星衍智算", "发布"]);
    assert_eq!(
        std::fs::read_to_string(open.generation.join("user_dict.txt")).expect("the kept dictionary"),
        USER_DICT
    );
    drop(open);

    // Dropping it is a change of segmentation too: refused without a rebuild.
    let drop_options = |rebuild| IndexOptions {
        drop_user_dict: true,
        ..options(rebuild, None)
    };
    match indexer::run(&c.dir, input, &drop_options(false), &Silent) {
        Err(IndexError::Refused(message)) => assert_eq!(
            message,
            "dropping the user dictionary changes how every article is segmented: pass --rebuild with --no-dict"
        ),
        other => panic!("expected IndexError::Refused, got {other:?}"),
    }
    assert!(c.dir.open().expect("open").manifest.user_dict);

    indexer::run(&c.dir, input, &drop_options(true), &Silent).expect("rebuild without the dictionary");
    let open = c.dir.open().expect("open");
    assert!(!open.manifest.user_dict);
    assert_eq!(
        main_words(&open.analyzer, "星衍智算发布"),
        ["星", "衍", "智", "算", "发布"]
    );
    assert!(!open.generation.join("user_dict.txt").exists());
}

#[test]
fn a_malformed_dictionary_line_is_an_error_with_its_line_number() {
    let dict_dir = tempfile::tempdir().expect("temporary directory");
    // Line 4: a comment and a blank line count as lines.
    let bad = write_dict(dict_dir.path(), "# 公司名\n星衍智算 100 nz\n\n词 notanumber\n");
    match store::load_analyzer(Some(&bad)) {
        Err(IndexError::Dictionary { path, reason }) => {
            assert_eq!(path, bad);
            assert_eq!(reason, "line 4: frequency \"notanumber\" is not a number");
        }
        Err(other) => panic!("expected IndexError::Dictionary, got {other}"),
        Ok(_) => panic!("a malformed dictionary is accepted"),
    }

    // A rebuild with it fails with the same error and leaves the live index as it was.
    let c = corpus(&dict_articles());
    let rebuilt = indexer::run(
        &c.dir,
        std::slice::from_ref(&c.input),
        &options(true, Some(bad.clone())),
        &Silent,
    );
    let Err(e) = rebuilt else {
        panic!("a rebuild with a malformed dictionary succeeds")
    };
    assert!(matches!(e, IndexError::Dictionary { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "invalid user dictionary {}: line 4: frequency \"notanumber\" is not a number",
            bad.display()
        )
    );
    let reopened = Engine::open(&c.dir).expect("the live index still opens");
    assert_eq!(reopened.num_docs(), 2);
    assert!(!c.dir.open().expect("open").manifest.user_dict);
}

fn xinwen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("XINWEN_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run the xinwen binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn the_cli_builds_with_a_dictionary_and_refuses_it_without_rebuild() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let input = write_articles(tmp.path(), &dict_articles());
    let dict = write_dict(tmp.path(), USER_DICT);
    let index = tmp.path().join("index");
    let (input, dict, index) = (
        input.to_str().expect("UTF-8 path"),
        dict.to_str().expect("UTF-8 path"),
        index.to_str().expect("UTF-8 path"),
    );

    let built = xinwen(&["index", "--rebuild", "--dict", dict, "--index", index, input]);
    let stdout = text(&built.stdout);
    assert_eq!(built.status.code(), Some(0), "{stdout}{}", text(&built.stderr));
    assert!(
        stdout.starts_with("read 2 · indexed 2 (new 2, updated 0) · unchanged 0 · deleted 0 · rejected 0\n"),
        "{stdout}"
    );
    let engine = Engine::open(&IndexDir::new(index)).expect("open the CLI's index");
    assert_eq!(
        main_words(engine.analyzer(), "客户宏瑞通信守承诺"),
        ["客户", "宏瑞通", "信守", "承诺"]
    );

    let found = xinwen(&["search", "--index", index, "--json", "宏瑞通"]);
    assert_eq!(found.status.code(), Some(0), "{}", text(&found.stderr));
    let json: Value = serde_json::from_slice(&found.stdout).expect("JSON output");
    let ids: Vec<&str> = json["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["d-client", "d-launch"]);
    assert_eq!(
        json["hits"][0]["snippet_html"],
        "评审组认为，客户<mark>宏瑞通</mark>信守承诺，按期付款。"
    );

    let refused = xinwen(&["index", "--dict", dict, "--index", index, input]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(text(&refused.stdout), "");
    assert_eq!(
        text(&refused.stderr),
        "xinwen: a user dictionary changes how every article is segmented: pass --rebuild with --dict\n"
    );
}

#[test]
fn an_unknown_name_is_found_where_jieba_joins_its_last_character_to_the_next() {
    let c = corpus(&dict_articles());
    assert_eq!(
        main_words(c.engine.analyzer(), "客户宏瑞通信守承诺"),
        ["客户", "宏", "瑞", "通信", "守", "承诺"]
    );
    // The article with the name written whole ranks first.
    assert_eq!(c.ids("宏瑞通"), ["d-launch", "d-client"]);
}

// ---------------------------------------------------------------- 3. mixed tokens

/// One article per kind of mixed token, and near misses: a date (3月5日), an older model
/// with a day of the month (iPhone 14 … 15日), A轮 (not A股), an English sentence with
/// `said` and `maintain` (no AI). Later ids are newer.
fn mixed() -> Corpus {
    corpus(&[
        article(
            "m-maotai",
            "2024-02-01",
            "白酒股早盘走强",
            "贵州茅台（600519）早盘上涨，成交额放大。",
        ),
        article(
            "m-tencent",
            "2024-02-02",
            "港股科技股回暖",
            "腾讯控股（00700.HK）午后走强，恒生科技指数收涨。",
        ),
        article(
            "m-rate",
            "2024-02-03",
            "存款利率下调",
            "部分银行三年期存款利率下调至3.5%，五年期维持不变。",
        ),
        article("m-date", "2024-02-04", "展会定档", "展会将于3月5日开幕，为期三天。"),
        article("m-5g", "2024-02-05", "山区基站开通", "偏远山区新开通5G基站两百座。"),
        article(
            "m-iphone-spaced",
            "2024-02-06",
            "新机开售",
            "iPhone 15首销当日门店排起长队。",
        ),
        article(
            "m-iphone-joined",
            "2024-02-07",
            "手机降价",
            "电商平台iPhone15降价五百元。",
        ),
        article(
            "m-iphone-14",
            "2024-02-08",
            "旧款清仓",
            "iPhone 14清仓促销将持续到15日。",
        ),
        article(
            "m-gdp",
            "2024-02-09",
            "统计公报发布",
            "全年GDP增长5.2%，消费贡献率提升。",
        ),
        article("m-ai-chip", "2024-02-10", "芯片出货", "国产AI芯片出货量同比翻番。"),
        article("m-ashare", "2024-02-11", "市场收评", "A股三大指数集体收涨。"),
        article("m-round", "2024-02-12", "初创公司融资", "一家初创公司完成A轮融资。"),
        article(
            "m-english",
            "2024-02-13",
            "外电摘要",
            "The minister said the plan will maintain growth.",
        ),
    ])
}

#[test]
fn stock_codes_find_their_article_whole_or_by_part() {
    let c = mixed();
    assert_eq!(c.ids("600519"), ["m-maotai"]);
    assert_eq!(c.ids("00700.HK"), ["m-tencent"]);
    assert_eq!(c.ids("00700.hk"), ["m-tencent"]);
    assert_eq!(c.ids("00700"), ["m-tencent"]);
    // A reader typing the market suffix alone means Hong Kong listings.
    assert_eq!(c.ids("HK"), ["m-tencent"]);
    assert_eq!(c.ids("hk"), ["m-tencent"]);
    assert_eq!(c.ids("700"), Vec::<String>::new(), "a code is not found by its tail");
    assert_eq!(c.hit("00700.HK", "m-tencent").snippet_parts.marks(), ["00700.HK"]);
    assert_eq!(c.hit("00700", "m-tencent").snippet_parts.marks(), ["00700"]);
    assert_eq!(c.hit("600519", "m-maotai").snippet_parts.marks(), ["600519"]);
}

#[test]
fn latin_words_are_case_insensitive_and_whole() {
    let c = mixed();
    assert_eq!(c.ids("5G"), ["m-5g"]);
    assert_eq!(c.ids("5g"), ["m-5g"]);
    assert_eq!(c.ids("ｇｄｐ"), ["m-gdp"]);
    assert_eq!(c.ids("gdp"), ["m-gdp"]);
    assert_eq!(c.ids("AI"), ["m-ai-chip"]);
    assert_eq!(c.ids("ai"), ["m-ai-chip"], "not inside said or maintain");
    assert_eq!(c.ids("said"), ["m-english"], "the English article is searchable");
    assert_eq!(c.ids("a股"), ["m-ashare"], "not A轮");
    assert_eq!(c.ids("A股"), ["m-ashare"]);
    assert_eq!(c.ids("Ａ股"), ["m-ashare"], "full-width letters fold");
    assert_eq!(c.ids("ai芯片"), ["m-ai-chip"]);
    assert_eq!(c.hit("ai芯片", "m-ai-chip").snippet_parts.marks(), ["AI芯片"]);
    assert_eq!(c.hit("5G基站", "m-5g").snippet_parts.marks(), ["5G基站"]);
    assert_eq!(c.hit("ai", "m-ai-chip").snippet_parts.marks(), ["AI"]);
    assert_eq!(c.hit("a股", "m-ashare").snippet_parts.marks(), ["A股"]);
    assert_eq!(c.hit("5g", "m-5g").snippet_parts.marks(), ["5G"]);
}

#[test]
fn a_model_name_is_found_with_or_without_the_space() {
    let c = mixed();
    // Equal matches list newer first: iPhone15 (02-07) before iPhone 15 (02-06).
    assert_eq!(c.ids("iphone15"), ["m-iphone-joined", "m-iphone-spaced"]);
    assert_eq!(c.ids("\"iPhone 15\""), ["m-iphone-joined", "m-iphone-spaced"]);
    assert_eq!(c.ids("\"iphone15\""), ["m-iphone-joined", "m-iphone-spaced"]);
    assert_eq!(c.ids("iPhone"), ["m-iphone-14", "m-iphone-joined", "m-iphone-spaced"]);
    let mut both = c.ids("iPhone 15");
    both.sort();
    assert_eq!(both, ["m-iphone-14", "m-iphone-joined", "m-iphone-spaced"]);
}

#[test]
fn a_model_name_typed_with_a_space_ranks_the_model_above_a_date() {
    let c = mixed();
    let found = c.ids("iPhone 15");
    assert_eq!(found.len(), 3, "{found:?}");
    let mut first_two = found[..2].to_vec();
    first_two.sort();
    assert_eq!(first_two, ["m-iphone-joined", "m-iphone-spaced"], "{found:?}");
    assert_eq!(found[2], "m-iphone-14");
}

#[test]
fn a_model_name_is_highlighted_however_it_is_spaced() {
    let c = mixed();
    assert_eq!(
        c.hit("iPhone 15", "m-iphone-joined").snippet_parts.render("[", "]"),
        "电商平台[iPhone15]降价五百元。"
    );
    assert_eq!(
        c.hit("iphone15", "m-iphone-spaced").snippet_parts.render("[", "]"),
        "[iPhone 15]首销当日门店排起长队。"
    );
}

#[test]
fn a_decimal_does_not_match_a_date() {
    let c = mixed();
    assert_eq!(c.ids("3.5%"), ["m-rate"]);
    assert_eq!(c.ids("3.5"), ["m-rate"]);
    assert_eq!(c.hit("3.5%", "m-rate").snippet_parts.marks(), ["3.5%"]);
    assert_eq!(c.hit("3.5", "m-rate").snippet_parts.marks(), ["3.5"]);
}

#[test]
fn a_decimal_finds_the_article_that_writes_it() {
    let c = mixed();
    let found = c.ids("3.5%");
    assert!(found.contains(&"m-rate".to_string()), "{found:?}");
    assert_eq!(
        c.hit("3.5%", "m-rate").snippet_parts.render("[", "]"),
        "部分银行三年期存款利率下调至[3.5%]，五年期维持不变。"
    );
    assert_eq!(c.ids("5.2%"), ["m-gdp"]);
}

// ---------------------------------------------------------------- 4. words inside longer words

#[test]
fn a_word_inside_a_longer_word_ranks_above_its_characters_across_two_words() {
    let c = corpus(&[
        article(
            "w-meituan",
            "2024-03-01",
            "外卖平台招募骑手",
            "美团网站点本周招募新骑手。",
        ),
        article("w-oumei", "2024-03-02", "海外团队来访", "一支欧美团队来访交流。"),
        article("w-sf", "2024-03-03", "快递进村", "顺丰速运在山区开通新网点。"),
        article("w-harvest", "2024-03-04", "秋收在即", "今年风调雨顺丰收在望。"),
    ]);
    // 欧美团队 and 风调雨顺丰收 have the characters, not the word: found (issue 10), below.
    assert_eq!(c.ids("美团"), ["w-meituan", "w-oumei"]);
    assert_eq!(c.ids("顺丰"), ["w-sf", "w-harvest"]);
    assert_eq!(c.hit("美团", "w-meituan").snippet_parts.marks(), ["美团"]);
    assert_eq!(c.hit("顺丰", "w-sf").snippet_parts.marks(), ["顺丰"]);
    // The fixtures: each text has only the longer word.
    assert_eq!(common::ids("美团"), ["takeaway-riders"]);
    assert_eq!(common::ids("顺丰"), ["cold-chain-express"]);
    assert_eq!(common::ids("专项债"), ["special-bond-quota", "county-bond-projects"]);
}

#[test]
fn the_article_with_the_whole_word_ranks_above_the_longer_word() {
    // Same shape, and the article with only 专项债券 is newer: only the word decides.
    let c = corpus(&[
        article(
            "w-whole",
            "2024-03-05",
            "新增专项债额度下达",
            "今年新增专项债额度已下达，重点支持交通项目。",
        ),
        article(
            "w-long",
            "2024-03-06",
            "发行专项债券支持交通",
            "今年发行专项债券已完成，重点支持交通项目。",
        ),
    ]);
    assert_eq!(c.ids("专项债"), ["w-whole", "w-long"]);
    assert_eq!(c.ids("债券"), ["w-long"]);
    assert_eq!(c.hit("专项债", "w-long").title_parts.marks(), ["专项债"]);
}

// ---------------------------------------------------------------- 5. phrases across segmentation

/// 人工智能 whole; 人工智能 cut apart by its context (人工 + 智能水表); 人工 and 智能 near
/// each other; 中国经济; 经济中国 (reverse order). Later ids are newer.
fn phrases() -> Corpus {
    corpus(&[
        article("p-whole", "2024-04-01", "产业政策", "各地加快发展人工智能产业。"),
        article(
            "p-split",
            "2024-04-02",
            "小区改造",
            "小区换装人工智能水表，读数自动上传。",
        ),
        article("p-near", "2024-04-03", "工厂转型", "人工成本上升，智能制造加快。"),
        article("p-econ", "2024-04-04", "形势分析", "专家认为中国经济稳中向好。"),
        article("p-reverse", "2024-04-05", "论坛闭幕", "论坛发布数字经济中国方案。"),
    ])
}

#[test]
fn a_quoted_word_matches_where_the_context_cut_it_apart_but_not_near_words() {
    let analyzer = ChineseAnalyzer::default();
    let split = "小区换装人工智能水表，读数自动上传。";
    let main = main_words(&analyzer, split);
    assert!(!main.contains(&"人工智能".to_string()), "{main:?}");
    assert_eq!(
        main,
        ["小区", "换装", "人工", "智能水表", "读数", "自动", "上传"],
        "jieba cuts 人工 | 智能水表 here"
    );
    assert!(!all_words(&analyzer, split).contains(&"人工智能".to_string()));
    assert!(main_words(&analyzer, "各地加快发展人工智能产业。").contains(&"人工智能".to_string()));

    let c = phrases();
    assert_eq!(c.ids("\"人工智能\""), ["p-whole", "p-split"], "never p-near");
    assert_eq!(c.ids("“人工智能”"), ["p-whole", "p-split"]);
    assert_eq!(c.ids("人工智能"), ["p-whole", "p-split"]);
    let mut apart = c.ids("人工 智能");
    apart.sort();
    assert_eq!(
        apart,
        ["p-near", "p-split", "p-whole"],
        "unquoted, the words may be apart"
    );
    assert_eq!(
        c.hit("\"人工智能\"", "p-split").snippet_parts.render("[", "]"),
        "小区换装[人工智能]水表，读数自动上传。"
    );
}

#[test]
fn a_quoted_phrase_is_its_words_adjacent_and_in_order() {
    let c = phrases();
    assert_eq!(c.ids("\"中国 经济\""), ["p-econ"]);
    assert_eq!(c.ids("\"中国经济\""), ["p-econ"]);
    assert_eq!(
        c.ids("\"经济 中国\""),
        ["p-reverse"],
        "the reverse order is another phrase"
    );
    assert_eq!(c.hit("\"中国 经济\"", "p-econ").snippet_parts.marks(), ["中国经济"]);
    let mut apart = c.ids("中国 经济");
    apart.sort();
    assert_eq!(apart, ["p-econ", "p-reverse"], "unquoted, any order");
    assert_eq!(
        c.ids("中国经济"),
        ["p-econ", "p-reverse"],
        "typed together, the words in that order rank first"
    );
    assert_eq!(c.ids("\"人工 成本\""), ["p-near"]);
    assert_eq!(c.ids("\"成本 人工\""), Vec::<String>::new());
}

// ---------------------------------------------------------------- 6. relaxed matches and stopwords

/// 珊瑚礁 in one article (the oldest), 红树林 and 湿地 in three; every article has 的, and
/// one has 是 and 什么.
fn ecology() -> Corpus {
    corpus(&[
        article("x-reef", "2024-01-01", "生态观察甲", "南海的珊瑚礁生态持续恢复。"),
        article("x-mangrove-1", "2024-02-01", "生态观察乙", "海湾的红树林湿地迎来候鸟。"),
        article("x-mangrove-2", "2024-03-01", "生态观察丙", "河口的红树林湿地完成修复。"),
        article("x-mangrove-3", "2024-04-01", "生态观察丁", "沿海的红树林湿地扩大保护。"),
        article("x-question", "2024-05-01", "市民来信", "市民问这是什么的标志。"),
    ])
}

#[test]
fn words_never_together_fall_back_to_either_with_the_rarer_word_first() {
    let c = ecology();
    let response = c.search(&SearchRequest::new("珊瑚礁 红树林"));
    assert!(response.relaxed, "no article has both words");
    assert_eq!(response.total, 4);
    assert_eq!(
        ids_of(&response),
        ["x-reef", "x-mangrove-3", "x-mangrove-2", "x-mangrove-1"],
        "珊瑚礁 is in one article, 红树林 in three"
    );
    assert_eq!(response.hits[0].snippet_parts.marks(), ["珊瑚礁"]);
    assert_eq!(response.hits[1].snippet_parts.marks(), ["红树林"]);
}

#[test]
fn words_that_occur_together_are_not_relaxed() {
    let c = ecology();
    let response = c.search(&SearchRequest::new("红树林 湿地"));
    assert!(!response.relaxed);
    assert_eq!(ids_of(&response), ["x-mangrove-3", "x-mangrove-2", "x-mangrove-1"]);
    let response = c.search(&SearchRequest::new("红树林是什么"));
    assert!(!response.relaxed, "question words need not match");
    assert_eq!(ids_of(&response), ["x-mangrove-3", "x-mangrove-2", "x-mangrove-1"]);
}

#[test]
fn stopwords_alone_do_not_make_a_relaxed_match() {
    let c = ecology();
    // 截断 is in no article; 的 is in all of them: only 红树林 may rescue the query.
    let response = c.search(&SearchRequest::new("截断的红树林"));
    assert!(response.relaxed);
    assert_eq!(ids_of(&response), ["x-mangrove-3", "x-mangrove-2", "x-mangrove-1"]);
    // 海藻 is in no article; 是, 什么 and 的 are not enough for x-question.
    for query in ["海藻是什么", "海藻的什么", "什么是海藻"] {
        let response = c.search(&SearchRequest::new(query));
        assert!(!response.relaxed, "{query:?}");
        assert_eq!(ids_of(&response), Vec::<&str>::new(), "{query:?}");
        assert_eq!(response.total, 0);
    }
    // A query of nothing but a question word is still searched for.
    assert_eq!(c.ids("什么"), ["x-question"]);
    // The fixtures: only title-injection has 稿件, none has 截断.
    let fixtures = common::search(&SearchRequest {
        limit: 100,
        ..SearchRequest::new("截断的稿件")
    });
    assert!(fixtures.relaxed);
    assert_eq!(ids_of(&fixtures), ["title-injection"]);
}

// ---------------------------------------------------------------- 7. recency

const NOW: OffsetDateTime = datetime!(2025-01-20 00:00 +08:00);

/// Two identical articles of different dates, and an old article with the word twice
/// against a new one with it once.
fn dated() -> Corpus {
    let same = "沿海城市试点洋流发电项目，首台机组并网。";
    corpus(&[
        article("r-same-older", "2024-06-01", "能源观察", same),
        article("r-same-newer", "2024-12-01", "能源观察", same),
        article(
            "r-old-twice",
            "2024-01-01",
            "海上风电周报",
            "潮汐能电站扩建，潮汐能装机创新高。",
        ),
        article(
            "r-new-once",
            "2025-01-10",
            "海上风电周报",
            "潮汐能电站扩建，装机容量创新高。",
        ),
    ])
}

fn with_recency(query: &str, days: Option<f64>) -> SearchRequest {
    SearchRequest {
        recency_days: days,
        now: Some(NOW),
        ..SearchRequest::new(query)
    }
}

#[test]
fn recency_ranks_the_newer_of_equal_matches_first() {
    let c = dated();
    let response = c.search(&with_recency("洋流发电", Some(30.0)));
    assert_eq!(ids_of(&response), ["r-same-newer", "r-same-older"]);
    assert!(
        response.hits[0].score > response.hits[1].score,
        "recency raised the newer score"
    );
    let off = c.search(&with_recency("洋流发电", None));
    assert_eq!(
        ids_of(&off),
        ["r-same-newer", "r-same-older"],
        "equal scores: newer first"
    );
    assert_eq!(off.hits[0].score, off.hits[1].score);
}

#[test]
fn recency_can_lift_a_fresh_article_above_a_better_old_match() {
    let c = dated();
    assert_eq!(
        ids_of(&c.search(&with_recency("潮汐能", None))),
        ["r-old-twice", "r-new-once"],
        "by score: the word twice beats once"
    );
    assert_eq!(
        ids_of(&c.search(&with_recency("潮汐能", Some(30.0)))),
        ["r-new-once", "r-old-twice"],
        "10 days old against a year old, half-life 30 days"
    );
    assert_eq!(
        ids_of(&c.search(&with_recency("潮汐能", Some(36_500.0)))),
        ["r-old-twice", "r-new-once"],
        "with a century's half-life both are about doubled: the better match stays first"
    );
}

#[test]
fn recency_must_be_a_positive_number_of_days() {
    let c = dated();
    for days in [0.0, -1.0, f64::NAN, f64::INFINITY, 36_501.0] {
        match c.engine.search(&with_recency("潮汐能", Some(days))) {
            Err(xinwen::Error::Query(e @ QueryError::InvalidRecency { .. })) => {
                assert_eq!(e.code(), "invalid_recency");
                assert_eq!(
                    e.to_string(),
                    format!("invalid recency: {days}: give a half-life in days, above 0 and at most 36500")
                );
            }
            other => panic!(
                "recency {days}: expected an invalid recency, got {:?}",
                other.map(|r| r.total)
            ),
        }
    }
}

#[test]
fn without_recency_the_fixture_rankings_are_unchanged() {
    let queries: [(&str, &[&str]); 10] = [
        (
            "人工智能",
            &[
                "ai-model-release",
                "ai-chip-demand",
                "phone-launch",
                "ai-course-schools",
                "long-elderly-care",
            ],
        ),
        (
            "新能源汽车",
            &["ev-price-war", "ev-battery", "ev-purchase-tax", "a-share-rally"],
        ),
        ("上海 股市 -期货", &["sh-close", "a-share-rally"]),
        ("奥运", &["paris-olympics-diving", "winter-olympics-open"]),
        ("专项债", &["special-bond-quota", "county-bond-projects"]),
        ("臺灣", &["trad-taiwan-economy", "taiwan-fruit-fair"]),
        ("台湾", &["trad-taiwan-economy", "taiwan-fruit-fair"]),
        ("gdp", &["fullwidth-abc", "mixed-script"]),
        ("美团", &["takeaway-riders"]),
        ("蓝岸资本", &["sh-close"]),
    ];
    let defaults = SearchRequest::new("");
    assert_eq!(
        (defaults.recency_days, defaults.now, defaults.collapse),
        (None, None, xinwen::search::Collapse::None)
    );
    for (query, expected) in queries {
        let plain = common::ids_with(&SearchRequest {
            limit: 100,
            ..SearchRequest::new(query)
        });
        assert_eq!(plain, expected, "{query:?}");
        let off = common::ids_with(&SearchRequest {
            limit: 100,
            ..with_recency(query, None)
        });
        assert_eq!(off, expected, "{query:?} with a clock but no recency");
        let by_date = common::ids_with(&SearchRequest {
            limit: 100,
            sort: Sort::Date,
            ..with_recency(query, Some(1.0))
        });
        let plain_by_date = common::ids_with(&SearchRequest {
            limit: 100,
            sort: Sort::Date,
            ..SearchRequest::new(query)
        });
        assert_eq!(by_date, plain_by_date, "{query:?}: recency does not touch date order");
    }
}

// ---------------------------------------------------------------- 8. collapse

const DUPS: [&str; 3] = ["dup-trade-caijing", "dup-trade-shehui", "dup-trade-zhengce"];

#[test]
fn syndicated_copies_collapse_to_one_hit_with_their_count() {
    let phrase = "\"国务院常务会议部署稳外贸稳外资举措\"";
    let apart = common::search(&SearchRequest::new(phrase));
    assert_eq!(apart.total, 3);
    let mut ids = ids_of(&apart);
    ids.sort();
    assert_eq!(ids, DUPS);
    assert!(apart.hits.iter().all(|h| h.copies.is_none()));

    let collapsed = common::search(&SearchRequest {
        collapse: xinwen::search::Collapse::Title,
        ..SearchRequest::new("稳外贸")
    });
    assert_eq!(collapsed.total, 1, "one group");
    assert_eq!(
        ids_of(&collapsed),
        ["dup-trade-caijing"],
        "the best-scoring copy stands"
    );
    assert_eq!(collapsed.hits[0].copies, Some(3));
    assert_eq!(
        common::ids_with(&SearchRequest::new("稳外贸")),
        ["dup-trade-caijing", "dup-trade-shehui", "dup-trade-zhengce"]
    );
}

#[test]
fn collapsed_totals_and_pages_count_groups() {
    let request = |limit: usize, offset: usize, sort: Sort| SearchRequest {
        collapse: xinwen::search::Collapse::Title,
        limit,
        offset,
        sort,
        ..SearchRequest::new("国务院")
    };
    let all = common::search(&request(10, 0, Sort::Relevance));
    assert_eq!(all.total, 2, "the three copies and xwlb-style");
    assert_eq!(all.hits.len(), 2);
    assert!(DUPS.contains(&all.hits[0].id.as_str()), "{}", all.hits[0].id);
    assert_eq!(all.hits[0].copies, Some(3));
    assert_eq!(all.hits[1].id, "xwlb-style");
    assert_eq!(all.hits[1].copies, Some(1));

    let first = common::search(&request(1, 0, Sort::Relevance));
    assert_eq!(first.total, 2);
    assert_eq!(ids_of(&first), [all.hits[0].id.as_str()]);
    let second = common::search(&request(1, 1, Sort::Relevance));
    assert_eq!(second.total, 2);
    assert_eq!(ids_of(&second), ["xwlb-style"]);
    assert_eq!(second.hits[0].copies, Some(1));
    let beyond = common::search(&request(1, 2, Sort::Relevance));
    assert_eq!((beyond.total, beyond.hits.len()), (2, 0));

    let by_date = common::search(&request(10, 0, Sort::Date));
    assert_eq!(by_date.total, 2);
    assert_eq!(
        ids_of(&by_date),
        ["xwlb-style", "dup-trade-shehui"],
        "newest first; the newest copy (04-16) stands for the group"
    );
    assert_eq!(by_date.hits[1].copies, Some(3));
    let second_by_date = common::search(&request(1, 1, Sort::Date));
    assert_eq!(ids_of(&second_by_date), ["dup-trade-shehui"]);

    let plain = common::search(&SearchRequest::new("国务院"));
    assert_eq!(plain.total, 4);
    assert!(plain.hits.iter().all(|h| h.copies.is_none()));
}

#[test]
fn equally_scored_copies_collapse_to_the_newest() {
    let body = "海关总署发布数据显示外贸保持稳定增长。";
    let c = corpus(&[
        article("c-old", "2024-01-01", "外贸数据发布", body),
        article("c-mid", "2024-01-02", "外贸数据发布", body),
        article("c-new", "2024-01-03", "外贸数据发布", body),
    ]);
    assert_eq!(c.ids("外贸"), ["c-new", "c-mid", "c-old"]);
    let collapsed = c.search(&SearchRequest {
        collapse: xinwen::search::Collapse::Title,
        ..SearchRequest::new("外贸")
    });
    assert_eq!(ids_of(&collapsed), ["c-new"]);
    assert_eq!(collapsed.hits[0].copies, Some(3));
}

// ---------------------------------------------------------------- 9. snippets

/// The snippet of `id` for `query`, marks in brackets.
fn snippet(query: &str, id: &str) -> String {
    let hit = common::search(&SearchRequest {
        limit: 100,
        ..SearchRequest::new(query)
    })
    .hits
    .into_iter()
    .find(|h| h.id == id)
    .unwrap_or_else(|| panic!("{query:?} does not find {id}"));
    hit.snippet_parts.render("[", "]")
}

/// Each fragment of a snippet is verbatim text of the body (paragraph breaks removed), is
/// at most 130 characters in all, and starts and ends at a clause boundary unless it is
/// marked as cut with `…`.
fn assert_reads_well(query: &str, id: &str, rendered: &str) {
    let body = common::engine().get(id).expect("stored").body;
    let flat: String = body.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let plain = rendered.replace(['[', ']'], "");
    let len = plain.chars().count();
    assert!(len <= 130, "{query:?} {id}: {len} characters: {rendered}");
    let boundary = |c: char| "。！？；，、：”".contains(c);
    for fragment in plain.split('…').filter(|f| !f.is_empty()) {
        let at = flat
            .find(fragment)
            .unwrap_or_else(|| panic!("{query:?} {id}: {fragment:?} is not in the body"));
        let before = flat[..at].chars().last();
        let after = flat[at + fragment.len()..].chars().next();
        let cut_before = plain.contains(&format!("…{fragment}"));
        let cut_after = plain.contains(&format!("{fragment}…"));
        assert!(
            before.is_none_or(boundary) || cut_before,
            "{query:?} {id}: {fragment:?} starts mid-clause"
        );
        assert!(
            after.is_none() || fragment.chars().last().is_some_and(boundary) || cut_after,
            "{query:?} {id}: {fragment:?} ends mid-clause"
        );
    }
}

#[test]
fn snippets_are_whole_clauses_around_the_densest_words() {
    // 覃映秋 occurs once in each of three early paragraphs and twice near the end: the
    // snippet is the end. 鹿鸣湖 and 康颐宝 occur once where they are shown.
    let cases = [
        (
            "康颐宝",
            "long-elderly-care",
            "记者离开时注意到，中心的康复训练室里刚刚添置了几台名为“[康颐宝]”的陪护设备。俞春和介绍，这是社区与一家科技企业合作试点的新产品，借助人工智能技术，设备可以识别老人的跌倒动作并自动报警，还能提醒按时服药、陪老人下棋聊天。",
        ),
        (
            "覃映秋",
            "long-marathon",
            "洛桑曲扎和[覃映秋]分别获得了奖金和由当地非遗传承人手工制作的纪念奖杯。洛桑曲扎说，他会把这座奖杯带回家乡的学校，送给当年带他走上跑步之路的体育老师。[覃映秋]则表示，奖金的一部分将用于资助本地的青少年田径训练营。",
        ),
        (
            "鹿鸣湖",
            "long-marathon",
            "11月24日清晨7时30分，随着发令枪响，2024[鹿鸣湖]国际马拉松在湖东广场鸣枪开跑。来自国内外的三万名跑者沿着环湖大道一路向西，穿过老城区、湿地公园和滨湖新区，在初冬的薄雾中展开角逐。",
        ),
        (
            "人工智能",
            "ai-model-release",
            "钟离越表示，[人工智能]正从“能聊天”走向“能干活”，未来一年公司将与百余家合作伙伴共建行业应用。业内人士认为，大模型竞争的重心正从参数规模转向落地场景，数据质量、算力成本与安全合规将成为决定[人工智能]产业化速度的关键。",
        ),
        (
            "臺灣",
            "taiwan-fruit-fair",
            "7月15日，海峡两岸农产品展销会在厦门开幕，来自[台湾]的凤梨、释迦、芒果等特色水果吸引了大批市民排队选购。参展商吕清泉在大陆经营水果贸易已有十二年。他说，近年来冷链物流越来越完善，新鲜水果从采摘到摆上厦门的货架最快只要两天。",
        ),
    ];
    for (query, id, expected) in cases {
        let rendered = snippet(query, id);
        assert_eq!(rendered, expected, "{query:?} {id}");
        assert_reads_well(query, id, &rendered);
    }
}

#[test]
fn words_far_apart_give_two_fragments_joined_by_an_ellipsis() {
    let cases = [
        (
            "时间银行 康颐宝",
            "long-elderly-care",
            "互助队员的服务时长可以存入“[时间银行]”，将来自己需要帮助时再兑换相应的服务。…记者离开时注意到，中心的康复训练室里刚刚添置了几台名为“[康颐宝]”的陪护设备。",
        ),
        (
            "洛桑曲扎 无人机",
            "long-marathon",
            "[洛桑曲扎]和覃映秋分别获得了奖金和由当地非遗传承人手工制作的纪念奖杯。[洛桑曲扎]说，他会把这座奖杯带回家乡的学校，…电视和网络平台对比赛进行了全程直播，直播画面除了固定机位外，还使用了[无人机]航拍和摩托车跟拍，…",
        ),
        (
            "婚纱 八百万",
            "long-marathon",
            "一对新人穿着[婚纱]和礼服完成了半程马拉松，在终点拱门前接受了大家的祝福；…据统计，当天直播累计观看人次超过[八百万]。",
        ),
    ];
    for (query, id, expected) in cases {
        let rendered = snippet(query, id);
        assert_eq!(rendered, expected, "{query:?} {id}");
        let inner = rendered.trim_start_matches('…').trim_end_matches('…');
        assert!(inner.contains('…'), "two fragments joined by …: {rendered}");
        assert_reads_well(query, id, &rendered);
    }
}

#[test]
fn snippets_of_many_queries_read_well() {
    for query in [
        "人工智能",
        "上海 股市",
        "新能源汽车",
        "臺灣",
        "5g",
        "俞春和",
        "护理员",
        "视障 可降解",
        "周奶奶 小米粥",
        "国务院",
        "专项债",
    ] {
        for hit in common::search(&SearchRequest {
            limit: 100,
            ..SearchRequest::new(query)
        })
        .hits
        {
            let rendered = hit.snippet_parts.render("[", "]");
            assert!(
                !hit.snippet_parts.marks().is_empty(),
                "{query:?} {}: {rendered}",
                hit.id
            );
            assert_reads_well(query, &hit.id, &rendered);
        }
    }
}

#[test]
fn a_clause_longer_than_the_snippet_is_cut_outside_characters_and_marks() {
    // No punctuation at all: the window is cut inside the clause, 40 characters before the
    // first mark; its end (120 characters on) falls inside the second mark, which stays whole.
    let word = "澄湖国际合作示范区";
    let body = format!(
        "{}{word}{}{word}{}",
        "甲".repeat(100),
        "乙".repeat(67),
        "丙".repeat(100)
    );
    let c = corpus(&[article("s-long", "2024-06-01", "长句测试", &body)]);
    let hit = c.hit(word, "s-long");
    assert_eq!(
        hit.snippet_parts.render("[", "]"),
        format!("…{}[{word}]{}[{word}]…", "甲".repeat(40), "乙".repeat(67))
    );
    assert_eq!(hit.snippet_parts.marks(), [word, word]);
}
