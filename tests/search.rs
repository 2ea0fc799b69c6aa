//! What a user sees when searching the fixtures: which articles come back, in which order,
//! how many, and how they are highlighted. Expectations come from `tests/FIXTURES.md`. No
//! test is ignored: an expectation the engine does not meet fails.

mod common;

use common::{engine, id_set, ids, ids_with, request, search, sorted};
use xinwen::QueryError;
use xinwen::error::ErrorCode;
use xinwen::search::{Filters, Hit, SearchRequest, Sort, parse_date_filter};

/// A `from`/`to` pair covering Beijing calendar days `from..=to`.
fn days(from: &str, to: &str) -> Filters {
    Filters {
        from: Some(parse_date_filter("from", from, false).expect("a valid from date")),
        to: Some(parse_date_filter("to", to, true).expect("a valid to date")),
        ..Filters::default()
    }
}

/// Every hit of `query` (up to 100).
fn hits(query: &str) -> Vec<Hit> {
    search(&SearchRequest {
        limit: 100,
        ..request(query)
    })
    .hits
}

/// The hit with `id` among the hits of `query`.
fn hit(query: &str, id: &str) -> Hit {
    hits(query)
        .into_iter()
        .find(|h| h.id == id)
        .unwrap_or_else(|| panic!("{query:?} does not find {id}"))
}

/// Every mark (title and snippet) of every hit of `query` is one of `written`, the ways the
/// articles write the query word, and every hit's snippet has at least one mark.
fn assert_marks_are(query: &str, written: &[&str]) {
    let hits = hits(query);
    assert!(!hits.is_empty(), "{query:?} finds nothing");
    for hit in &hits {
        let snippet = hit.snippet_parts.marks();
        assert!(
            !snippet.is_empty(),
            "{query:?}: the snippet of {} marks nothing: {}",
            hit.id,
            hit.snippet_html
        );
        for mark in hit.title_parts.marks().into_iter().chain(snippet) {
            assert!(
                written.contains(&mark),
                "{query:?}: {} marks {mark:?}, expected one of {written:?}\n  title: {}\n  snippet: {}",
                hit.id,
                hit.title_html,
                hit.snippet_html
            );
        }
    }
}

// ---------------------------------------------------------------- words and ranking

#[test]
fn a_distinctive_word_finds_exactly_its_article() {
    assert_eq!(ids("蓝岸资本"), ["sh-close"]);
    assert_eq!(ids("鹿港湾外贸"), ["dup-trade-caijing"]);
    assert_eq!(ids("陶瑾"), ["dup-trade-shehui"]);
    assert_eq!(ids("星桥量子"), ["extra-keys"]);
    assert_eq!(ids("鹿鸣湖"), ["long-marathon"]);
}

#[test]
fn all_words_must_match_and_the_title_match_ranks_first() {
    let found = ids("上海 股市");
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0], "sh-close");
    assert_eq!(
        id_set("上海 股市"),
        sorted(&["sh-close", "a-share-rally", "futures-night"])
    );
    assert_eq!(ids("上海 股市 期货"), ["futures-night"]);
}

#[test]
fn an_excluded_word_removes_the_articles_that_have_it() {
    assert_eq!(ids("上海 股市 -期货"), ["sh-close", "a-share-rally"]);
    assert_eq!(ids("臺灣 -台湾"), Vec::<String>::new(), "the exclusion is folded too");
}

#[test]
fn a_word_ranks_title_matches_first_then_by_frequency_and_length() {
    let expected = [
        "ai-model-release",
        "ai-chip-demand",
        "phone-launch",
        "ai-course-schools",
        "long-elderly-care",
    ];
    assert_eq!(ids("人工智能"), expected);
    assert_eq!(ids("奥运"), ["paris-olympics-diving", "winter-olympics-open"]);
    assert_eq!(ids("专项债"), ["special-bond-quota", "county-bond-projects"]);
}

#[test]
fn a_compound_word_ranks_by_how_often_the_whole_word_occurs() {
    assert_eq!(
        ids("新能源汽车"),
        ["ev-price-war", "ev-battery", "ev-purchase-tax", "a-share-rally"]
    );
}

#[test]
fn a_compound_word_finds_every_article_that_has_it() {
    assert_eq!(
        id_set("新能源汽车"),
        sorted(&["ev-price-war", "ev-battery", "ev-purchase-tax", "a-share-rally"])
    );
    assert_eq!(ids("新能源汽车")[0], "ev-price-war");
}

#[test]
fn a_quoted_phrase_needs_its_words_adjacent() {
    let five = [
        "ai-model-release",
        "ai-chip-demand",
        "phone-launch",
        "ai-course-schools",
        "long-elderly-care",
    ];
    assert_eq!(ids("\"人工智能\""), five, "rengong-split has 人工 and 智能 apart");
    assert_eq!(ids("“人工智能”"), five, "Chinese curly quotes make a phrase too");
    let mut six = five.to_vec();
    six.push("rengong-split");
    assert_eq!(id_set("人工 智能"), sorted(&six), "unquoted, the words may be apart");
    assert_eq!(ids("\"上海证券报\""), ["em-stock-news"]);
}

#[test]
fn a_phrase_finds_the_three_syndicated_copies_which_are_not_merged() {
    let query = "\"国务院常务会议部署稳外贸稳外资举措\"";
    assert_eq!(
        id_set(query),
        sorted(&["dup-trade-zhengce", "dup-trade-caijing", "dup-trade-shehui"])
    );
    let by_date = SearchRequest {
        sort: Sort::Date,
        ..request(query)
    };
    assert_eq!(
        ids_with(&by_date),
        ["dup-trade-shehui", "dup-trade-caijing", "dup-trade-zhengce"]
    );
}

