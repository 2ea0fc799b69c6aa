//! The Sphinx / Manticore cluster backend against real `searchd` processes: two nodes on
//! free loopback ports, configured from `xinwen backend config`, the fixtures written
//! through the cluster writer, and searches compared with the local index. Also the
//! golden files of the generated configuration and of query translation.
//!
//! Needs `searchd` (Debian's `sphinxsearch`); without it the tests that start nodes skip
//! with a message, and fail when `XINWEN_REQUIRE_SPHINX` is set (as `.ci/run` does).

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{engine, good_inputs, manifest_dir};
use xinwen::analysis::ChineseAnalyzer;
use xinwen::cluster::spec::Node;
use xinwen::cluster::sphinxql::Timeouts;
use xinwen::cluster::{ClientOptions, ClusterClient, ClusterError, ClusterSpec, WriteOptions, WriteSession};
use xinwen::post::{self, Article};
use xinwen::search::{Filters, SearchRequest, Sort};

/// How long a started searchd may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a stopped searchd may take to exit before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- the harness

/// The searchd binary, or `None` (with a message) when it is absent and not required.
fn searchd() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join("searchd"))
                .find(|p| p.is_file())
        })
        .unwrap_or_default();
    if found.is_none() {
        assert!(
            std::env::var_os("XINWEN_REQUIRE_SPHINX").is_none(),
            "searchd is required here: apt-get install -y --no-install-recommends sphinxsearch"
        );
        eprintln!("skip: searchd absent (apt-get install sphinxsearch)");
    }
    found
}

/// Ports handed out by [`free_port`] in this test process, with their agent ports.
static TAKEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());

/// A loopback port p with p + 6 (its agent port) free too, never one handed out before in
/// this process: the tests start clusters in parallel, and a port is free only until its
/// searchd binds it, so two clusters starting together could pick the same port (or one's
/// port the other's agent port). The second searchd then failed to bind while
/// `wait_ready` saw the first one's listener and went on with the wrong node.
fn free_port() -> u16 {
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..200 {
        let Ok(listener) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(port) = listener.local_addr().map(|a| a.port()) else {
            continue;
        };
        let clashes = [port, port + 6]
            .iter()
            .any(|p| taken.contains(p) || taken.contains(&(p.wrapping_sub(6))));
        if port < 60_000 && !clashes && TcpListener::bind(("127.0.0.1", port + 6)).is_ok() {
            taken.extend([port, port + 6]);
            return port;
        }
    }
    panic!("no free loopback port pair found");
}

/// One running searchd, stopped (by pid) when dropped, on failure too.
struct Searchd {
    child: Option<Child>,
    config: PathBuf,
    port: u16,
}

impl Searchd {
    fn start(config: &Path, port: u16) -> Searchd {
        let searchd = searchd().expect("searchd was checked by the caller");
        let child = Command::new(searchd)
            .arg("--config")
            .arg(config)
            .arg("--nodetach")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start searchd");
        let mut node = Searchd {
            child: Some(child),
            config: config.to_path_buf(),
            port,
        };
        node.wait_ready();
        node
    }

    /// Waits until this searchd answers on both its ports (its own: it is still running
    /// once they accept, so no other process's listener is taken for it).
    fn wait_ready(&mut self) {
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            let exited = self.child.as_mut().and_then(|child| child.try_wait().ok().flatten());
            if let Some(status) = exited {
                panic!("searchd --config {} exited: {status}", self.config.display());
            }
            let listening = [self.port, self.port + 6]
                .iter()
                .all(|&p| TcpStream::connect(("127.0.0.1", p)).is_ok());
            let still_running = self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)));
            if listening && still_running {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("searchd on port {} not ready after {START_TIMEOUT:?}", self.port);
    }

    /// Stops it: SIGTERM to its pid, then SIGKILL if it lingers.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let started = Instant::now();
        while started.elapsed() < STOP_TIMEOUT {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts it again on the same configuration and data.
    fn restart(&mut self) {
        self.stop();
        let again = Searchd::start(&self.config, self.port);
        *self = again;
    }
}