#[test]
fn title_matches_rank_before_a_body_only_match() {
    let found = ids("国务院");
    assert_eq!(found.len(), 4, "{found:?}");
    assert_eq!(
        sorted(&found[..3].iter().map(String::as_str).collect::<Vec<_>>()),
        sorted(&["dup-trade-zhengce", "dup-trade-caijing", "dup-trade-shehui"])
    );
    assert_eq!(found[3], "xwlb-style");
}

#[test]
fn either_word_matches_with_or() {
    assert_eq!(
        id_set("美团 OR 顺丰"),
        sorted(&["takeaway-riders", "cold-chain-express"])
    );
    assert_eq!(
        id_set("美团 | 顺丰"),
        sorted(&["takeaway-riders", "cold-chain-express"])
    );
    assert_eq!(
        id_set("蓝岸资本 OR 星衍智算"),
        sorted(&["sh-close", "ai-model-release"])
    );
}

#[test]
fn a_word_inside_a_longer_word_is_found() {
    assert_eq!(ids("美团"), ["takeaway-riders"], "the text says 美团网");
    assert_eq!(ids("顺丰"), ["cold-chain-express"], "the text says 顺丰速运");
    assert_eq!(ids("上海证券报"), ["em-stock-news"], "a link sits inside the word");
    assert_eq!(ids("证券报"), ["em-stock-news"]);
}

// ---------------------------------------------------------------- fields and filters

#[test]
fn title_prefix_searches_headlines_only() {
    assert_eq!(
        id_set("title:人工智能"),
        sorted(&["ai-model-release", "ai-chip-demand"])
    );
    assert_eq!(id_set("标题:人工智能"), sorted(&["ai-model-release", "ai-chip-demand"]));
    assert_eq!(ids("title:双减"), ["shuangjian-quotes"]);
    assert_eq!(ids("title：双减"), ["shuangjian-quotes"], "full-width colon");
    assert_eq!(ids("title:蓝岸资本"), Vec::<String>::new(), "only in sh-close's body");
}

#[test]
fn tag_prefix_matches_exact_tags_from_every_list_form() {
    assert_eq!(ids("tag:人工智能"), ["ai-model-release"]);
    assert_eq!(id_set("tag:新能源汽车"), sorted(&["ev-price-war", "ev-battery"]));
    assert_eq!(ids("tag:中超"), ["football-block-tags"], "second item of a block list");
    assert_eq!(ids("tag:白酒"), ["a-share-baijiu"], "second item of a flow list");
    assert_eq!(
        id_set("tag:A股"),
        sorted(&["sh-close", "a-share-rally", "a-share-baijiu"])
    );
    assert_eq!(ids("标签：白酒"), ["a-share-baijiu"]);
    assert_eq!(ids("tag:游泳"), ["jl-swim-youth"], "a JSONL tag given as a string");
    assert_eq!(ids("tag:经济"), ["trad-taiwan-economy"], "the tag is written 經濟");
}

#[test]
fn category_prefix_matches_exact_categories() {
    assert_eq!(ids("category:zuqiu"), ["football-block-tags"]);
    assert_eq!(ids("分类:zuqiu"), ["football-block-tags"]);
    assert_eq!(ids("category:sitenews"), ["site-open"]);
    let football = ids("category:tiyu 足球");
    assert_eq!(football.len(), 3, "{football:?}");
    assert_eq!(football[0], "village-football");
    assert_eq!(
        id_set("category:tiyu 足球"),
        sorted(&["village-football", "football-block-tags", "football-national"])
    );
    assert_eq!(
        id_set("category:KEJI 人工智能"),
        sorted(&["ai-model-release", "ai-chip-demand", "phone-launch"]),
        "categories are case-folded"
    );
}

#[test]
fn tag_and_category_filters_narrow_any_query() {
    let tagged = SearchRequest {
        filters: Filters {
            tags: vec!["足球".into()],
            ..Filters::default()
        },
        sort: Sort::Date,
        ..request("")
    };
    assert_eq!(
        ids_with(&tagged),
        ["football-block-tags", "village-football", "football-national"]
    );
    let any_of_two = SearchRequest {
        filters: Filters {
            tags: vec!["白酒".into(), "中超".into()],
            ..Filters::default()
        },
        ..request("")
    };
    assert_eq!(
        sorted(&ids_with(&any_of_two).iter().map(String::as_str).collect::<Vec<_>>()),
        sorted(&["a-share-baijiu", "football-block-tags"])
    );
    let folded = SearchRequest {
        filters: Filters {
            tags: vec!["a股".into()],
            ..Filters::default()
        },
        ..request("")
    };
    assert_eq!(search(&folded).total, 3, "a股 is the tag A股");
    let in_category = SearchRequest {
        filters: Filters {
            categories: vec!["shehui".into()],
            ..Filters::default()
        },
        ..request("人工智能")
    };
    assert_eq!(ids_with(&in_category), ["ai-course-schools", "long-elderly-care"]);
}

#[test]
fn a_date_range_is_whole_beijing_days() {
    let day = |d: &str| SearchRequest {
        filters: days(d, d),
        ..request("")
    };
    assert_eq!(
        ids_with(&day("2023-07-01")),
        ["village-football"],
        "date-only: Beijing midnight"
    );
    assert_eq!(
        ids_with(&day("2021-12-08")),
        ["old-nav-digest"],
        "no offset: Beijing time"
    );
    assert_eq!(ids_with(&day("2022-02-04")), ["winter-olympics-open"], "RFC 3339");
    assert_eq!(ids_with(&day("2021-12-01")), ["site-open"], "00:00 +0800 is on the 1st");
}

#[test]
fn a_category_and_a_date_range_sorted_by_date_newest_first() {
    let caijing_2022 = SearchRequest {
        filters: Filters {
            categories: vec!["caijing".into()],
            ..days("2022-01-01", "2022-12-31")
        },
        sort: Sort::Date,
        limit: 100,
        ..request("")
    };
    assert_eq!(
        ids_with(&caijing_2022),
        ["bond-yield", "futures-night", "em-stock-news", "dup-trade-caijing"]
    );
    let keji_2024 = SearchRequest {
        filters: days("2024-01-01", "2024-12-31"),
        sort: Sort::Date,
        limit: 100,
        ..request("category:keji")
    };
    assert_eq!(
        ids_with(&keji_2024),
        [
            "jl-satellite-launch",
            "ai-chip-demand",
            "title-injection",
            "ev-price-war",
            "jl-robot-vacuum"
        ]
    );
}

#[test]
fn sort_by_date_lists_newest_first_whatever_the_relevance() {
    let by_date = |q: &str| {
        ids_with(&SearchRequest {
            sort: Sort::Date,
            limit: 100,
            ..request(q)
        })
    };
    assert_eq!(
        by_date("足球"),
        ["football-block-tags", "village-football", "football-national"]
    );
    assert_eq!(
        by_date("人工智能"),
        [
            "long-elderly-care",
            "ai-chip-demand",
            "ai-course-schools",
            "phone-launch",
            "ai-model-release"
        ]
    );
}

#[test]
fn an_undated_article_sorts_last_and_matches_no_date_range() {
    let community = ids_with(&SearchRequest {
        sort: Sort::Date,
        limit: 100,
        ..request("社区")
    });
    assert!(community.len() > 1, "{community:?}");
    assert_eq!(community.last().map(String::as_str), Some("no-date"));
    assert_eq!(ids("柠溪社区"), ["no-date"]);
    let dated = SearchRequest {
        filters: days("2000-01-01", "2099-12-31"),
        limit: 100,
        ..request("")
    };
    let response = search(&dated);
    assert_eq!(response.total, common::GOOD_ARTICLES - 1);
    assert!(!response.hits.iter().any(|h| h.id == "no-date"));
}

// ---------------------------------------------------------------- folding

#[test]
fn full_width_and_half_width_letters_and_digits_are_the_same() {
    assert_eq!(ids("abc123"), ["fullwidth-abc"]);
    assert_eq!(ids("ＡＢＣ１２３"), ["fullwidth-abc"]);
    assert_eq!(ids("ABC123"), ["fullwidth-abc"]);
    assert_eq!(ids("gdp"), ["fullwidth-abc", "mixed-script"]);
    assert_eq!(ids("ＧＤＰ"), ["fullwidth-abc", "mixed-script"]);
}

#[test]
fn traditional_and_simplified_chinese_find_each_other() {
    assert_eq!(ids("臺灣"), ["trad-taiwan-economy", "taiwan-fruit-fair"]);
    assert_eq!(ids("台湾"), ["trad-taiwan-economy", "taiwan-fruit-fair"]);
    assert_eq!(ids("經濟"), ids("经济"));
    assert!(ids("经济").contains(&"trad-taiwan-economy".to_string()));
}

// ---------------------------------------------------------------- mixed tokens

#[test]
fn stock_codes_and_digits_inside_chinese_are_words() {
    assert_eq!(ids("600519"), ["a-share-baijiu"]);
    assert_eq!(ids("00700.HK"), ["hk-tech-stocks"]);
    assert_eq!(ids("00700.hk"), ["hk-tech-stocks"]);
    assert_eq!(ids("00700"), ["hk-tech-stocks"]);
    assert_eq!(ids("1688"), ["mixed-script"]);
}

#[test]
fn latin_words_inside_chinese_are_case_insensitive() {
    assert_eq!(ids("iphone"), ["mixed-script"]);
    assert_eq!(ids("iPhone 15"), ["mixed-script"]);
    assert_eq!(ids("chatgpt"), ["mixed-script"]);
    assert_eq!(ids("NO.1"), ["mixed-script"]);
    assert_eq!(ids("alert"), ["title-injection"]);
}

#[test]
fn five_g_ranks_the_title_match_first() {
    for query in ["5g", "5G", "５Ｇ"] {
        let found = ids(query);
        assert_eq!(found.len(), 3, "{query:?}: {found:?}");
        assert_eq!(found[0], "5g-base-station", "{query:?}");
        assert_eq!(
            id_set(query),
            sorted(&["5g-base-station", "curly-quotes-title", "mixed-script"])
        );
    }
}

#[test]
fn a_share_is_one_word() {
    let found = ids("A股");
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0], "a-share-rally", "A股 in the title");
    assert_eq!(id_set("A股"), sorted(&["sh-close", "a-share-rally", "a-share-baijiu"]));
}

#[test]
fn a_share_typed_in_lower_case_finds_the_same_articles() {
    assert_eq!(ids("a股"), ids("A股"));
}

// ---------------------------------------------------------------- what is and is not text

#[test]
fn script_and_style_content_is_not_searchable() {
    assert_eq!(ids("zzqx"), Vec::<String>::new());
    assert_eq!(ids("样式专用词QQZX"), Vec::<String>::new());
    assert_eq!(ids("qqzx"), Vec::<String>::new());
    // No article has all of 脚本 专用词 zzqx: at most closest matches, never script-style.
    let response = search(&request("脚本专用词ZZQX"));
    assert!(response.hits.is_empty() || response.relaxed, "{:?}", response.hits);
    assert!(!response.hits.iter().any(|h| h.id == "script-style"));
    assert_eq!(ids("樱湖公园"), ["script-style"], "the visible text is indexed");
}

#[test]
fn hidden_paragraphs_trailers_urls_and_unknown_front_matter_are_not_searchable() {
    for query in [
        "隐藏段落词",
        "返回首页",
        "返回",
        "首页",
        "example",
        "getkline",
        "蔺沧舟",
    ] {
        assert_eq!(ids(query), Vec::<String>::new(), "{query:?}");
    }
    let excerpt = search(&request("摘要字段词"));
    assert!(excerpt.hits.is_empty() || excerpt.relaxed, "{:?}", excerpt.hits);
    assert!(!excerpt.hits.iter().any(|h| h.id == "extra-keys"));
}