impl Drop for Searchd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `xinwen backend config` through the real binary.
fn backend_config(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .arg("backend")
        .arg("config")
        .args(args)
        .output()
        .expect("run xinwen");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// A running cluster of `n` nodes in a temporary directory.
struct Cluster {
    nodes: Vec<Searchd>,
    spec: ClusterSpec,
    _tmp: tempfile::TempDir,
}

impl Cluster {
    fn start(n: usize) -> Cluster {
        Cluster::start_with(n, true)
    }

    /// A cluster whose nodes have (or lack) the stopword file the configuration names.
    fn start_with(n: usize, stopwords: bool) -> Cluster {
        Cluster::start_edited(n, stopwords, |config| config)
    }

    /// A cluster whose nodes run `edit` of the configuration `xinwen backend config` prints.
    fn start_edited(n: usize, stopwords: bool, edit: fn(String) -> String) -> Cluster {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let nodes_arg: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let nodes_arg = nodes_arg.join(",");
        let mut nodes = Vec::new();
        for (i, &port) in ports.iter().enumerate() {
            let data = tmp.path().join(format!("node{i}"));
            std::fs::create_dir_all(&data).expect("data dir");
            if stopwords {
                std::fs::write(data.join("stopwords.txt"), "_\n").expect("stopwords");
            }
            let data_arg = data.to_string_lossy().into_owned();
            let (config, stderr, code) = backend_config(&[
                "--engine",
                "sphinx2",
                "--nodes",
                &nodes_arg,
                "--node",
                &i.to_string(),
                "--data",
                &data_arg,
            ]);
            assert_eq!(code, 0, "backend config failed: {stderr}");
            let path = data.join("searchd.conf");
            std::fs::write(&path, edit(config)).expect("write config");
            nodes.push(Searchd::start(&path, port));
        }
        let spec = ClusterSpec::new(&nodes_arg, "xinwen").expect("valid spec");
        Cluster { nodes, spec, _tmp: tmp }
    }

    fn client(&self) -> ClusterClient {
        let options = ClientOptions {
            timeouts: Timeouts {
                connect: Duration::from_millis(500),
                query: Duration::from_secs(5),
            },
            pooled: true,
        };
        ClusterClient::new(self.spec.clone(), ChineseAnalyzer::default(), options)
    }
}

/// Every good fixture article, in input order.
fn fixture_articles() -> Vec<Article> {
    let found = post::sources::find_inputs(&good_inputs());
    post::Reader::new(found.inputs)
        .flat_map(|batch| batch.items)
        .filter_map(|(_origin, item)| item.ok())
        .collect()
}

fn write_all(client: &ClusterClient, articles: &[Article], options: WriteOptions) -> xinwen::cluster::WriteReport {
    let mut session = WriteSession::begin(client, options).expect("begin writing");
    for article in articles {
        session.upsert(article).expect("queue an article");
    }
    session.finish().expect("finish writing")
}

/// The fixtures on a two-node cluster, shared by the read-only tests running at the same
/// time. A static would never be dropped (its searchd processes would outlive the tests),
/// so the tests hold it by `Arc` and a `Weak` finds it: the last test to finish stops it,
/// and a later test starts another.
struct Shared {
    // Dropped after the client, before the temporary directory.
    client: ClusterClient,
    _cluster: Cluster,
}

static SHARED: std::sync::Mutex<std::sync::Weak<Shared>> = std::sync::Mutex::new(std::sync::Weak::new());

/// The shared cluster, or `None` (skip) without searchd.
fn shared() -> Option<std::sync::Arc<Shared>> {
    searchd()?;
    let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(shared) = slot.upgrade() {
        return Some(shared);
    }
    let cluster = Cluster::start(2);
    let client = cluster.client();
    let report = write_all(&client, &fixture_articles(), WriteOptions::default());
    assert!(report.failed.is_empty(), "{report:?}");
    let shared = std::sync::Arc::new(Shared {
        client,
        _cluster: cluster,
    });
    *slot = std::sync::Arc::downgrade(&shared);
    Some(shared)
}

fn cluster_ids(client: &ClusterClient, request: &SearchRequest) -> Vec<String> {
    let found = client
        .search(request)
        .unwrap_or_else(|e| panic!("cluster search {:?}: {e}", request.query));
    assert!(!found.partial, "{:?}: {:?}", request.query, found.warnings);
    found.response.hits.into_iter().map(|h| h.id).collect()
}

fn local_ids(request: &SearchRequest) -> Vec<String> {
    engine()
        .search(request)
        .unwrap_or_else(|e| panic!("local search {:?}: {e}", request.query))
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn all(query: &str) -> SearchRequest {
    SearchRequest {
        limit: 100,
        ..SearchRequest::new(query)
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

// ---------------------------------------------------------------- searches: as the local index

/// Queries of tests/search.rs whose hits the cluster must find exactly as the local index
/// does (the same set; order compared separately where scores are not tied).
const SAME_HITS: [&str; 24] = [
    "蓝岸资本",
    "鹿港湾外贸",
    "陶瑾",
    "星桥量子",
    "鹿鸣湖",
    "上海 股市",
    "上海 股市 期货",
    "上海 股市 -期货",
    "臺灣 -台湾",
    "人工智能",
    "奥运",
    "专项债",
    "新能源汽车",
    "\"人工智能\"",
    "“人工智能”",
    "人工 智能",
    "\"上海证券报\"",
    "茅台 OR 五粮液",
    "title:人工智能",
    "tag:新能源汽车",
    "category:caijing 公司",
    "美团",
    "顺丰",
    "\"国务院常务会议部署稳外贸稳外资举措\"",
];

#[test]
fn fixture_queries_find_the_same_articles_as_the_local_index() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    let mut differ = Vec::new();
    for query in SAME_HITS {
        let request = all(query);
        let (local, cluster) = (sorted(local_ids(&request)), sorted(cluster_ids(client, &request)));
        if local != cluster {
            differ.push(format!("{query}: local {local:?}, cluster {cluster:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn totals_are_exact_and_equal_to_the_local_ones() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    for query in ["公司", "上海", "中国 -上海", "-上海"] {
        let request = SearchRequest {
            limit: 2,
            ..SearchRequest::new(query)
        };
        let local = engine().search(&request).expect("local search").total;
        let cluster = client.search(&request).expect("cluster search").response.total;
        assert_eq!(cluster, local, "{query}");
    }
}

/// Synonyms are expanded on xinwen's parsed query, before translation: the built-in
/// 上交所 finds the article that only says 上海证券交易所 on a cluster too, marked there.
#[test]
fn synonyms_expand_on_the_cluster_as_locally() {
    let Some(shared) = shared() else { return };
    let request = all("上交所");
    assert_eq!(local_ids(&request), ["ipo-star-market"]);
    assert_eq!(cluster_ids(&shared.client, &request), ["ipo-star-market"]);
    let found = shared.client.search(&request).expect("cluster search");
    let snippet = &found.response.hits[0].snippet_html;
    assert!(snippet.contains("<mark>上海证券交易所</mark>"), "{snippet}");
    assert_eq!(cluster_ids(&shared.client, &all("\"上交所\"")), Vec::<String>::new());
}

// ---------------------------------------------------------------- golden files

/// Compares `actual` with the golden file `tests/cluster/NAME`; `XINWEN_BLESS=1` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = manifest_dir().join("tests/cluster").join(name);
    if std::env::var_os("XINWEN_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output at line {} (XINWEN_BLESS=1 rewrites it):\nexpected: {:?}\nactual:   {:?}",
            path.display(),
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

#[test]
fn backend_config_prints_a_complete_sphinx2_configuration() {
    let (out, err, code) = backend_config(&[
        "--engine",
        "sphinx2",
        "--nodes",
        "10.0.0.1:9306,10.0.0.2:9306,10.0.0.3:9306",
        "--node",
        "1",
        "--data",
        "/var/lib/xinwen/",
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    golden("sphinx2-node1.conf", &out);
}

#[test]
fn backend_config_prints_manticore_statements() {
    let (out, err, code) = backend_config(&[
        "--engine",
        "manticore",
        "--nodes",
        "10.0.0.1:9306,10.0.0.2:9306",
        "--node",
        "0",
        "--data",
        "/var/lib/manticore",
        "--table",
        "news",
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    golden("manticore-node0.sql", &out);
}

#[test]
fn backend_config_refuses_a_bad_spec_with_one_line_and_exit_2() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--nodes", "a:9306,b:9306", "--node", "2"],
            "xinwen: invalid cluster spec: --node 2: the cluster has nodes 0 to 1\n",
        ),
        (
            &["--nodes", "a", "--node", "0"],
            "xinwen: invalid cluster spec: node \"a\": no port; expected HOST:PORT\n",
        ),
        (
            &["--nodes", "a:9306,a:9312", "--node", "0"],
            "xinwen: invalid cluster spec: nodes a:9306 and a:9312 collide: a node's agent listens on its port + 6\n",
        ),
        (
            &["--nodes", "a:9306", "--node", "0", "--table", "News"],
            "xinwen: invalid cluster spec: table \"News\": use 1 to 48 lower-case letters, digits and _, starting with a letter\n",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["--engine", "sphinx2", "--data", "/d"];
        all.extend_from_slice(args);
        let (out, err, code) = backend_config(&all);
        assert_eq!((code, out.as_str(), err.as_str()), (2, "", message), "{args:?}");
    }
}

/// The requests of the translation golden file: every construct of the query language
/// (README "Query language"), every special character, and each request option.
fn translation_cases() -> Vec<(String, SearchRequest)> {
    let queries = [
        "上海 股市",
        "上海股市",
        "新能源汽车",
        "\"人工智能\"",
        "“上海 股市”",
        "「中国，经济」",
        "股市 -期货",
        "股市 -\"期货 夜盘\" -tag:期货",
        "茅台 OR 五粮液",
        "上海 股市 OR 期货",
        "茅台 || 五粮液 | 公告",
        "title:人工智能",
        "title:\"人工 智能\"",
        "tag:A股",
        "category:caijing 公司",
        "标签：Ａ股 分类:keji",
        "-上海",
        "宏瑞通",
        "专项债",
        "美团",
        "3.5%",
        "00700.HK",
        "C++ AT&T 1/2 x=y ^_^ $5",
        "iPhone 15",
        "臺灣",
        "的",
        "什么 是 5G",
        "，。！",
        r#"\ ( ) | - ! @ ~ " & / ^ $ = 中国"#,
        r#"a'b"c\d 'OR' ((上海)) -"#,
        "title:( tag: :",
        "<script>alert(1)</script>",
    ];
    let mut cases: Vec<(String, SearchRequest)> = queries
        .iter()
        .map(|q| (q.to_string(), SearchRequest::new(*q)))
        .collect();
    let day = |raw: &str, upper: bool| xinwen::search::parse_date_filter("d", raw, upper).expect("a date");
    let with = |label: &str, request: SearchRequest| (label.to_string(), request);
    cases.push(with(
        "filters: --tag A股 --tag 白酒 --category caijing --from 2024-01-01 --to 2024-06-30",
        SearchRequest {
            filters: Filters {
                tags: vec!["A股".into(), "白酒".into()],
                categories: vec!["caijing".into()],
                from: Some(day("2024-01-01", false)),
                to: Some(day("2024-06-30", true)),
            },
            ..SearchRequest::new("公司")
        },
    ));
    cases.push(with(
        "--from only, no words",
        SearchRequest {
            filters: Filters {
                from: Some(day("2024-01-01", false)),
                ..Filters::default()
            },
            ..SearchRequest::new("")
        },
    ));
    cases.push(with(
        "--sort date --offset 20 --limit 10",
        SearchRequest {
            sort: Sort::Date,
            offset: 20,
            limit: 10,
            ..SearchRequest::new("公司")
        },
    ));
    cases.push(with(
        "page 100 of 100 (max_matches reaches it)",
        SearchRequest {
            offset: 9_900,
            limit: 100,
            ..SearchRequest::new("公司")
        },
    ));
    cases.push(with(
        "facets",
        SearchRequest {
            facets: true,
            ..SearchRequest::new("公司")
        },
    ));
    cases.push(with(
        "--recency 30 at 2024-06-01",
        SearchRequest {
            recency_days: Some(30.0),
            now: Some(day("2024-06-01", false)),
            ..SearchRequest::new("公司")
        },
    ));
    cases.push(with(
        "--collapse",
        SearchRequest {
            collapse: xinwen::search::Collapse::Title,
            ..SearchRequest::new("国务院常务会议")
        },
    ));
    cases
}

#[test]
fn every_query_construct_translates_to_the_golden_sphinxql() {
    let translator = xinwen::cluster::translate::Translator::new(ChineseAnalyzer::default());
    let mut out = String::new();
    for (label, request) in translation_cases() {
        out.push_str(&format!("## {label}\n"));
        let parsed = xinwen::search::query::parse(&request.query).expect("parses");
        match translator.search(&request, &parsed, "xinwen_a", xinwen::search::Mode::AllWords) {
            Ok(Some(sql)) => {
                out.push_str(&sql.hits);
                out.push('\n');
                for facet in sql.facets.iter().flatten() {
                    out.push_str(facet);
                    out.push('\n');
                }
            }
            Ok(None) => out.push_str("(nothing can match: no statement)\n"),
            Err(e) => out.push_str(&format!("(refused: {e})\n")),
        }
        out.push('\n');
    }
    golden("translate.txt", &out);
}

// ---------------------------------------------------------------- more of what a user sees

#[test]
fn ordered_queries_rank_as_the_local_index() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    // The best hit where the local scores are far apart (a title match among body
    // matches); further down, engine scores differ from BM25 (see CLUSTER.md).
    for query in ["人工智能", "上海 股市", "新能源汽车", "奥运", "专项债", "蓝岸资本"] {
        let request = all(query);
        let (local, cluster) = (local_ids(&request), cluster_ids(client, &request));
        assert_eq!(
            cluster.first(),
            local.first(),
            "{query}: cluster {cluster:?}, local {local:?}"
        );
    }
    // Title matches above body matches, as locally.
    let found = cluster_ids(client, &all("人工智能"));
    assert_eq!(found[..2], common::AI_IDS[..2]);
}

#[test]
fn date_order_filters_and_paging_match_the_local_index() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    let day = |raw: &str, upper: bool| xinwen::search::parse_date_filter("d", raw, upper).expect("a date");
    let requests = [
        SearchRequest {
            sort: Sort::Date,
            filters: Filters {
                categories: vec!["caijing".into()],
                ..Filters::default()
            },
            ..SearchRequest::new("公司")
        },
        SearchRequest {
            sort: Sort::Date,
            offset: 10,
            filters: Filters {
                categories: vec!["caijing".into()],
                ..Filters::default()
            },
            ..SearchRequest::new("公司")
        },
        SearchRequest {
            sort: Sort::Date,
            limit: 100,
            filters: Filters {
                from: Some(day("2024-01-01", false)),
                to: Some(day("2024-06-30", true)),
                ..Filters::default()
            },
            ..SearchRequest::new("")
        },
        SearchRequest {
            limit: 100,
            filters: Filters {
                tags: vec!["ａ股".into(), "白酒".into()],
                ..Filters::default()
            },
            ..SearchRequest::new("")
        },
    ];
    assert_eq!(
        cluster_ids(client, &requests[0]),
        common::COMPANY_CAIJING_PAGE_1,
        "newest first"
    );
    assert_eq!(cluster_ids(client, &requests[1]), common::COMPANY_CAIJING_PAGE_2);
    assert_eq!(cluster_ids(client, &requests[2]), local_ids(&requests[2]));
    assert_eq!(
        sorted(cluster_ids(client, &requests[3])),
        sorted(local_ids(&requests[3]))
    );
}

#[test]
fn facets_count_what_the_local_index_counts() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    for query in ["公司", "上海", "-上海"] {
        let request = SearchRequest {
            facets: true,
            ..SearchRequest::new(query)
        };
        let local = engine().search(&request).expect("local").facets.expect("facets");
        let cluster = client
            .search(&request)
            .expect("cluster")
            .response
            .facets
            .expect("facets");
        // The local index keeps 60 candidates a segment, chosen among equal counts in no
        // set order, so which of many values counted once make the 30 shown is its own;
        // the cluster orders every group by count, then name. Values above the lowest
        // count shown must agree.
        let above_ties = |pairs: &[(String, u64)]| {
            let lowest = pairs.iter().map(|p| p.1).min().unwrap_or(0);
            pairs.iter().filter(|p| p.1 > lowest).cloned().collect::<Vec<_>>()
        };
        assert_eq!(above_ties(&cluster.tags), above_ties(&local.tags), "{query}");
        assert_eq!(cluster.tags.len(), local.tags.len(), "{query}");
        assert_eq!(cluster.categories, local.categories, "{query}");
    }
}

#[test]
fn highlights_and_snippets_are_the_local_ones() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    for query in ["人工智能", "臺灣", "上海 股市", "title:人工智能"] {
        let request = all(query);
        let local = engine().search(&request).expect("local");
        let found = client.search(&request).expect("cluster");
        assert!(!found.partial, "{query}: {:?}", found.warnings);
        let cluster = found.response;
        assert_eq!(cluster.relaxed, local.relaxed, "{query}");
        for hit in &cluster.hits {
            let same = local.hits.iter().find(|h| h.id == hit.id).expect("the same hits");
            assert_eq!(
                (&hit.title_html, &hit.snippet_html),
                (&same.title_html, &same.snippet_html),
                "{query}: {}",
                hit.id
            );
        }
    }
}

#[test]
fn collapse_counts_copies_as_the_local_index() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    let request = SearchRequest {
        collapse: xinwen::search::Collapse::Title,
        limit: 100,
        ..SearchRequest::new("\"国务院常务会议部署稳外贸稳外资举措\"")
    };
    let found = client.search(&request).expect("cluster").response;
    let local = engine().search(&request).expect("local");
    assert_eq!((found.total, found.hits.len()), (local.total, 1));
    assert_eq!(found.hits[0].copies, Some(3));
}

#[test]
fn get_returns_the_stored_article_and_unknown_ids_say_so() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    let stored = client.get("sh-close").expect("get");
    assert_eq!(stored, engine().get("sh-close").expect("local get"));
    let err = client.get("no-such-id").expect_err("unknown");
    assert_eq!(err.to_string(), "no article with id \"no-such-id\"");
    assert_eq!(err.code(), "not_found");
}

#[test]
fn stats_count_every_shard() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    let stats = client.stats().expect("stats");
    let local = engine().stats().expect("local stats");
    assert_eq!(
        (
            stats.articles,
            &stats.oldest,
            &stats.newest,
            stats.generation.as_str(),
            stats.partial
        ),
        (local.articles, &local.oldest, &local.newest, "a", false)
    );
}

#[test]
fn query_errors_are_the_local_ones() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    for query in ["", "，。", &"中国".repeat(65)] {
        let local = engine()
            .search(&SearchRequest::new(query))
            .expect_err("refused")
            .to_string();
        let cluster = client
            .search(&SearchRequest::new(query))
            .expect_err("refused")
            .to_string();
        assert_eq!(cluster, local, "{query}");
    }
    for query in common::HOSTILE_QUERIES {
        let local = engine()
            .search(&SearchRequest::new(query))
            .map(|r| r.total)
            .map_err(|e| e.to_string());
        let cluster = client
            .search(&SearchRequest::new(query))
            .map(|r| r.response.total)
            .map_err(|e| e.to_string());
        assert_eq!(cluster, local, "{query:?}");
    }
}

// ---------------------------------------------------------------- faults

/// The ids of the fixtures that shard `shard` of `shards` holds.
fn shard_ids(articles: &[Article], shard: usize, shards: usize) -> Vec<String> {
    let mut ids: Vec<String> = articles
        .iter()
        .filter(|a| xinwen::cluster::document::shard_of(&a.id, shards) == shard)
        .map(|a| a.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn a_stopped_node_gives_a_partial_answer_naming_it_and_no_node_gives_unavailable() {
    if searchd().is_none() {
        return;
    }
    let mut cluster = Cluster::start(2);
    let client = cluster.client();
    let articles = fixture_articles();
    write_all(&client, &articles, WriteOptions::default());
    let request = SearchRequest {
        limit: 100,
        ..SearchRequest::new("-上海")
    };
    let whole = client.search(&request).expect("both nodes answer");
    assert_eq!(
        (whole.partial, whole.response.total),
        (false, common::GOOD_ARTICLES - 5)
    );
    cluster.nodes[1].stop();
    let (first, second) = (&cluster.spec.nodes[0], &cluster.spec.nodes[1]);
    let health: Vec<(String, Option<String>)> = client.health().into_iter().map(|h| (h.node, h.error)).collect();
    assert_eq!(
        health,
        [
            (first.to_string(), None),
            (second.to_string(), Some("connection refused".to_string()))
        ]
    );
    // Twice: the client asks the nodes in turn, and moves on from the stopped one.
    for _ in 0..2 {
        let found = client.search(&request).expect("one node answers");
        assert!(found.partial);
        assert_eq!(
            found.warnings,
            [format!(
                "{first}: index xinwen_a: node {second}: connect() failed: errno=111, Operation now in progress"
            )]
        );
        assert_eq!(client.nodes_in(&found.warnings), std::slice::from_ref(second));
        let mut ids: Vec<String> = found.response.hits.iter().map(|h| h.id.clone()).collect();
        ids.sort();
        let mut expected = shard_ids(&articles, 0, 2);
        let with_shanghai = local_ids(&all("上海"));
        expected.retain(|id| !with_shanghai.contains(id));
        assert_eq!(ids, expected);
        assert_eq!(found.response.total, expected.len());
    }
    cluster.nodes[0].stop();
    let err = client.search(&request).expect_err("no node answers");
    assert!(matches!(err, ClusterError::Unavailable { .. }), "{err:?}");
    assert_eq!(err.code(), "backend_unavailable");
    // The client starts with the node after the one it asked last, then tries the other.
    let message = err.to_string();
    let either = [
        format!("backend unavailable: no node answered ({first}: connection refused; {second}: connection refused)"),
        format!("backend unavailable: no node answered ({second}: connection refused; {first}: connection refused)"),
    ];
    assert!(either.contains(&message), "{message}");
    cluster.nodes[1].restart();
    let found = client.search(&request).expect("node 1 is back");
    assert_eq!(client.nodes_in(&found.warnings), std::slice::from_ref(first));
}

#[test]
fn a_hung_node_gives_a_partial_answer_within_the_timeouts() {
    if searchd().is_none() {
        return;
    }
    let cluster = Cluster::start(2);
    let client = ClusterClient::new(
        cluster.spec.clone(),
        ChineseAnalyzer::default(),
        ClientOptions {
            timeouts: Timeouts {
                connect: Duration::from_millis(300),
                query: Duration::from_millis(3000),
            },
            pooled: true,
        },
    );
    write_all(&client, &fixture_articles(), WriteOptions::default());
    let pid = cluster.nodes[1].child.as_ref().expect("running").id().to_string();
    let signal = |name: &str| {
        Command::new("kill")
            .arg(format!("-{name}"))
            .arg(&pid)
            .status()
            .expect("kill");
    };
    signal("STOP");
    let mut answers = Vec::new();
    for _ in 0..2 {
        answers.push(
            client
                .search(&all("公司"))
                .map(|r| (r.partial, client.nodes_in(&r.warnings))),
        );
    }
    signal("CONT");
    for answer in answers {
        let (partial, missing) = answer.expect("node 0 answers");
        assert!(partial);
        assert_eq!(missing, [cluster.spec.nodes[1].clone()]);
    }
}

// ---------------------------------------------------------------- writes

#[test]
fn writes_skip_unchanged_articles_replace_changed_ones_and_delete() {
    if searchd().is_none() {
        return;
    }
    let cluster = Cluster::start(2);
    let client = cluster.client();
    let mut articles = fixture_articles();
    let first = write_all(&client, &articles, WriteOptions::default());
    assert_eq!(
        (first.new, first.updated, first.unchanged, first.failed.len()),
        (common::GOOD_ARTICLES, 0, 0, 0)
    );
    let again = write_all(&client, &articles, WriteOptions::default());
    assert_eq!(
        (again.new, again.updated, again.unchanged),
        (0, 0, common::GOOD_ARTICLES)
    );
    let edited = articles.iter_mut().find(|a| a.id == "sh-close").expect("a fixture");
    edited.title = "改过的标题 云梯湾".into();
    let third = write_all(&client, &articles, WriteOptions::default());
    assert_eq!(
        (third.new, third.updated, third.unchanged),
        (0, 1, common::GOOD_ARTICLES - 1)
    );
    assert_eq!(cluster_ids(&client, &all("云梯湾")), ["sh-close"]);

    let mut session = WriteSession::begin(&client, WriteOptions::default()).expect("begin");
    assert!(session.delete("sh-close").expect("delete"));
    assert!(!session.delete("sh-close").expect("delete again"));
    assert_eq!(session.finish().expect("finish").deleted, 1);
    assert!(matches!(client.get("sh-close"), Err(ClusterError::UnknownId(_))));
    assert!(cluster_ids(&client, &all("云梯湾")).is_empty());

    // A mirror of the ai- articles: after a rejected input, nothing is pruned; without one,
    // every other article is.
    let kept: Vec<&Article> = articles.iter().filter(|a| a.id.starts_with("ai-")).collect();
    let mut session = WriteSession::begin(&client, WriteOptions::default()).expect("begin");
    for article in &kept {
        session.upsert(article).expect("queue");
    }
    session.reject();
    let err = session.prune().expect_err("a rejected input: no prune");
    assert_eq!(
        err.to_string(),
        "not pruning: 1 inputs were rejected and 0 batches failed; nothing was deleted"
    );
    session.finish().expect("finish");
    let stats = client.stats().expect("stats");
    assert_eq!(stats.articles as usize, common::GOOD_ARTICLES - 1);
    let mut session = WriteSession::begin(&client, WriteOptions::default()).expect("begin");
    for article in &kept {
        session.upsert(article).expect("queue");
    }
    assert_eq!(session.prune().expect("prune"), common::GOOD_ARTICLES - 1 - kept.len());
    let report = session.finish().expect("finish");
    assert_eq!(
        (report.unchanged, report.deleted),
        (kept.len(), common::GOOD_ARTICLES - 1 - kept.len())
    );
    let mut left: Vec<String> = cluster_ids(&client, &all("-上海"));
    left.sort();
    let mut expected: Vec<String> = kept.iter().map(|a| a.id.clone()).collect();
    expected.sort();
    assert_eq!(left, expected);
}

#[test]
fn a_literal_only_match_is_found_and_ranks_below_the_word_match() {
    if searchd().is_none() {
        return;
    }
    // Its own cluster: the shared one must hold exactly the fixtures. 稳增长 is the
    // concepts 稳 and 增长; 平稳增长 has the character 稳 but not the word, so only literal
    // matching finds it, as locally, and its words do not rank it.
    let cluster = Cluster::start(2);
    let client = &cluster.client();
    let article = |id: &str, title: &str, body: &str| Article {
        id: id.into(),
        url: None,
        title: title.into(),
        body: body.into(),
        date: None,
        tags: Vec::new(),
        categories: Vec::new(),
        source: None,
    };
    let articles = [
        article("lit-only", "经济平稳增长", "上半年经济平稳增长，就业形势总体稳定。"),
        article("words", "支撑经济稳增长", "货币政策灵活微调，支撑经济稳增长。"),
        article("neither", "天气晴朗", "今天天气晴朗，适合出行。"),
    ];
    let report = write_all(client, &articles, WriteOptions::default());
    assert!(report.failed.is_empty(), "{report:?}");
    let found = client.search(&all("稳增长")).expect("search").response;
    let ids: Vec<&str> = found.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!((ids, found.total), (vec!["words", "lit-only"], 2));
}

#[test]
fn stored_text_comes_back_byte_for_byte() {
    if searchd().is_none() {
        return;
    }
    // Its own cluster: the shared one must hold exactly the fixtures.
    let cluster = Cluster::start(2);
    let client = &cluster.client();
    let printable: String = (1u8..0x80).map(char::from).collect();
    let article = Article {
        id: "zz-escape".into(),
        url: Some("http://example.com/a'b\\c?d=\"e\"".into()),
        title: "引号 ' \" \\ 反斜杠 \\' 结尾\\".into(),
        body: format!("{printable}\n第二段 😀 \u{1b}[31m 红 \u{85} \u{feff} '); DROP TABLE x; --"),
        date: None,
        tags: vec!["a'b".into(), "c\\d".into(), "\"e\"".into()],
        categories: vec!["x\ny".into()],
        source: Some("来源 '".into()),
    };
    let report = write_all(client, std::slice::from_ref(&article), WriteOptions::default());
    assert!(report.failed.is_empty(), "{report:?}");
    let stored = client.get("zz-escape").expect("get");
    assert_eq!(
        (
            &stored.title,
            &stored.body,
            &stored.url,
            &stored.tags,
            &stored.categories,
            &stored.source
        ),
        (
            &article.title,
            &article.body,
            &article.url,
            &article.tags,
            &article.categories,
            &article.source
        )
    );
    let mut session = WriteSession::begin(client, WriteOptions::default()).expect("begin");
    assert!(session.delete("zz-escape").expect("delete"));
    session.finish().expect("finish");
}

#[test]
fn a_batch_for_a_stopped_node_is_reported_with_its_ids_and_goes_in_when_retried() {
    if searchd().is_none() {
        return;
    }
    let mut cluster = Cluster::start(2);
    let client = cluster.client();
    let articles = fixture_articles();
    cluster.nodes[1].stop();
    let options = WriteOptions {
        retry_pause: Duration::from_millis(10),
        ..WriteOptions::default()
    };
    let report = write_all(&client, &articles, options);
    let lost = shard_ids(&articles, 1, 2);
    assert_eq!(report.new, common::GOOD_ARTICLES - lost.len());
    assert_eq!(report.failed.len(), 1, "{report:?}");
    let failed = &report.failed[0];
    let mut ids = failed.ids.clone();
    ids.sort();
    assert_eq!(
        (failed.node.as_str(), failed.table.as_str(), failed.attempts, ids),
        (
            cluster.spec.nodes[1].to_string().as_str(),
            "xinwen_a_1",
            3,
            lost.clone()
        )
    );
    cluster.nodes[1].restart();
    let retried = write_all(&client, &articles, options);
    assert_eq!(
        (retried.new, retried.unchanged, retried.failed.len()),
        (lost.len(), common::GOOD_ARTICLES - lost.len(), 0)
    );
    let total = client.search(&all("-上海")).expect("search").response.total;
    assert_eq!(total, common::GOOD_ARTICLES - 5);
}

#[test]
fn writes_refuse_a_shard_that_would_not_keep_the_tokens() {
    if searchd().is_none() {
        return;
    }
    let cluster = Cluster::start_with(1, false);
    let client = cluster.client();
    let err = WriteSession::begin(&client, WriteOptions::default())
        .err()
        .expect("no stopword file: refused");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: table xinwen_a_0 does not keep xinwen's tokens (中国@1 _@2 3_2e_5_25_@3); make its \
             configuration with `xinwen backend config` and create DIR/stopwords.txt (one line: _) \
             before starting searchd",
            cluster.spec.nodes[0]
        )
    );
}

#[test]
fn a_rebuild_writes_the_other_table_set_and_switches_readers_at_the_end() {
    if searchd().is_none() {
        return;
    }
    let cluster = Cluster::start(2);
    let client = cluster.client();
    let articles = fixture_articles();
    write_all(&client, &articles, WriteOptions::default());
    let few: Vec<Article> = articles.iter().filter(|a| a.id.starts_with("ai-")).cloned().collect();
    let mut session = WriteSession::begin(
        &client,
        WriteOptions {
            rebuild: true,
            ..WriteOptions::default()
        },
    )
    .expect("begin a rebuild");
    for article in &few {
        session.upsert(article).expect("queue");
    }
    // Until the switch, readers see the old set whole.
    assert_eq!(client.stats().expect("stats").articles as usize, common::GOOD_ARTICLES);
    let report = session.finish().expect("finish");
    assert_eq!(
        (report.generation.as_str(), report.switched, report.new),
        ("b", true, few.len())
    );
    let stats = client.stats().expect("stats");
    assert_eq!((stats.generation.as_str(), stats.articles as usize), ("b", few.len()));
    let mut found = cluster_ids(&client, &all("人工智能"));
    found.sort();
    assert_eq!(found, ["ai-chip-demand", "ai-course-schools", "ai-model-release"]);
}

// ---------------------------------------------------------------- through the binary

/// The real binary with `args`: stdout, stderr, exit code.
fn xinwen(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(args)
        .env_remove("XINWEN_BACKEND")
        .output()
        .expect("run xinwen");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// `--index DIR` or `--backend URL`, then `args`, as JSON: (ids sorted, total, exit code).
fn binary_search(place: &[&str], query: &str) -> (Vec<String>, u64, i32) {
    let (out, err, code) = xinwen(&[&["search", "--json", "--limit", "100"], place, &["--", query]].concat());
    let json: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{query}: {e}: {out} {err}"));
    let ids = json["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .filter_map(|h| h["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (sorted(ids), json["total"].as_u64().unwrap_or(u64::MAX), code)
}

fn fixture_args() -> Vec<String> {
    good_inputs().iter().map(|p| p.to_string_lossy().into_owned()).collect()
}

#[test]
fn index_search_get_stats_and_delete_with_backend_print_what_the_local_index_prints() {
    if searchd().is_none() {
        return;
    }
    let cluster = Cluster::start(2);
    let url = cluster.spec.url();
    let local = tempfile::tempdir().expect("tempdir");
    let dir = local.path().join("index").to_string_lossy().into_owned();
    let inputs = fixture_args();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let (cluster_place, local_place) = (["--backend", url.as_str()], ["--index", dir.as_str()]);

    for round in ["first", "unchanged"] {
        let (out, err, code) = xinwen(&[&["index"], &cluster_place[..], &inputs].concat());
        let (local_out, _, local_code) = xinwen(&[&["index"], &local_place[..], &inputs].concat());
        assert_eq!(code, 0, "{round}: {err}");
        assert_eq!(out.lines().next(), local_out.lines().next(), "{round}");
        assert_eq!(code, local_code);
        let second = out.lines().nth(1).unwrap_or_default();
        let expected = format!("{} articles in {url}", common::GOOD_ARTICLES);
        assert!(second.ends_with(&expected), "{round}: {second}");
    }
    // An operator's typo beside the real inputs: --prune deletes nothing, and says so.
    let typo = [&["index", "--prune"], &cluster_place[..], &inputs, &["fixtures/postz"]].concat();
    let (_, err, code) = xinwen(&typo);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing was deleted"), "{err}");
    let stats = cluster.client().stats().expect("stats");
    assert_eq!(
        stats.articles as usize,
        common::GOOD_ARTICLES,
        "a typo'd path pruned articles"
    );

    for query in [
        "上海",
        "人工智能",
        "\"上海 股市\"",
        "上海 -股市",
        "title:上海 OR 北京",
        "没有这样的词",
    ] {
        let on_cluster = binary_search(&cluster_place, query);
        assert_eq!(on_cluster, binary_search(&local_place, query), "{query}");
    }
    // XINWEN_BACKEND is --backend.
    let by_env = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["search", "--limit", "100", "上海"])
        .env("XINWEN_BACKEND", &url)
        .output()
        .expect("run xinwen");
    let by_flag = xinwen(&[&["search", "--limit", "100"], &cluster_place[..], &["上海"]].concat());
    // All but the last line, which says how long it took.
    let hits = |out: &str| -> Vec<String> {
        let lines: Vec<String> = out.lines().map(str::to_string).collect();
        lines[..lines.len().saturating_sub(1)].to_vec()
    };
    let env_out = String::from_utf8_lossy(&by_env.stdout).into_owned();
    assert_eq!(
        (by_env.status.code(), hits(&env_out)),
        (Some(by_flag.2), hits(&by_flag.0))
    );
    assert!(!hits(&env_out).is_empty());
    let (ids, _, _) = binary_search(&local_place, "上海");
    let id = ids[0].as_str();
    let get_cluster = xinwen(&[&["get"], &cluster_place[..], &[id]].concat());
    assert_eq!(
        (get_cluster.2, &get_cluster.0),
        (0, &xinwen(&[&["get"], &local_place[..], &[id]].concat()).0)
    );
    let missing = xinwen(&[&["get"], &cluster_place[..], &["no-such-id"]].concat());
    assert_eq!(
        (missing.0.as_str(), missing.1.as_str(), missing.2),
        ("", "xinwen: no article with id \"no-such-id\"\n", 2)
    );

    let (stats, _, code) = xinwen(&[&["stats"], &cluster_place[..]].concat());
    assert_eq!(code, 0);
    assert_eq!(
        stats.lines().next(),
        Some(format!("articles:    {}", common::GOOD_ARTICLES).as_str())
    );

    let deleted = xinwen(&[&["delete"], &cluster_place[..], &[id, "no-such-id"]].concat());
    let local_deleted = xinwen(&[&["delete"], &local_place[..], &[id, "no-such-id"]].concat());
    assert_eq!(
        (deleted.0.as_str(), deleted.2),
        ("deleted 1 of 2 ids\n", 1),
        "{}",
        deleted.1
    );
    assert_eq!((deleted.0, deleted.2), (local_deleted.0, local_deleted.2));
    assert_eq!(
        binary_search(&cluster_place, "上海"),
        binary_search(&local_place, "上海")
    );
}

/// `GET path` on a server: status and body.
fn http_get(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string());
    match (status, body) {
        (Some(status), Some(body)) => Ok((status, body)),
        _ => Err(std::io::Error::other(format!("bad response: {response:.80}"))),
    }
}

/// A `xinwen serve` child, killed when dropped.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_stopped_node_gives_partial_and_no_node_gives_503_backend_unavailable_through_the_binary() {
    if searchd().is_none() {
        return;
    }
    let mut cluster = Cluster::start(2);
    let url = cluster.spec.url();
    let inputs = fixture_args();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let (_, err, code) = xinwen(&[&["index", "--backend", &url], &inputs[..]].concat());
    assert_eq!(code, 0, "{err}");
    let (first, second) = (cluster.spec.nodes[0].clone(), cluster.spec.nodes[1].clone());

    cluster.nodes[1].stop();
    let warning =
        format!("{first}: index xinwen_a: node {second}: connect() failed: errno=111, Operation now in progress");
    let (out, err, code) = xinwen(&["search", "--backend", &url, "--json", "上海"]);
    // Before it, the log may say which node did not answer when the client tried it first.
    let said: Vec<&str> = err.lines().filter(|l| l.starts_with("xinwen:")).collect();
    assert_eq!(
        (code, said),
        (0, vec![format!("xinwen: partial answer: {warning}").as_str()])
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        (&json["partial"], &json["warnings"]),
        (&serde_json::json!(true), &serde_json::json!([warning]))
    );

    cluster.nodes[0].stop();
    let (out, err, code) = xinwen(&["search", "--backend", &url, "上海"]);
    let refused = format!(
        "xinwen: backend unavailable: no node answered ({first}: connection refused; {second}: connection refused)\n"
    );
    let said: Vec<&str> = err.lines().filter(|l| l.starts_with("xinwen:")).collect();
    assert_eq!((out.as_str(), said, code), ("", vec![refused.trim_end()], 2));

    let addr = format!("127.0.0.1:{}", free_port());
    let _server = Served(
        Command::new(env!("CARGO_BIN_EXE_xinwen"))
            .args(["serve", "--backend", &url, "--addr", &addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start xinwen serve"),
    );
    let started = Instant::now();
    while http_get(&addr, "/healthz").is_err() {
        assert!(started.elapsed() < START_TIMEOUT, "xinwen serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, body) = http_get(&addr, "/api/search?q=%E4%B8%8A%E6%B5%B7").expect("an answer");
    let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON body");
    // The server's health checks have moved the client's first node on: either order.
    let answer = |a: &Node, b: &Node| {
        let message =
            format!("backend unavailable: no node answered ({a}: connection refused; {b}: connection refused)");
        (
            503,
            serde_json::json!({"error": {"code": "backend_unavailable", "message": message}}),
        )
    };
    let either = [answer(&first, &second), answer(&second, &first)];
    assert!(either.contains(&(status, body.clone())), "{status} {body}");
}

#[test]
fn a_bad_backend_url_is_a_usage_error_with_exit_2() {
    let (out, err, code) = xinwen(&["search", "--backend", "http://127.0.0.1:9306", "上海"]);
    assert_eq!(
        (out.as_str(), err.lines().next(), code),
        (
            "",
            Some(
                "error: invalid value 'http://127.0.0.1:9306' for '--backend <URL>': invalid cluster spec: \
                 \"http://127.0.0.1:9306\": a backend is manticore://HOST:PORT[,HOST:PORT…]/NAME"
            ),
            2
        )
    );
    let (_, err, code) = xinwen(&["generations", "--backend", "manticore://127.0.0.1:9306/xinwen"]);
    assert_eq!(
        (err.as_str(), code),
        (
            "xinwen: generations are a local index's; a cluster backend switches table sets with `index --rebuild`\n",
            2
        )
    );
}

/// A searchd started the README's way (it detaches), stopped by the pid in its pid file
/// when dropped, on failure too.
struct Detached {
    pid_file: PathBuf,
}

impl Drop for Detached {
    fn drop(&mut self) {
        let Ok(pid) = std::fs::read_to_string(&self.pid_file) else {
            return;
        };
        let pid = pid.trim().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let started = Instant::now();
        while Path::new(&format!("/proc/{pid}")).exists() && started.elapsed() < STOP_TIMEOUT {
            std::thread::sleep(Duration::from_millis(20));
        }
        if Path::new(&format!("/proc/{pid}")).exists() {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
    }
}

/// A `xinwen serve` on a free loopback port, answering once `/healthz` does.
fn serve(place: &[&str]) -> (Served, String) {
    serve_with(place, &[])
}

/// [`serve`] with environment variables set.
fn serve_with(place: &[&str], envs: &[(&str, &str)]) -> (Served, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let served = Served(
        Command::new(env!("CARGO_BIN_EXE_xinwen"))
            .arg("serve")
            .args(place)
            .args(["--addr", &addr])
            .env_remove("XINWEN_BACKEND")
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start xinwen serve"),
    );
    let started = Instant::now();
    while http_get(&addr, "/healthz").map(|(status, _)| status).ok() != Some(200) {
        assert!(started.elapsed() < START_TIMEOUT, "xinwen serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (served, addr)
}

/// A search body without what must differ (time) or may (the order of close calls).
fn comparable(body: &str) -> serde_json::Value {
    let mut json: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    json["took_ms"] = serde_json::Value::Null;
    if let Some(hits) = json["hits"].as_array_mut() {
        for hit in hits.iter_mut() {
            hit["score"] = serde_json::Value::Null;
            // The cluster assigns no stories (README, "Stories").
            if let Some(hit) = hit.as_object_mut() {
                hit.remove("story");
            }
        }
        hits.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    }
    json
}

#[test]
fn the_readmes_cluster_steps_give_the_local_page_and_api() {
    if searchd().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let ports = [free_port(), free_port()];
    let nodes = ports.map(|p| format!("127.0.0.1:{p}")).join(",");
    let mut running = Vec::new();
    for (i, port) in ports.into_iter().enumerate() {
        let data = tmp.path().join(format!("node{i}"));
        std::fs::create_dir_all(&data).expect("mkdir -p");
        std::fs::write(data.join("stopwords.txt"), "_\n").expect("printf '_\\n' > stopwords.txt");
        let data_arg = data.to_string_lossy().into_owned();
        let (config, err, code) = backend_config(&[
            "--engine",
            "sphinx2",
            "--nodes",
            &nodes,
            "--node",
            &i.to_string(),
            "--data",
            &data_arg,
        ]);
        assert_eq!(code, 0, "{err}");
        let conf = data.join("xinwen.conf");
        std::fs::write(&conf, config).expect("> xinwen.conf");
        running.push(Detached {
            pid_file: data.join("searchd.pid"),
        });
        let status = Command::new("searchd")
            .arg("--config")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("searchd --config");
        assert!(status.success(), "searchd --config {}: {status}", conf.display());
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < START_TIMEOUT, "searchd on {port} not ready");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let url = format!("manticore://{nodes}/xinwen");
    let local = tmp.path().join("index").to_string_lossy().into_owned();
    let inputs = fixture_args();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    for place in [["--backend", url.as_str()], ["--index", local.as_str()]] {
        let (_, err, code) = xinwen(&[&["index"], &place[..], &inputs].concat());
        assert_eq!(code, 0, "{place:?}: {err}");
    }

    let (_cluster_server, on_cluster) = serve(&["--backend", &url]);
    let (_local_server, on_local) = serve(&["--index", &local]);
    let page = |addr: &str| http_get(addr, "/").expect("the page");
    assert_eq!(page(&on_cluster), page(&on_local));
    for path in [
        "/api/search?q=%E4%B8%8A%E6%B5%B7",
        "/api/search?q=%E4%B8%8A%E6%B5%B7&per_page=50&tag=%E8%82%A1%E5%B8%82",
        "/api/search?q=%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD&sort=date",
        "/api/search?q=title:(",
        "/api/search?q=%E4%B8%8A%E6%B5%B7&per_page=abc",
    ] {
        let (status, body) = http_get(&on_cluster, path).expect("an answer");
        let (local_status, local_body) = http_get(&on_local, path).expect("an answer");
        assert_eq!(
            (status, comparable(&body)),
            (local_status, comparable(&local_body)),
            "{path}"
        );
    }
    let (ids, _, _) = binary_search(&["--index", &local], "上海");
    let article = format!("/api/articles/{}", ids[0]);
    let (status, body) = http_get(&on_cluster, &article).expect("get");
    let (local_status, local_body) = http_get(&on_local, &article).expect("get");
    let mut local_json: serde_json::Value = serde_json::from_str(&local_body).expect("JSON");
    // The cluster assigns no stories (README, "Stories"); the rest is the same.
    assert!(local_json["story"].is_string(), "{local_body}");
    if let Some(fields) = local_json.as_object_mut() {
        fields.remove("story");
    }
    assert_eq!(
        (status, serde_json::from_str::<serde_json::Value>(&body).expect("JSON")),
        (local_status, local_json)
    );
    // Related articles and completions as the local server gives them.
    let json = |addr: &str, path: &str| {
        let (status, body) = http_get(addr, path).expect("an answer");
        (status, serde_json::from_str::<serde_json::Value>(&body).expect("JSON"))
    };
    let related = |addr: &str| {
        let (status, mut body) = json(addr, &format!("{article}/related"));
        if let Some(list) = body["related"].as_array_mut() {
            list.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        }
        (status, body)
    };
    // The words are the local choice, the order the engine's (CLUSTER.md): most agree.
    let (there, here) = (related(&on_cluster), related(&on_local));
    assert_eq!((there.0, here.0), (200, 200));
    let ids = |body: &serde_json::Value| -> Vec<String> {
        body["related"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["id"].as_str().map(str::to_string))
            .collect()
    };
    let (there, here) = (ids(&there.1), ids(&here.1));
    // The weak-match cut compares scores, which are the engine's on a cluster: the lists may
    // end at different lengths, but the shorter one is mostly in the longer.
    assert!(!there.is_empty() && !here.is_empty(), "{there:?} {here:?}");
    assert!(
        there.iter().filter(|id| here.contains(id)).count() * 10 >= there.len().min(here.len()) * 8,
        "{there:?} {here:?}"
    );
    for path in ["/api/suggest?q=%E4%B8%8A%E6%B5%B7", "/api/suggest?q=%E6%96%B0"] {
        assert_eq!(json(&on_cluster, path), json(&on_local, path), "{path}");
    }

    let (stats, _, _) = xinwen(&["stats", "--backend", &url]);
    let (local_stats, _, _) = xinwen(&["stats", "--index", &local]);
    let dates = local_stats
        .lines()
        .find(|l| l.starts_with("dates:"))
        .unwrap_or_default();
    assert_eq!(
        stats,
        format!(
            "articles:    {}\nsize:        0.0 MiB\nsegments:    2\n{dates}\ngeneration:  xinwen_a\nstop words:  53 (builtin)\nsynonyms:    20 groups, 47 entries (builtin)\n",
            common::GOOD_ARTICLES
        )
    );
    let (_, err, code) = xinwen(
        &[
            &["index", "--backend", &url, "--rebuild", "--dict", "user.dict"],
            &inputs[..],
        ]
        .concat(),
    );
    assert_eq!(
        (err.as_str(), code),
        (
            "xinwen: a user dictionary is not supported on a cluster backend yet\n",
            2
        )
    );
}

#[test]
fn a_job_with_a_stopped_node_exits_2_naming_the_batch_and_a_second_run_writes_the_rest() {
    if searchd().is_none() {
        return;
    }
    let mut cluster = Cluster::start(2);
    let url = cluster.spec.url();
    let inputs = fixture_args();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    cluster.nodes[1].stop();
    let (out, err, code) = xinwen(&[&["index", "--backend", &url], &inputs[..]].concat());
    let said: Vec<&str> = err.lines().filter(|l| l.starts_with("xinwen:")).collect();
    let second = &cluster.spec.nodes[1];
    let mut on_second = shard_ids(&fixture_articles(), 1, 2);
    on_second.sort();
    let (prefix, suffix) = (
        format!(
            "xinwen: 1 write batch failed after every try ({second} xinwen_a_1: backend unavailable: \
             no node answered ({second}: connection refused) (ids "
        ),
        format!(
            " and {} more)); the others went in: run the job again, unchanged articles are skipped",
            on_second.len() - 5
        ),
    );
    assert_eq!((out.as_str(), said.len(), code), ("", 1, 2), "{err}");
    let listed = said[0]
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(&suffix))
        .unwrap_or_else(|| panic!("{}", said[0]));
    // Five of the ids that shard 1 holds, the rest counted.
    let listed: Vec<&str> = listed.split(", ").collect();
    assert_eq!(listed.len(), 5, "{listed:?}");
    assert!(listed.iter().all(|id| on_second.iter().any(|s| s == id)), "{listed:?}");

    cluster.nodes[1].restart();
    let (out, err, code) = xinwen(&[&["index", "--backend", &url], &inputs[..]].concat());
    assert_eq!(code, 0, "{err}");
    let n = on_second.len();
    let unchanged = common::GOOD_ARTICLES - n;
    assert_eq!(
        out.lines().next(),
        Some(
            format!(
                "read {} · indexed {n} (new {n}, updated 0) · unchanged {unchanged} · deleted 0 · rejected 0",
                common::GOOD_ARTICLES
            )
            .as_str()
        )
    );
}

#[test]
fn a_killed_rebuild_leaves_the_old_set_whole_and_the_next_one_switches() {
    if searchd().is_none() {
        return;
    }
    let cluster = Cluster::start(2);
    let url = cluster.spec.url();
    let inputs = fixture_args();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let (_, err, code) = xinwen(&[&["index", "--backend", &url], &inputs[..]].concat());
    assert_eq!(code, 0, "{err}");
    let stats = || xinwen(&["stats", "--backend", &url]).0;
    let before = stats();
    assert!(
        before.ends_with(
            "generation:  xinwen_a\nstop words:  53 (builtin)\nsynonyms:    20 groups, 47 entries (builtin)\n"
        ),
        "{before}"
    );

    // Enough articles that the rebuild is still writing when it is killed.
    let tmp = tempfile::tempdir().expect("tempdir");
    let big = tmp.path().join("big.jsonl");
    let lines: Vec<String> = (0..4000)
        .map(|i| {
            serde_json::json!({"id": format!("k-{i}"), "title": format!("测试新闻第{i}条"),
                "body": "上海股市今天收盘上涨，新能源汽车板块领涨。".repeat(8), "date": "2024-05-20"})
            .to_string()
        })
        .collect();
    std::fs::write(&big, lines.join("\n") + "\n").expect("write big.jsonl");
    let mut job = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["index", "--backend", &url, "--rebuild"])
        .arg(&big)
        .env_remove("XINWEN_BACKEND")
        .env("XINWEN_CLUSTER_LEASE_SECS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the rebuild");
    // Killed once the new set holds some of its articles, before the switch.
    let shard = xinwen::cluster::sphinxql::Connection::new(cluster.spec.nodes[0].clone(), Timeouts::default(), false);
    let written = || -> usize {
        let Ok(sets) = shard.run("SELECT id FROM xinwen_b_0 LIMIT 0; SHOW META") else {
            return 0;
        };
        sets.get(1)
            .and_then(|meta| {
                meta.pairs()
                    .find(|(k, _)| *k == "total_found")
                    .map(|(_, v)| v.to_string())
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let started = Instant::now();
    while written() == 0 {
        assert!(started.elapsed() < Duration::from_secs(60), "the rebuild wrote nothing");
        assert!(
            job.try_wait().ok().flatten().is_none(),
            "the rebuild ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = Command::new("kill").args(["-KILL", &job.id().to_string()]).status();
    let _ = job.wait();
    assert!(written() < 4000 / 2 + 1, "the rebuild was not killed half-way");
    assert_eq!(stats(), before, "readers see the old set, whole");

    // Its lease expires (XINWEN_CLUSTER_LEASE_SECS below); --wait waits for that.
    let (_, err, code) = xinwen(&[&["index", "--backend", &url, "--rebuild", "--wait"], &inputs[..]].concat());
    assert_eq!(code, 0, "{err}");
    let after = stats();
    assert_eq!(
        after.replace("generation:  xinwen_b", "generation:  xinwen_a"),
        before,
        "{after}"
    );
    assert!(
        after.ends_with(
            "generation:  xinwen_b\nstop words:  53 (builtin)\nsynonyms:    20 groups, 47 entries (builtin)\n"
        ),
        "{after}"
    );
}

// ---------------------------------------------------------------- the writer lease

/// A `xinwen index` child paused with its lease held (`XINWEN_PAUSE_AT=locked`), killed
/// when dropped.
struct PausedJob(Child);

impl PausedJob {
    fn start(args: &[&str], lease_secs: &str) -> PausedJob {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(env!("CARGO_BIN_EXE_xinwen"))
            .args(args)
            .env_remove("XINWEN_BACKEND")
            .env("XINWEN_PAUSE_AT", "locked")
            .env("XINWEN_CLUSTER_LEASE_SECS", lease_secs)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start xinwen index");
        let stderr = child.stderr.take().expect("piped stderr");
        let mut lines = BufReader::new(stderr).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        assert_eq!(first, "xinwen: paused at locked");
        PausedJob(child)
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// SIGKILL: the job dies holding its lease, as a crashed job would.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for PausedJob {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `index --backend URL --rebuild` with the fixtures, and more flags.
fn rebuild_args<'a>(url: &'a str, fixtures: &'a [String], more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["index", "--backend", url, "--rebuild"];
    args.extend_from_slice(more);
    args.extend(fixtures.iter().map(String::as_str));
    args
}

#[test]
fn a_second_rebuild_is_refused_while_one_runs_and_a_killed_jobs_lease_is_taken_over() {
    if searchd().is_none() {
        return;
    }
    let cluster = Cluster::start(2);
    let url = cluster.spec.url();
    let fixtures = fixture_args();
    let (_, err, code) = xinwen(
        &[
            &["index", "--backend", &url],
            fixture_args().iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    let everything = binary_search(&["--backend", &url], "-上海").0;
    assert_eq!(everything.len(), common::GOOD_ARTICLES - 5);

    let mut first = PausedJob::start(&rebuild_args(&url, &fixtures, &[]), "3");
    // The second job: the local lock's message and exit code, naming the holder.
    let (out, err, code) = xinwen(&rebuild_args(&url, &fixtures, &[]));
    let expected_start = format!(
        "xinwen: the index at {url} is locked by another writer (pid {} on ",
        first.pid()
    );
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.starts_with(&expected_start), "{err}");
    assert!(err.contains(&format!("xinwen index {}", fixtures.join(" "))), "{err}");
    assert!(err.ends_with("s); wait for it, or pass --wait\n"), "{err}");
    // Readers still see the old set whole: the paused rebuild emptied only the other one.
    assert_eq!(binary_search(&["--backend", &url], "-上海").0, everything);

    // Killed holding the lease: a job with --wait takes it over once it expires.
    first.kill();
    let (out, err, code) = xinwen(&rebuild_args(&url, &fixtures, &["--wait"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(binary_search(&["--backend", &url], "-上海").0, everything);
    // Released at the end: the next job goes in at once.
    let (_, err, code) = xinwen(&rebuild_args(&url, &fixtures, &[]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn ingestion_over_http_answers_409_while_a_cli_job_holds_the_clusters_lease() {
    if searchd().is_none() {
        return;
    }
    let cluster = Cluster::start(2);
    let url = cluster.spec.url();
    let fixtures = fixture_args();
    let (served, addr) = serve_with(&["--backend", &url], &[("XINWEN_ADMIN_TOKEN", "s3cret")]);
    let post = |body: &str| -> (u16, String) {
        use std::io::{Read, Write};
        let mut stream = TcpStream::connect(&addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
        write!(
            stream,
            "POST /api/articles HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer s3cret\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    };
    let article = r#"[{"id":"lease-http","title":"租约测试","body":"集群写入租约的测试文章。"}]"#;
    let job = PausedJob::start(&rebuild_args(&url, &fixtures, &[]), "30");
    let (status, body) = post(article);
    assert_eq!(status, 409, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
    assert_eq!(json["error"]["code"], "index_locked", "{body}");
    let message = json["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("another job is writing the index (pid {} on ", job.pid())),
        "{message}"
    );
    drop(job);
    drop(served);
}

// ---------------------------------------------------------------- schema version

/// A configuration as `xinwen backend config` printed it before the literal fields.
fn without_literal_fields(config: String) -> String {
    config
        .lines()
        .filter(|l| !matches!(l.trim(), "rt_field = title_l" | "rt_field = lit"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn tables_made_by_an_older_xinwen_are_refused_with_what_to_do() {
    if searchd().is_none() {
        return;
    }
    let cluster = Cluster::start_edited(1, true, without_literal_fields);
    let url = cluster.spec.url();
    let node = &cluster.spec.nodes[0];
    let expected = |table: &str| {
        format!(
            "xinwen: {node}: table {table} was made for an older xinwen (it lacks title_l, lit); searchd \
             keeps a table's first schema, so: stop searchd, remove the table's files, start it on the \
             configuration `xinwen backend config` prints, and run `xinwen index --backend … --rebuild` \
             (CLUSTER.md, \"Upgrading the tables\")\n"
        )
    };
    let (out, err, code) = xinwen(&["search", "--backend", &url, "上海"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (2, "", expected("xinwen_a_0").as_str())
    );
    let (out, err, code) = xinwen(
        &[
            &["index", "--backend", url.as_str()][..],
            &fixture_args().iter().map(String::as_str).collect::<Vec<_>>(),
        ]
        .concat(),
    );
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (2, "", expected("xinwen_a_0").as_str())
    );
    let (_, err, code) = xinwen(&rebuild_args(&url, &fixture_args(), &[]));
    assert_eq!((code, err.as_str()), (2, expected("xinwen_b_0").as_str()));
}

// ---------------------------------------------------------------- related and suggest

/// The least share of fixtures whose first related article is the local one, and the
/// least mean overlap of the first five (measured 0.58 and 0.76 before the weak-match cut,
/// 0.58 and 0.66 with it: the local index also leaves out other copies of the story, which a
/// cluster does not know): the words are the local choice, the engine's scores are not BM25.
const RELATED_SAME_FIRST: f64 = 0.5;
const RELATED_OVERLAP_AT_5: f64 = 0.6;
/// At most one fixture in this many may have related articles on one backend only.
const RELATED_EMPTY_DISAGREE_ONE_IN: usize = 10;

#[test]
fn related_articles_are_close_to_the_local_ones() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    let (mut compared, mut same_first, mut overlap) = (0usize, 0usize, 0.0f64);
    let mut one_side_empty = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for article in fixture_articles() {
        if !seen.insert(article.id.clone()) {
            continue;
        }
        let ids = |list: Vec<xinwen::backend::Related>| list.into_iter().map(|r| r.article.id).collect::<Vec<_>>();
        let local = ids(engine().related(&article.id, 5).expect("local related"));
        let cluster = ids(client.related(&article.id, 5).expect("cluster related"));
        assert!(!cluster.contains(&article.id), "{}: itself", article.id);
        // The weak-match cut compares scores, and the engine's are not BM25: near the cut the
        // two may disagree on whether anything is related at all.
        if cluster.is_empty() != local.is_empty() {
            one_side_empty.push(format!("{}: cluster {cluster:?}, local {local:?}", article.id));
        }
        if local.is_empty() || cluster.is_empty() {
            continue;
        }
        compared += 1;
        same_first += usize::from(cluster.first() == local.first());
        overlap += cluster.iter().filter(|id| local.contains(id)).count() as f64 / local.len() as f64;
    }
    let (first, mean) = (same_first as f64 / compared as f64, overlap / compared as f64);
    eprintln!("related on {compared} fixtures: same first {first:.2}, mean overlap@5 {mean:.2}");
    assert!(compared >= 40, "only {compared} fixtures have related articles");
    assert!(
        one_side_empty.len() * RELATED_EMPTY_DISAGREE_ONE_IN <= compared,
        "{one_side_empty:#?}"
    );
    assert!(
        first >= RELATED_SAME_FIRST && mean >= RELATED_OVERLAP_AT_5,
        "same first {first:.2}, overlap {mean:.2}"
    );
    let err = client.related("no-such-id", 5).expect_err("unknown");
    assert_eq!(err.to_string(), "no article with id \"no-such-id\"");
}

#[test]
fn completions_are_the_local_ones() {
    let Some(shared) = shared() else { return };
    let client = &shared.client;
    for partial in [
        "人工",
        "上海",
        "新能",
        "A",
        "ａ股",
        "股市 上",
        "中国",
        "3.",
        "，",
        "上海 ",
    ] {
        let local = engine().suggest(partial, 10).expect("local suggest");
        let cluster = client.suggest(partial, 10).expect("cluster suggest");
        assert_eq!(cluster, local, "{partial:?}");
    }
    assert!(!client.suggest("人工", 10).expect("suggest").is_empty());
    let long = "长".repeat(10_000);
    assert_eq!(
        client.suggest(&long, 10).expect_err("too long").to_string(),
        engine().suggest(&long, 10).expect_err("too long").to_string()
    );
}