#[test]
fn entities_are_decoded_before_indexing() {
    assert_eq!(ids("翠屏峡"), ["html-entities"], "written as numeric entities");
    assert_eq!(ids("溪谷文明公约"), ["html-entities"], "written as &lt;…&gt;");
    assert_eq!(ids("制冷剂配额管理办法"), ["em-stock-news"]);
}

#[test]
fn every_post_shape_and_edge_case_is_findable() {
    for (query, id) in [
        ("开站", "site-open"),
        ("康颐宝", "long-elderly-care"),
        ("双减", "shuangjian-quotes"),
        ("槐庄站", "crlf-endings"),
        ("凌霄羽", "bom-start"),
        ("坪溪县", "no-trailer"),
        ("岑岭工业园", "empty-source"),
        ("甬江新材", "old-nav-digest"),
        ("澄湖国际合作示范区", "xwlb-style"),
        ("骁驰汽车", "ev-price-war"),
        ("应舒禾", "asian-games-open"),
        ("杉湖区", "custom-id-001"),
    ] {
        assert_eq!(ids(query), [id], "{query:?}");
    }
    assert!(
        engine().get("explicit-id").is_err(),
        "front matter id wins over the file name"
    );
}

#[test]
fn jsonl_articles_are_found_with_their_ids() {
    for (query, id) in [
        ("曦照光能", "cls-20250613-pv"),
        ("汤沐阳", "jl-swim-youth"),
        ("碧澜矿业", "fl-20240612-001"),
        ("霁川汇市", "fl-20240612-002"),
        ("金穗银行", "fl-20240613-001"),
    ] {
        assert_eq!(ids(query), [id], "{query:?}");
    }
    for query in ["颜书蕾", "泺水市", "鸢尾学堂"] {
        let found = ids(query);
        assert_eq!(found.len(), 1, "{query:?}: {found:?}");
    }
    assert!(ids("颜书蕾")[0].starts_with("u-"), "id derived from the url");
    assert!(ids("鸢尾学堂")[0].starts_with("u-"), "id derived from the url");
    assert!(ids("泺水市")[0].starts_with("t-"), "id from title and date");
}

#[test]
fn the_injection_article_is_found_by_its_words() {
    assert_eq!(ids("注入测试"), ["title-injection"]);
    assert_eq!(ids("onerror"), ["title-injection"]);
    assert_eq!(ids("<script>"), ["title-injection"]);
}

// ---------------------------------------------------------------- highlights and snippets

#[test]
fn marks_are_the_query_word_as_the_article_writes_it() {
    assert_marks_are("臺灣", &["臺灣", "台湾"]);
    assert_marks_are("台湾", &["臺灣", "台湾"]);
    assert_marks_are("abc123", &["ＡＢＣ１２３"]);
    assert_marks_are("gdp", &["ＧＤＰ", "GDP"]);
    assert_marks_are("iphone", &["iPhone"]);
    assert_marks_are("人工智能", &["人工智能"]);
    assert_marks_are("上海证券报", &["上海证券报"]);
    assert_marks_are("康颐宝", &["康颐宝"]);
    assert_marks_are("5g", &["5G"]);
    assert_marks_are("600519", &["600519"]);
}

#[test]
fn marks_land_on_the_articles_own_characters() {
    let trad = hit("台湾", "trad-taiwan-economy");
    assert_eq!(trad.title_parts.marks(), ["臺灣"]);
    assert_eq!(trad.title_html, "<mark>臺灣</mark>半導體出口回溫 經濟成長預測上修");
    let simplified = hit("臺灣", "taiwan-fruit-fair");
    assert_eq!(simplified.snippet_parts.marks(), ["台湾"]);
    let fullwidth = hit("gdp", "fullwidth-abc");
    assert_eq!(
        fullwidth.title_html,
        "临溪市统计公报：全年<mark>ＧＤＰ</mark>增长５．２％"
    );
    assert_eq!(
        fullwidth.title_parts.render("**", "**"),
        "临溪市统计公报：全年**ＧＤＰ**增长５．２％"
    );
}

#[test]
fn a_single_typed_word_is_highlighted_whole_not_by_its_parts() {
    assert_marks_are("专项债", &["专项债"]);
    assert_marks_are("新能源汽车", &["新能源汽车"]);
    assert_marks_are("溪谷文明公约", &["溪谷文明公约"]);
}

#[test]
fn the_snippet_shows_where_the_whole_query_occurs() {
    let h = hit("制冷剂配额管理办法", "em-stock-news");
    assert!(
        h.snippet_parts.marks().contains(&"制冷剂配额管理办法"),
        "{}",
        h.snippet_html
    );
}

#[test]
fn a_long_article_snippet_comes_from_the_paragraph_with_the_word() {
    let h = hit("康颐宝", "long-elderly-care");
    assert_eq!(h.snippet_parts.marks(), ["康颐宝"]);
    assert!(
        h.snippet_parts.render("[", "]").contains("“[康颐宝]”"),
        "{}",
        h.snippet_html
    );
    let ai = hit("人工智能", "long-elderly-care");
    assert!(ai.snippet_parts.render("", "").contains("借助人工智能技术"));
}

#[test]
fn multi_word_marks_are_made_of_the_query_words() {
    for (query, words) in [
        ("上海 股市", &["上海", "股市"][..]),
        ("上海 股市 期货", &["上海", "股市", "期货"][..]),
        ("iPhone 15", &["iphone", "15"][..]),
    ] {
        for hit in hits(query) {
            assert!(!hit.snippet_parts.marks().is_empty(), "{query:?} {}", hit.id);
            for mark in hit.title_parts.marks().into_iter().chain(hit.snippet_parts.marks()) {
                let mut rest = mark.to_lowercase();
                for word in words {
                    rest = rest.replace(word, "");
                }
                assert!(rest.trim().is_empty(), "{query:?}: {} marks {mark:?}", hit.id);
            }
        }
    }
}

#[test]
fn injected_markup_is_escaped_in_titles_and_snippets() {
    for query in ["注入测试", "alert", "onerror", "script", "<script>"] {
        let h = hit(query, "title-injection");
        for html in [&h.title_html, &h.snippet_html] {
            assert!(!html.contains("<script"), "{query:?}: {html}");
            assert!(!html.contains("<img"), "{query:?}: {html}");
            let without_marks = html.replace("<mark>", "").replace("</mark>", "");
            assert!(
                !without_marks.contains('<') && !without_marks.contains('>'),
                "{query:?}: only <mark> may be a tag: {html}"
            );
        }
        let title = h.title_html.replace("<mark>", "").replace("</mark>", "");
        assert!(
            title.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{}",
            h.title_html
        );
        assert_eq!(
            h.title, "测试<script>alert(1)</script>标题注入",
            "the plain title is the text"
        );
    }
    // Two words typed apart are marked wherever each occurs, between escaped markup.
    let h = hit("测试 注入", "title-injection");
    assert_eq!(
        h.title_html,
        "<mark>测试</mark>&lt;script&gt;alert(1)&lt;/script&gt;标题<mark>注入</mark>"
    );
    let body = hit("onerror", "title-injection");
    assert!(
        body.snippet_html
            .contains("&quot;&gt;&lt;img src=x <mark>onerror</mark>=alert(1)&gt;"),
        "{}",
        body.snippet_html
    );
}

#[test]
fn snippets_are_short_verbatim_and_never_cut_a_mark() {
    for query in [
        "人工智能",
        "上海 股市",
        "康颐宝",
        "鹿鸣湖",
        "国务院",
        "臺灣",
        "奥运",
        "足球",
        "社区",
    ] {
        for h in hits(query) {
            let plain = h.snippet_parts.render("", "");
            let len = plain.chars().count();
            assert!(len <= 130, "{query:?} {}: {len} chars: {plain}", h.id);
            assert!(len >= 20, "{query:?} {}: {len} chars: {plain}", h.id);
            let body: String = engine()
                .get(&h.id)
                .expect("a hit is stored")
                .body
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            for fragment in plain.split('…') {
                let fragment: String = fragment.chars().filter(|c| !c.is_whitespace()).collect();
                assert!(
                    body.contains(&fragment),
                    "{query:?} {}: {fragment:?} is not in the body",
                    h.id
                );
            }
        }
    }
    // A cut mark would be a piece of the word: every mark of a one-word query is whole.
    assert_marks_are("鹿鸣湖", &["鹿鸣湖"]);
    assert_marks_are("国务院", &["国务院"]);
}

#[test]
fn a_title_only_query_marks_the_title_and_not_the_body() {
    let h = hit("title:双减", "shuangjian-quotes");
    assert_eq!(h.title_parts.marks(), ["双减"]);
    assert_eq!(h.snippet_parts.marks(), Vec::<&str>::new());
    assert!(!h.snippet_html.is_empty(), "a snippet is still shown");
}

// ---------------------------------------------------------------- totals, paging, facets

#[test]
fn totals_are_exact() {
    assert_eq!(search(&request("人工智能")).total, 5);
    assert_eq!(search(&request("上海 股市")).total, 3);
    assert_eq!(search(&request("zzqx")).total, 0);
    let one_page = SearchRequest {
        limit: 1,
        ..request("人工智能")
    };
    assert_eq!(search(&one_page).total, 5, "the total counts every match, not the page");
    assert_eq!(search(&request("-期货")).total, common::GOOD_ARTICLES - 1);
    assert_eq!(search(&request("-\"人工智能\"")).total, common::GOOD_ARTICLES - 5);
}

#[test]
fn paging_with_offset_returns_the_next_hits() {
    let page = |offset: usize| {
        let response = search(&SearchRequest {
            limit: 2,
            offset,
            ..request("人工智能")
        });
        assert_eq!(response.total, 5, "offset {offset}");
        response.hits.into_iter().map(|h| h.id).collect::<Vec<_>>()
    };
    assert_eq!(page(0), ["ai-model-release", "ai-chip-demand"]);
    assert_eq!(page(2), ["phone-launch", "ai-course-schools"]);
    assert_eq!(page(4), ["long-elderly-care"]);
    assert_eq!(page(6), Vec::<String>::new());
}

#[test]
fn facets_count_tags_and_categories_over_all_matches() {
    let response = search(&SearchRequest {
        facets: true,
        limit: 1,
        ..request("人工智能")
    });
    let facets = response.facets.expect("facets were asked for");
    let pairs = |v: &[(String, u64)]| v.iter().map(|(k, n)| (k.clone(), *n)).collect::<Vec<_>>();
    assert_eq!(
        pairs(&facets.categories),
        [("keji".to_string(), 3), ("shehui".to_string(), 2)]
    );
    let mut tags = pairs(&facets.tags);
    tags.sort();
    assert_eq!(
        tags,
        [
            ("人工智能".to_string(), 1),
            ("养老".to_string(), 1),
            ("手机".to_string(), 1),
            ("教育".to_string(), 1),
            ("芯片".to_string(), 1)
        ]
    );
    let football = search(&SearchRequest {
        facets: true,
        ..request("足球")
    })
    .facets
    .expect("facets were asked for");
    assert_eq!(
        pairs(&football.tags),
        [("足球".to_string(), 3), ("中超".to_string(), 1)]
    );
    assert_eq!(
        pairs(&football.categories),
        [("tiyu".to_string(), 3), ("zuqiu".to_string(), 1)]
    );
    assert!(search(&request("足球")).facets.is_none(), "no facets unless asked");
}

// ---------------------------------------------------------------- relaxed fallback

#[test]
fn words_from_two_articles_fall_back_to_either_with_relaxed_set() {
    let response = search(&request("槐庄站 凌霄羽"));
    assert!(response.relaxed, "no article has both words");
    assert_eq!(response.total, 2);
    let mut found: Vec<&str> = response.hits.iter().map(|h| h.id.as_str()).collect();
    found.sort();
    assert_eq!(found, ["bom-start", "crlf-endings"]);
    let strict = search(&request("上海 股市"));
    assert!(!strict.relaxed, "a query whose words all match is not relaxed");
}

#[test]
fn a_relaxed_query_does_not_match_on_a_single_character_alone() {
    let response = search(&SearchRequest {
        limit: 100,
        ..request("截断的稿件")
    });
    assert!(response.relaxed);
    let found: Vec<&str> = response.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(
        found,
        ["title-injection"],
        "only title-injection has 稿件; none has 截断"
    );
    let bridge = search(&request("芦沟湾大桥"));
    assert!(
        bridge.hits.is_empty(),
        "no article has 芦沟湾 or 大桥: {:?}",
        bridge.hits
    );
}

#[test]
fn a_single_missing_word_is_not_relaxed_into_anything() {
    let response = search(&request("zzqx"));
    assert!(!response.relaxed);
    assert!(response.hits.is_empty());
}

// ---------------------------------------------------------------- hostile input

#[test]
fn hostile_queries_answer_or_fail_with_a_query_error_never_a_panic() {
    let long = "股".repeat(600);
    let many = "词 ".repeat(40);
    let queries = common::HOSTILE_QUERIES
        .iter()
        .copied()
        .chain([long.as_str(), many.as_str()]);
    for query in queries {
        match engine().search(&request(query)) {
            Ok(_) => {}
            Err(xinwen::Error::Query(_)) => {}
            Err(other) => panic!("{query:?}: not a query error: {other}"),
        }
    }
}

#[test]
fn an_empty_query_without_filters_is_an_empty_query_error() {
    for query in ["", "   ", "\u{3000}", "\"\"", "-", "OR", "tag:"] {
        match engine().search(&request(query)) {
            Err(xinwen::Error::Query(QueryError::Empty)) => {}
            other => panic!(
                "{query:?}: expected QueryError::Empty, got {:?}",
                other.map(|r| r.total)
            ),
        }
    }
}

#[test]
fn limits_on_query_length_terms_and_paging_are_query_errors() {
    let too_long = engine().search(&request(&"股".repeat(600)));
    assert!(
        matches!(
            too_long,
            Err(xinwen::Error::Query(QueryError::TooLong { len: 600, max: 500 }))
        ),
        "{:?}",
        too_long.map(|r| r.total)
    );
    let complex = engine().search(&request(&"词 ".repeat(40)));
    assert!(matches!(
        complex,
        Err(xinwen::Error::Query(QueryError::TooComplex { .. }))
    ));
    for limit in [0, 101] {
        let bad = engine().search(&SearchRequest {
            limit,
            ..request("上海")
        });
        let Err(xinwen::Error::Query(e)) = bad else {
            panic!("limit {limit} is accepted")
        };
        assert_eq!(e.to_string(), format!("invalid limit: {limit}: use 1 to 100"));
    }
    let reversed = engine().search(&SearchRequest {
        filters: Filters {
            from: Some(parse_date_filter("from", "2024-01-02", false).expect("a date")),
            to: Some(parse_date_filter("to", "2024-01-01", true).expect("a date")),
            ..Filters::default()
        },
        ..request("上海")
    });
    assert!(matches!(
        reversed,
        Err(xinwen::Error::Query(QueryError::EmptyDateRange { .. }))
    ));
    assert!(matches!(
        parse_date_filter("from", "notadate", false),
        Err(QueryError::InvalidDate { name: "from", .. })
    ));
}

#[test]
fn a_filter_alone_is_a_valid_query() {
    let response = search(&SearchRequest {
        filters: Filters {
            categories: vec!["sitenews".into()],
            ..Filters::default()
        },
        ..request("")
    });
    assert_eq!(response.total, 1);
    assert_eq!(response.hits[0].id, "site-open");
}

// ---------------------------------------------------------------- whole articles

#[test]
fn get_returns_the_whole_stored_article() {
    let article = engine().get("sh-close").expect("sh-close is indexed");
    assert_eq!(article.title, "股市收评：上海科创企业午后发力 两市成交额重回九千亿元");
    assert_eq!(article.tags, ["A股"]);
    assert_eq!(article.categories, ["caijing"]);
    assert_eq!(
        article.url.as_deref(),
        Some("http://news.example.com/2024/0315/sh-close.html")
    );
    assert!(article.body.starts_with("3月14日，A股三大指数早盘窄幅震荡"));
    assert!(article.body.ends_with("市场风险偏好有望进一步修复。"));
    assert_eq!(article.body.lines().count(), 5, "one line a paragraph");
    let unknown = engine().get("no-such-id");
    assert_eq!(
        unknown.err().map(|e| e.to_string()).as_deref(),
        Some("no article with id \"no-such-id\"")
    );
}

#[test]
fn stats_count_every_article_and_the_date_range() {
    let stats = engine().stats().expect("stats");
    assert_eq!(stats.articles, common::GOOD_ARTICLES as u64);
    assert_eq!(stats.oldest.as_deref(), Some("2021-02-26T15:00:00+08:00"));
    assert_eq!(stats.newest.as_deref(), Some("2025-09-15T10:10:00+08:00"));
}

// ---------------------------------------------------------------- terminal safety (issue 14)

/// An index of `article` alone, written through the library (`indexer::Job`).
fn index_of(article: &xinwen::post::Article) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    let dir = tmp.path().join("index");
    let mut job = xinwen::indexer::Job::begin(
        &xinwen::store::IndexDir::new(&dir),
        &xinwen::indexer::IndexOptions::default(),
    )
    .expect("begin a job");
    job.upsert(article).expect("upsert the article");
    job.finish(&xinwen::indexer::Silent).expect("commit");
    (tmp, dir)
}

/// An index of one article whose every text field holds terminal control sequences, written
/// through the library: ingestion strips them now, but older indexes still hold them.
fn index_with_controls() -> (tempfile::TempDir, std::path::PathBuf) {
    index_of(&xinwen::post::Article {
        id: "esc-test".into(),
        url: Some("http://news.example.com/a\x1b]8;;http://evil.example/\x1b\\".into()),
        title: "控制字符标题\x1b]0;pwned\x07".into(),
        body: "控制字符正文\x1b[2J清屏。\n第二段\t制表\r回车\u{9b}2J。".into(),
        date: None,
        tags: vec!["标签\x1b[31m".into()],
        categories: vec!["keji\u{7f}".into()],
        source: Some("来源\x07".into()),
    })
}

/// The real binary's stdout for `args` (run with NO_COLOR), after checking it exits 0.
fn xinwen_stdout(args: &[&str], index: &std::path::Path) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(args)
        .arg("--index")
        .arg(index)
        .env("NO_COLOR", "1")
        .output()
        .expect("run xinwen");
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// No control character but line breaks (and, in a body, tabs) reaches the terminal.
fn assert_no_raw_controls(text: &str, allowed: &[char]) {
    let raw: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && !allowed.contains(c))
        .collect();
    assert!(raw.is_empty(), "raw control characters {raw:?} in {text:?}");
}

#[test]
fn issue_14_search_and_get_show_control_characters_instead_of_printing_them() {
    let (_tmp, index) = index_with_controls();
    // A snippet is one line: the carriage return ends a paragraph there.
    let found = xinwen_stdout(&["search", "控制字符"], &index);
    let found: Vec<&str> = found.lines().map(|l| l.split(" (").next().unwrap_or(l)).collect();
    assert_eq!(
        found,
        [
            " 1. **控制字符**标题\\u{1b}]0;pwned\\u{7}",
            "    tags: 标签\\u{1b}[31m · id: esc-test",
            "    **控制字符**正文\\u{1b}[2J清屏。第二段\\u{9}制表回车\\u{9b}2J。",
            "    http://news.example.com/a\\u{1b}]8;;http://evil.example/\\u{1b}\\",
            "",
            "1–1 of 1 results",
        ]
    );
    assert_eq!(
        xinwen_stdout(&["get", "esc-test"], &index),
        "控制字符标题\\u{1b}]0;pwned\\u{7}\n\
         tags:       标签\\u{1b}[31m\n\
         categories: keji\\u{7f}\n\
         source:     来源\\u{7}\n\
         url:        http://news.example.com/a\\u{1b}]8;;http://evil.example/\\u{1b}\\\n\
         id:         esc-test\n\
         \n\
         控制字符正文\\u{1b}[2J清屏。\n第二段\t制表\\u{d}回车\\u{9b}2J。\n"
    );
    // JSON escapes every control character, and still carries the text as stored.
    let json = xinwen_stdout(&["search", "--json", "控制字符"], &index);
    assert_no_raw_controls(&json, &['\n']);
    let found: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(found["hits"][0]["title"], "控制字符标题\x1b]0;pwned\x07");
    let json = xinwen_stdout(&["get", "--json", "esc-test"], &index);
    assert_no_raw_controls(&json, &['\n']);
    let article: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        article["body"],
        "控制字符正文\x1b[2J清屏。\n第二段\t制表\r回车\u{9b}2J。"
    );
    assert_eq!(article["categories"][0], "keji\u{7f}");
}

// ---------------------------------------------------------------- bounded query work (issue 14)

/// The terms a query makes tantivy look up: every term of the built query (in every field,
/// every alternative) and of the proximity phrases that rerank its best hits. Counted
/// without an index, so no alternative is left out as too costly: an upper bound.
fn query_work(query: &str) -> usize {
    let schema = xinwen::schema::build();
    let fields = xinwen::schema::Fields::resolve(&schema).expect("the xinwen schema");
    let analyzer = engine().analyzer();
    let builder = xinwen::search::build::Builder::new(&fields, analyzer, None);
    let parsed = xinwen::search::parse(query).expect("a query");
    let built = builder.build(&parsed, &Filters::default(), xinwen::search::Mode::AllWords);
    let mut terms = 0;
    built.query_terms(&mut |_, _| terms += 1);
    terms
        + builder
            .proximity_bonus(&parsed)
            .iter()
            .map(|b| b.terms.len())
            .sum::<usize>()
}

/// Thirty-two everyday words: the most the 32-term limit lets through with spaces.
const WORDS_32: &str = "中国 经济 市场 企业 发展 政策 金融 科技 投资 银行 股市 基金 \
    汽车 能源 电力 交通 教育 医疗 住房 消费 出口 进口 工业 农业 \
    旅游 文化 体育 环境 气候 人口 就业 收入";

#[test]
fn issue_14_words_glued_without_spaces_count_against_the_limit() {
    let glued = "中国".repeat(250);
    let refused = engine().search(&request(&glued)).map(|r| r.total);
    assert!(
        matches!(
            &refused,
            Err(xinwen::Error::Query(e)) if e.code() == "query_too_complex"
                && e.to_string() == "query too complex: 250 words once segmented, at most 64"
        ),
        "{refused:?}"
    );
    // So are quoted ones, and excluded ones.
    for query in [format!("\"{glued}\""), format!("上海 -{}", "中国".repeat(64))] {
        let refused = engine().search(&request(&query)).map(|r| r.total);
        assert!(matches!(&refused, Err(xinwen::Error::Query(_))), "{query}: {refused:?}");
    }
    // The most words accepted cost a small multiple of the 32 words the term limit allows.
    let most = "中国".repeat(64);
    assert_eq!(search(&request(&most)).query, most);
    let (worst, words) = (query_work(&most), query_work(WORDS_32));
    // 763 and 283 terms today; 250 glued words (refused) would look up 2995.
    assert!(
        worst <= 4 * words,
        "64 glued words look up {worst} terms, 32 spaced words {words}, 250 glued {}",
        query_work(&glued)
    );
}

#[test]
fn issue_14_the_real_binary_refuses_a_glued_query_with_exit_2() {
    let (_tmp, index) = index_with_controls();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["search", "--index"])
        .arg(&index)
        .arg("中国".repeat(250))
        .output()
        .expect("run xinwen");
    assert_eq!(
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).as_ref(),
            output.stdout.as_slice()
        ),
        (
            Some(2),
            "xinwen: query too complex: 250 words once segmented, at most 64\n",
            &b""[..]
        )
    );
}

#[test]
fn issue_14_related_reads_a_bounded_part_of_a_huge_article() {
    // Two 800 KB copies of an AI story under its own headline (so neither copy, nor the
    // story, is related to the others). One says 钛合金 again and again in its opening, the
    // other only after its first 4,000 characters, which related never reads; a third
    // article is about 钛合金.
    let story = engine().get("ai-model-release").expect("the AI story");
    let repeated = story.body.repeat(800_000 / story.body.len() + 1);
    let titanium = "钛合金零件在航空发动机上的用量逐年增加。".repeat(20);
    let article = |id: &str, title: &str, body: String| xinwen::post::Article {
        id: id.into(),
        url: None,
        title: title.into(),
        body,
        date: None,
        tags: story.tags.clone(),
        categories: story.categories.clone(),
        source: None,
    };
    let (_tmp, index, _) = common::build_index(&common::good_inputs());
    let mut job = xinwen::indexer::Job::begin(&index, &xinwen::indexer::IndexOptions::default()).expect("a job");
    for article in [
        article("titanium-early", &story.title, format!("{titanium}\n{repeated}")),
        article("titanium-late", &story.title, format!("{repeated}\n{titanium}")),
        article("titanium-parts", "航空发动机钛合金零件产能扩大", titanium.clone()),
    ] {
        job.upsert(&article).expect("upsert");
    }
    job.finish(&xinwen::indexer::Silent).expect("commit");
    let engine = xinwen::search::Engine::open(&index).expect("open");
    let related = |id: &str| -> Vec<String> {
        engine
            .related(id, 10)
            .expect("related articles")
            .into_iter()
            .map(|r| r.article.id)
            .collect()
    };
    let early = related("titanium-early");
    assert_eq!(early.first().map(String::as_str), Some("titanium-parts"), "{early:?}");
    // The late copy is related as the plain story is: its tail was not read.
    let late = related("titanium-late");
    assert!(!late.contains(&"titanium-parts".to_string()), "{late:?}");
    assert_eq!(late.first().map(String::as_str), Some("ai-chip-demand"), "{late:?}");
}

// ---------------------------------------------------------------- any text (property tests)

/// Query text made of the pieces the parser and the builder treat specially (quotes,
/// operators, prefixes, minus signs, full-width and traditional forms, codes, function
/// words, controls), glued in any order, and of any characters at all.
fn query_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        prop::sample::select(vec![
            "中国",
            "上海股市",
            "人工智能",
            "宏瑞通",
            "专项债",
            "的",
            "什么",
            "臺灣",
            "ＡＢＣ",
            "a股",
            "5G",
            "00700.HK",
            "3.5%",
            "iPhone",
            "-2.3",
            "\"",
            "“",
            "”",
            "「",
            "」",
            "＂",
            "-",
            "－",
            "+",
            "OR",
            "||",
            "|",
            "AND",
            "&&",
            "title:",
            "标题：",
            "tag:",
            "标签:",
            "category:",
            "分类：",
            ":",
            "(",
            "）",
            " ",
            "\u{3000}",
            "\n",
            "\u{0}",
            "\u{1b}",
            "\u{200b}",
            "\u{feff}",
            "😀",
            "<script>",
        ])
        .prop_map(String::from),
        any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat()),
        any::<String>(),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 256,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })]

    /// Any text parses to a query or a query error, and a parsed query builds (every mode,
    /// the proximity bonus, the highlighting) without a panic.
    #[test]
    fn any_text_parses_and_builds_without_a_panic(text in query_text()) {
        if let Ok(parsed) = xinwen::search::parse(&text) {
            let schema = xinwen::schema::build();
            let fields = xinwen::schema::Fields::resolve(&schema).expect("the xinwen schema");
            let builder = xinwen::search::build::Builder::new(&fields, engine().analyzer(), None);
            let _ = builder.check_words(&parsed);
            for mode in [xinwen::search::Mode::AllWords, xinwen::search::Mode::AnyWord] {
                let _ = builder.build(&parsed, &Filters::default(), mode);
            }
            let _ = builder.proximity_bonus(&parsed);
            let _ = builder.relaxable_concepts(&parsed);
        }
    }

    /// Any text searches the fixtures or is refused as a query error, never an index error.
    #[test]
    fn any_text_searches_or_is_refused_with_a_query_error(text in query_text()) {
        match engine().search(&request(&text)) {
            Ok(found) => proptest::prop_assert_eq!(found.query, text),
            Err(xinwen::Error::Query(_)) => {}
            Err(e) => proptest::prop_assert!(false, "{:?}: {}", text, e),
        }
    }
}
