//! The search page in a real browser: headless Chromium driven through chromedriver's W3C
//! WebDriver HTTP protocol, against the real `xinwen serve` over an index of the fixtures.
//!
//! Skips (with `skip:` on stderr) when chromedriver or Chromium is not installed; CI
//! installs both. Screenshots go to `target/screenshots/` for a person to look at.

mod common;

use common::{AI_IDS, COMPANY_CAIJING_PAGE_1, COMPANY_CAIJING_PAGE_2};
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use ureq::Agent;
use xinwen::indexer::{IndexOptions, Job, Silent};
use xinwen::post::Article;
use xinwen::search::words::{WordsUpdate, read_categories};
use xinwen::store::IndexDir;

/// How long any one thing may take to show up in the page.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How often `wait_until` looks again.
const POLL: Duration = Duration::from_millis(25);
/// The key of an element reference in WebDriver JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// WebDriver key codes (W3C WebDriver, "keyboard actions").
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const ARROW_DOWN: &str = "\u{E015}";

/// A child process killed when dropped, so a failing test leaves nothing running.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `f` until it returns `Some`, for at most `timeout`; panics naming `what` after that.
fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = f() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(POLL);
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// The first of `names` found at a fixed path or on PATH.
fn find_program(fixed: &str, names: &[&str]) -> Option<PathBuf> {
    let fixed = Path::new(fixed);
    if fixed.is_file() {
        return Some(fixed.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Decodes standard base64 (WebDriver screenshots); whitespace and padding are skipped.
fn base64_decode(text: &str) -> Vec<u8> {
    fn value(c: u8) -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?}", c as char),
        }
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        acc = (acc << 6) | value(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// A WebDriver error: its `error` code and message.
#[derive(Debug)]
struct WebDriverError {
    error: String,
    message: String,
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

/// One WebDriver session; deleted (closing Chromium) when dropped.
struct Browser {
    agent: Agent,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
}

impl Browser {
    fn start(agent: Agent, driver: &str, chromium: &Path, profile: &Path) -> Browser {
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1000",
        ]
        .map(String::from)
        .into_iter()
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            // An alert stays open, so the test can see that none was raised.
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let value = send(&agent, "POST", &format!("{driver}/session"), Some(capabilities))
            .unwrap_or_else(|e| panic!("cannot start Chromium: {e}"));
        let id = value["sessionId"].as_str().expect("a session id");
        Browser {
            agent,
            session: format!("{driver}/session/{id}"),
        }
    }

    fn try_cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, WebDriverError> {
        send(&self.agent, method, &format!("{}{path}", self.session), body)
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_cmd(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    fn url(&self) -> String {
        self.cmd("GET", "/url", None).as_str().unwrap_or_default().to_string()
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    fn js(&self, script: &str, args: Value) -> Value {
        self.cmd("POST", "/execute/sync", Some(json!({ "script": script, "args": args })))
    }

    fn element(&self, css: &str) -> String {
        let found = self.cmd(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        found[ELEMENT].as_str().expect("an element reference").to_string()
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.cmd("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.cmd("POST", &format!("/element/{id}/value"), Some(json!({ "text": text })));
    }

    fn clear(&self, css: &str) {
        let id = self.element(css);
        self.cmd("POST", &format!("/element/{id}/clear"), Some(json!({})));
    }

    /// Clears the search box, types `query` and presses Enter.
    fn search(&self, query: &str) {
        self.clear("#q");
        self.type_into("#q", &format!("{query}{ENTER}"));
    }

    /// `textContent` of every element matching `css`.
    fn texts(&self, css: &str) -> Vec<String> {
        let value = self.js(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent.trim());",
            json!([css]),
        );
        serde_json::from_value(value).expect("a list of strings")
    }

    fn text(&self, css: &str) -> String {
        self.texts(css).into_iter().next().unwrap_or_default()
    }

    fn count(&self, css: &str) -> u64 {
        self.js("return document.querySelectorAll(arguments[0]).length;", json!([css]))
            .as_u64()
            .expect("a count")
    }

    fn ids(&self) -> Vec<String> {
        let value = self.js(
            "return [...document.querySelectorAll('#results .hit')].map(e => e.dataset.id);",
            json!([]),
        );
        serde_json::from_value(value).expect("a list of ids")
    }

    /// Waits until the results are exactly `expected`, in order, and nothing is loading.
    fn wait_for_ids(&self, expected: &[&str]) {
        let mut seen = Vec::new();
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            seen = self.ids();
            let busy = self.js("return document.body.classList.contains('busy');", json!([]));
            if seen == expected && busy == json!(false) {
                return;
            }
            std::thread::sleep(POLL);
        }
        panic!("expected hits {expected:?}, the page shows {seen:?}");
    }

    /// Waits until the results are `expected` in some order, and nothing is loading.
    fn wait_for_id_set(&self, expected: &[&str]) {
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.sort();
        wait_until(&format!("hits {expected:?} in any order"), TIMEOUT, || {
            let mut seen = self.ids();
            seen.sort();
            let busy = self.js("return document.body.classList.contains('busy');", json!([]));
            (seen == want && busy == json!(false)).then_some(())
        });
    }

    fn wait_for_text(&self, css: &str, needle: &str) {
        wait_until(&format!("{css} to contain {needle:?}"), TIMEOUT, || {
            self.text(css).contains(needle).then_some(())
        });
    }

    fn screenshot(&self, path: &Path) {
        let png = base64_decode(self.cmd("GET", "/screenshot", None).as_str().expect("base64"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a screenshot is a PNG");
        fs::create_dir_all(path.parent().expect("a parent")).expect("create the screenshot directory");
        fs::write(path, png).expect("write the screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = send(&self.agent, "DELETE", &self.session, None);
    }
}

/// Sends one WebDriver command and unwraps its `value`.
fn send(agent: &Agent, method: &str, url: &str, body: Option<Value>) -> Result<Value, WebDriverError> {
    let response = match method {
        "GET" => agent.get(url).call(),
        "DELETE" => agent.delete(url).call(),
        _ => agent.post(url).send_json(body.unwrap_or_else(|| json!({}))),
    };
    let mut response = response.map_err(|e| WebDriverError {
        error: "transport".into(),
        message: e.to_string(),
    })?;
    let ok = response.status().is_success();
    let mut json: Value = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_json()
        .map_err(|e| WebDriverError {
            error: "bad response".into(),
            message: e.to_string(),
        })?;
    let value = json["value"].take();
    if ok {
        Ok(value)
    } else {
        Err(WebDriverError {
            error: value["error"].as_str().unwrap_or("unknown").into(),
            message: value["message"].as_str().unwrap_or_default().into(),
        })
    }
}

/// Indexes the fixtures and starts `xinwen serve` on a free port.
fn start_server(agent: &Agent, work: &Path) -> (Killed, String) {
    let dir = work.join("index");
    common::index_good_fixtures(&IndexDir::new(&dir));
    serve(agent, &dir, &work.join("server.log"))
}

/// Starts `xinwen serve` over the index at `dir` on a free port, logging to `log_path`.
fn serve(agent: &Agent, dir: &Path, log_path: &Path) -> (Killed, String) {
    let port = free_port();
    let log = fs::File::create(log_path).expect("create the server log");
    let child = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .arg("serve")
        .arg("--index")
        .arg(dir)
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start xinwen serve");
    let mut server = Killed(child);
    let base = format!("http://127.0.0.1:{port}");
    wait_until("GET /healthz to answer", TIMEOUT, || {
        if let Ok(Some(status)) = server.0.try_wait() {
            let log = fs::read_to_string(log_path).unwrap_or_default();
            panic!("xinwen serve exited ({status}):\n{log}");
        }
        let response = agent.get(format!("{base}/healthz")).call().ok()?;
        response.status().is_success().then_some(())
    });
    (server, base)
}

/// An article for [`names_from_data_are_not_object_properties`].
fn article(id: &str, title: &str, categories: &[&str], tags: &[&str]) -> Article {
    Article {
        id: id.into(),
        url: None,
        title: title.into(),
        body: format!("{title}的正文。"),
        date: None,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        source: None,
    }
}

/// Issue 14: categories and tags named like the properties every JavaScript object has
/// (`constructor`, `toString`, `__proto__`) are shown as written, in an index of their own.
fn names_from_data_are_not_object_properties(browser: &Browser, agent: &Agent, work: &Path) {
    let dir = work.join("proto-index");
    let mut job = Job::begin(&IndexDir::new(&dir), &IndexOptions::default()).expect("begin a job");
    for a in [
        article("proto-a", "原型测试甲", &["constructor"], &["constructor", "__proto__"]),
        article("proto-b", "原型测试乙", &["toString", "caijing"], &["hasOwnProperty"]),
    ] {
        job.upsert(&a).expect("upsert");
    }
    job.finish(&Silent).expect("commit");
    let (_server, base) = serve(agent, &dir, &work.join("proto-server.log"));
    browser.goto(&format!("{base}/?q=%E5%8E%9F%E5%9E%8B%E6%B5%8B%E8%AF%95"));
    browser.wait_for_id_set(&["proto-a", "proto-b"]);
    assert_eq!(browser.text(".hit[data-id=proto-a] .meta span"), "constructor");
    assert_eq!(browser.text(".hit[data-id=proto-b] .meta span"), "toString · 财经");
    let mut categories = browser.texts("#facet-category .name");
    categories.sort();
    assert_eq!(categories, ["constructor", "toString", "财经"]);
    let mut tags = browser.texts("#facet-tag .name");
    tags.sort();
    assert_eq!(tags, ["__proto__", "constructor", "hasOwnProperty"]);
    // A filter no article has is still listed (with 0), so it can be taken off again.
    browser.goto(&format!("{base}/?q=%E5%8E%9F%E5%9E%8B%E6%B5%8B%E8%AF%95&tag=valueOf"));
    browser.wait_for_text(".message.empty h2", "没有找到");
    assert_eq!(browser.texts("#facet-tag button[aria-pressed=true] .name"), ["valueOf"]);
    assert_eq!(browser.texts("#facet-tag button[aria-pressed=true] .n"), ["0"]);
}

/// Starts chromedriver on a free port and waits until it is ready.
fn start_driver(agent: &Agent, chromedriver: &Path) -> (Killed, String) {
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Killed(child);
    let url = format!("http://127.0.0.1:{port}");
    wait_until("chromedriver to be ready", TIMEOUT, || {
        let status = send(agent, "GET", &format!("{url}/status"), None).ok()?;
        (status["ready"] == json!(true)).then_some(())
    });
    (driver, url)
}

/// Skips the test with a message, unless `XINWEN_REQUIRE_BROWSER` is set (CI sets it after
/// installing Chromium, so a broken install fails instead of silently skipping).
fn skip(why: &str) {
    if std::env::var_os("XINWEN_REQUIRE_BROWSER").is_some() {
        panic!("{why}, and XINWEN_REQUIRE_BROWSER is set");
    }
    eprintln!("skip: {why}");
}

/// chromedriver and Chromium, or `None` after [`skip`] said which is missing.
fn browser_programs() -> Option<(PathBuf, PathBuf)> {
    let Some(chromedriver) = find_program("/usr/bin/chromedriver", &["chromedriver"]) else {
        skip("chromedriver is not installed (/usr/bin/chromedriver or on PATH)");
        return None;
    };
    let Some(chromium) = find_program("/usr/bin/chromium", &["chromium", "chromium-browser", "google-chrome"]) else {
        skip("Chromium is not installed (/usr/bin/chromium or on PATH)");
        return None;
    };
    Some((chromedriver, chromium))
}

#[test]
fn search_page_in_a_real_browser() {
    let Some((chromedriver, chromium)) = browser_programs() else {
        return;
    };
    let started = Instant::now();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let work = TempDir::new().expect("a temporary directory");
    let agent = agent();
    // Declared in this order so they drop in reverse: the session, then chromedriver, then the server.
    let (_server, base) = start_server(&agent, work.path());
    let (_driver, driver_url) = start_driver(&agent, &chromedriver);
    let browser = Browser::start(agent.clone(), &driver_url, &chromium, &work.path().join("profile"));

    // The start page.
    browser.goto(&format!("{base}/"));
    browser.wait_for_text(".message.start h2", "搜索中文新闻");
    let lang = browser.js("return document.documentElement.lang;", json!([]));
    assert_eq!(lang, json!("zh-CN"));
    assert_eq!(browser.count("#results .hit"), 0);
    browser.wait_for_text(".message.start p", "已收录 76 篇新闻");
    browser.screenshot(&shots.join("start.png"));

    // Suggestions as you type, with the keyboard.
    browser.type_into("#q", "人工");
    wait_until("three suggestions for 人工", TIMEOUT, || {
        (browser.texts("#suggestions:not([hidden]) li") == ["人工智能", "人工", "人工成本"]).then_some(())
    });
    browser.type_into("#q", ARROW_DOWN);
    let selected = browser.js(
        "return [document.querySelector('#suggestions li[aria-selected=true]')?.textContent,
                 document.getElementById('q').getAttribute('aria-activedescendant')];",
        json!([]),
    );
    assert_eq!(selected, json!(["人工智能", "sug-0"]));
    browser.type_into("#q", ESCAPE);
    assert_eq!(
        browser.count("#suggestions:not([hidden]) li"),
        0,
        "Escape closes the list"
    );
    browser.type_into("#q", "智能");
    wait_until("a suggestion for 人工智能", TIMEOUT, || {
        browser
            .texts("#suggestions:not([hidden]) li")
            .contains(&"人工智能".to_string())
            .then_some(())
    });

    // Enter searches: rank order, highlighted words, the summary, the URL.
    browser.type_into("#q", ENTER);
    browser.wait_for_ids(&AI_IDS);
    assert!(
        browser.text("#total").starts_with("共 5 条结果（"),
        "{}",
        browser.text("#total")
    );
    let marks = browser.texts(".hit[data-id=ai-model-release] mark");
    assert!(!marks.is_empty() && marks.iter().all(|m| m == "人工智能"), "{marks:?}");
    assert_eq!(browser.texts(".hit[data-id=ai-model-release] h2 mark"), ["人工智能"]);
    let link = browser.js(
        "const a = document.querySelector('.hit h2 a'); return [a.href, a.target, a.rel];",
        json!([]),
    );
    assert_eq!(
        link,
        json!([
            "http://news.example.com/2023/0320/ai-model-release.html",
            "_blank",
            "noopener noreferrer"
        ])
    );
    assert_eq!(
        browser.count("#suggestions:not([hidden]) li"),
        0,
        "a search closes the suggestions"
    );
    let url = browser.url();
    assert!(url.contains("?q=%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD"), "{url}");
    browser.screenshot(&shots.join("results.png"));

    // 为什么匹配: a button per hit that shows the score's parts in words, and hides them.
    let toggle = ".hit[data-id=ai-model-release] .why-toggle";
    assert_eq!(browser.text(toggle), "为什么匹配");
    let expanded = || {
        browser.js(
            &format!("return document.querySelector('{toggle}').getAttribute('aria-expanded')"),
            json!([]),
        )
    };
    assert_eq!(expanded(), json!("false"));
    browser.click(toggle);
    browser.wait_for_text(".hit[data-id=ai-model-release] .why", "标题含「人工智能」 ×3");
    assert_eq!(expanded(), json!("true"));
    assert!(
        browser
            .text(".hit[data-id=ai-model-release] .why .sum")
            .starts_with("得分 "),
        "{}",
        browser.text(".hit[data-id=ai-model-release] .why")
    );
    browser.screenshot(&shots.join("why.png"));
    browser.click(toggle);
    assert_eq!(expanded(), json!("false"));
    assert_eq!(browser.count(".hit[data-id=ai-model-release] .why:not([hidden])"), 0);

    // Tag facets: click one, then a second one (OR-ed), then clear; back and forward.
    browser.click("#facet-tag button[data-value='芯片']");
    browser.wait_for_ids(&["ai-chip-demand"]);
    assert!(browser.url().contains("tag=%E8%8A%AF%E7%89%87"), "{}", browser.url());
    browser.click("#facet-tag button[data-facet=tag][data-value='手机']");
    browser.wait_for_ids(&["ai-chip-demand", "phone-launch"]);
    assert_eq!(browser.texts("#active .remove"), ["标签：芯片", "标签：手机"]);
    let pressed = browser.texts("#facet-tag button[aria-pressed=true] .name");
    assert_eq!(pressed, ["手机", "芯片"]);
    browser.click("#active button[data-remove=all]");
    browser.wait_for_ids(&AI_IDS);
    browser.cmd("POST", "/back", Some(json!({})));
    browser.wait_for_ids(&["ai-chip-demand", "phone-launch"]);
    browser.cmd("POST", "/back", Some(json!({})));
    browser.wait_for_ids(&["ai-chip-demand"]);
    browser.cmd("POST", "/forward", Some(json!({})));
    browser.wait_for_ids(&["ai-chip-demand", "phone-launch"]);
    // A tag chip on a hit filters too (here: removes the 芯片 filter it shows as active).
    browser.click(".hit[data-id=ai-chip-demand] button[data-tag='芯片']");
    browser.wait_for_ids(&["phone-launch"]);
    browser.click("#active button[data-remove=tags]");
    browser.wait_for_ids(&AI_IDS);

    // A date range (Beijing days, inclusive; tests/FIXTURES.md, query 72), then cleared.
    // 足球: village-football first, the other two in either order (query 12).
    let football = ["village-football", "football-block-tags", "football-national"];
    browser.search("足球");
    browser.wait_for_id_set(&football);
    assert_eq!(browser.ids()[0], "village-football", "足球 in the title ranks first");
    browser.js(
        "for (const id of ['from', 'to']) {
           const input = document.getElementById(id);
           input.value = '2023-07-01';
           input.dispatchEvent(new Event('change', { bubbles: true }));
         }",
        json!([]),
    );
    browser.wait_for_ids(&["village-football"]);
    assert!(
        browser.url().contains("from=2023-07-01&to=2023-07-01"),
        "{}",
        browser.url()
    );
    assert_eq!(browser.texts("#active .remove"), ["起：2023-07-01", "止：2023-07-01"]);
    browser.click("#active button[data-remove=all]");
    browser.wait_for_id_set(&football);
    assert!(!browser.url().contains("from="), "{}", browser.url());

    // Relaxed matching is said.
    browser.search("人工智能 zzqx");
    browser.wait_for_ids(&AI_IDS);
    assert_eq!(browser.count("#relaxed:not([hidden])"), 1, "the relaxed notice shows");

    // Paging: 公司 in category caijing, newest first, has 11 results.
    browser.search("公司");
    browser.wait_for_text("#total", "共 22 条结果");
    assert_eq!(browser.count("#facet-tag li"), 12, "the 12 most frequent of 23 tags");
    browser.click("#more-tags");
    assert_eq!(browser.count("#facet-tag li"), 23);
    assert_eq!(browser.text("#more-tags"), "收起");
    browser.click("#facet-category button[data-facet=category][data-value=caijing]");
    browser.wait_for_text("#total", "共 11 条结果");
    browser.click("#sort option[value=date]");
    browser.wait_for_ids(&COMPANY_CAIJING_PAGE_1);
    browser.js("window.scrollTo(0, document.body.scrollHeight);", json!([]));
    browser.screenshot(&shots.join("paged.png"));
    browser.click("#pager button.num[data-page='2']");
    browser.wait_for_ids(&COMPANY_CAIJING_PAGE_2);
    let shared = browser.url();
    for part in ["q=%E5%85%AC%E5%8F%B8", "category=caijing", "sort=date", "page=2"] {
        assert!(shared.contains(part), "{shared} has {part}");
    }
    assert_eq!(browser.text("#pager button[aria-current=page]"), "2");

    // The shared URL reproduces the view in a fresh page load.
    browser.goto(&format!("{base}/"));
    browser.wait_for_text(".message.start h2", "搜索中文新闻");
    browser.goto(&shared);
    browser.wait_for_ids(&COMPANY_CAIJING_PAGE_2);
    let controls = browser.js(
        "return [document.getElementById('q').value, document.getElementById('sort').value,
                 document.querySelector('#facet-category [data-value=caijing]').getAttribute('aria-pressed')];",
        json!([]),
    );
    assert_eq!(controls, json!(["公司", "date", "true"]));
    browser.click("#pager button.prev");
    browser.wait_for_ids(&COMPANY_CAIJING_PAGE_1);

    // Nothing found: the empty state, with the query shown as text.
    browser.click("#home");
    browser.wait_for_text(".message.start h2", "搜索中文新闻");
    browser.search("zzqx<b>粗体</b>");
    browser.wait_for_text(".message.empty h2", "没有找到与“zzqx<b>粗体</b>”相关的新闻");
    assert_eq!(browser.count("#results .hit"), 0);
    assert_eq!(browser.count("#message h2 b"), 0, "the query is text, not markup");
    browser.screenshot(&shots.join("empty.png"));

    // An API error shows its message.
    browser.search(&"长".repeat(501));
    browser.wait_for_text(".message.error", "query too long: 501 characters, at most 500");
    browser.screenshot(&shots.join("error.png"));

    // Markup in the query and in a title stays text; no script runs.
    browser.search("<script>alert(1)</script>");
    browser.wait_for_ids(&["title-injection"]);
    assert_eq!(browser.text(".hit h2"), "测试<script>alert(1)</script>标题注入");
    assert_eq!(browser.count("#results script, #results img, #message script"), 0);
    let alert = browser.try_cmd("GET", "/alert/text", None);
    assert!(matches!(&alert, Err(e) if e.error == "no such alert"), "{alert:?}");

    // An article without a URL has a title that links its article page (issue 13).
    browser.search("霁川汇市");
    browser.wait_for_ids(&["fl-20240612-002"]);
    let link = browser.js(
        "return [...document.querySelectorAll('.hit h2 a, .hit .meta a.read')].map((a) => a.getAttribute('href'));",
        json!([]),
    );
    assert_eq!(link, json!(["/a/fl-20240612-002", "/a/fl-20240612-002"]));

    // Phone width: no horizontal scrolling; the filters fold away behind a button.
    browser.cmd("POST", "/window/rect", Some(json!({ "width": 375, "height": 800 })));
    browser.goto(&format!("{base}/?q=%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD"));
    browser.wait_for_ids(&AI_IDS);
    let layout = browser.js(
        "return [window.innerWidth, document.documentElement.scrollWidth,
                 getComputedStyle(document.getElementById('filters')).display];",
        json!([]),
    );
    let inner = layout[0].as_u64().expect("innerWidth");
    assert!(inner <= 375, "the window is phone-sized: {layout}");
    assert!(
        layout[1].as_u64().expect("scrollWidth") <= inner + 1,
        "no horizontal scroll: {layout}"
    );
    assert_eq!(layout[2], json!("none"), "filters are folded on a phone");
    browser.screenshot(&shots.join("phone.png"));
    browser.click("#filters-toggle");
    browser.click("#facet-tag button[data-value='芯片']");
    browser.wait_for_ids(&["ai-chip-demand"]);
    let width = browser.js("return document.documentElement.scrollWidth;", json!([]));
    assert!(
        width.as_u64().expect("scrollWidth") <= inner + 1,
        "no horizontal scroll with filters open"
    );
    browser.screenshot(&shots.join("phone-filters.png"));

    names_from_data_are_not_object_properties(&browser, &agent, work.path());

    eprintln!("browser test took {:.1} s", started.elapsed().as_secs_f64());
}

/// Issue 13: an article without a URL is read on its own page, opened from the search page.
#[test]
fn article_page_in_a_real_browser() {
    let Some((chromedriver, chromium)) = browser_programs() else {
        return;
    };
    let work = TempDir::new().expect("a temporary directory");
    let agent = agent();
    let dir = work.path().join("index");
    let report = xinwen::indexer::run(
        &IndexDir::new(&dir),
        &[common::fixture("related")],
        &IndexOptions::default(),
        &Silent,
    )
    .expect("index fixtures/related");
    assert_eq!(report.rejected, 0);
    let (_server, base) = serve(&agent, &dir, &work.path().join("server.log"));
    let (_driver, driver_url) = start_driver(&agent, &chromedriver);
    let browser = Browser::start(agent.clone(), &driver_url, &chromium, &work.path().join("profile"));

    browser.goto(&format!("{base}/?q=金库"));
    browser.wait_for_text(".hit[data-id=sf-gold-vault] h2", "顺丰启用黄金金库");
    let href = browser.js(
        "return document.querySelector('.hit[data-id=sf-gold-vault] h2 a').getAttribute('href');",
        json!([]),
    );
    assert_eq!(href, json!("/a/sf-gold-vault"), "a hit without a URL links its page");
    browser.click(".hit[data-id=sf-gold-vault] h2 a");
    browser.wait_for_text("#article h1", "顺丰启用黄金金库 贵金属押运业务扩容");
    assert_eq!(
        browser.texts("#article .body p"),
        [
            "据知情人士透露，顺丰已在深圳启用一座黄金金库，用于贵金属押运与仓储。",
            "记者获悉，这座金库可存放黄金逾百吨，押运车队同步扩容。",
            "消息称，<script>alert(1)</script> 这段文字只是文字。",
        ]
    );
    assert_eq!(browser.texts("#article .categories li"), ["财联社"]);
    assert_eq!(
        browser.texts("#related li a"),
        [
            "顺丰金库黄金押运获保险公司承保",
            "顺丰控股年报：快递件量增长 押运等新业务起步"
        ]
    );
    assert_eq!(
        browser.count("#story:not([hidden])"),
        0,
        "no story list without a story id"
    );
    browser.click("#related li a");
    browser.wait_for_text("#article h1", "顺丰金库黄金押运获保险公司承保");
}

/// Issue 13: copies of one story are one hit on the search page by default, naming the
/// other outlets; the toggle shows every copy and the URL keeps that; an article page lists
/// its story's other outlets, and its related articles are not copies of it.
/// `fixtures/stories/` on its own: pmi-wire, pmi-east, pmi-south and pmi-west are one story
/// (tests/stories.rs); pmi-services and the two short flashes are stories of their own.
#[test]
fn story_collapse_in_a_real_browser() {
    let Some((chromedriver, chromium)) = browser_programs() else {
        return;
    };
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let work = TempDir::new().expect("a temporary directory");
    let agent = agent();
    let dir = work.path().join("index");
    // The index's own name for caijing (`xinwen index --categories FILE`) is the one shown.
    let names = work.path().join("categories.txt");
    fs::write(&names, "caijing = 财经要闻\n").expect("write the categories file");
    let options = IndexOptions {
        words: WordsUpdate {
            categories: Some(read_categories(&names).expect("a good categories file")),
            ..WordsUpdate::default()
        },
        ..IndexOptions::default()
    };
    let report = xinwen::indexer::run(&IndexDir::new(&dir), &[common::fixture("stories")], &options, &Silent)
        .expect("index fixtures/stories");
    assert_eq!((report.new, report.rejected), (10, 0));
    let (_server, base) = serve(&agent, &dir, &work.path().join("server.log"));
    let (_driver, driver_url) = start_driver(&agent, &chromedriver);
    let browser = Browser::start(agent.clone(), &driver_url, &chromium, &work.path().join("profile"));
    let checked = || browser.js("return document.getElementById('stories').checked;", json!([]));

    // The default: one hit per story, the best-scoring copy, with the other outlets named.
    browser.goto(&format!("{base}/?q=%E5%88%B6%E9%80%A0%E4%B8%9A"));
    browser.wait_for_ids(&STORY_HITS);
    assert_eq!(checked(), json!(true));
    assert!(
        browser.text("#total").starts_with("共 4 条结果（合并同一报道"),
        "{}",
        browser.text("#total")
    );
    assert_eq!(
        browser.texts("#results .others"),
        [STORY_OTHERS_LINE],
        "only the story with copies has the line"
    );
    assert_eq!(
        browser.texts(&format!(".hit[data-id={}] .others a", STORY_HITS[0])),
        STORY_OTHER_OUTLETS
    );
    let links = browser.js(
        &format!(
            "return [...document.querySelectorAll('.hit[data-id={}] .others a')].map((a) => a.getAttribute('href'));",
            STORY_HITS[0]
        ),
        json!([]),
    );
    assert_eq!(links, json!(STORY_OTHER_LINKS));
    assert_eq!(browser.text(".hit[data-id=pmi-east] .meta span"), "财经要闻");
    assert_eq!(browser.texts("#facet-category .name"), ["财经要闻"]);
    browser.screenshot(&shots.join("stories.png"));

    // Off: every copy, and the URL says so, through a reload too.
    browser.click("#stories");
    browser.wait_for_ids(&ALL_COPIES);
    assert_eq!(checked(), json!(false));
    assert_eq!(browser.count("#results .others"), 0);
    assert!(
        browser.text("#total").starts_with("共 7 条结果（"),
        "{}",
        browser.text("#total")
    );
    let url = browser.url();
    assert!(url.contains("collapse=none"), "{url}");
    browser.cmd("POST", "/refresh", Some(json!({})));
    browser.wait_for_ids(&ALL_COPIES);
    assert_eq!(checked(), json!(false), "a reload keeps the toggle off");
    assert_eq!(browser.url(), url);
    browser.screenshot(&shots.join("stories-off.png"));

    // On again; back returns to the flat list.
    browser.click("#stories");
    browser.wait_for_ids(&STORY_HITS);
    assert!(!browser.url().contains("collapse="), "{}", browser.url());
    browser.cmd("POST", "/back", Some(json!({})));
    browser.wait_for_ids(&ALL_COPIES);

    // The article page of a copy: its story's other outlets, and related articles that are
    // not copies of it.
    browser.goto(&format!("{base}/a/pmi-east"));
    browser.wait_for_text("#article h1", "制造业景气度连续三月扩张");
    assert_eq!(browser.texts("#article .categories li"), ["财经要闻"]);
    wait_until("the story list", TIMEOUT, || {
        (browser.count("#story:not([hidden]) li") == 3).then_some(())
    });
    assert_eq!(
        browser.texts("#story li a"),
        [
            "五月制造业PMI回升至50.8%",
            "统计局：5月PMI为50.8%",
            "PMI连续三个月站上荣枯线"
        ]
    );
    assert_eq!(
        browser.texts("#story li .meta"),
        [
            "青溪财经 · 2024-05-31",
            "南岭日报 · 2024-05-31",
            "西川商报 · 2024-05-31"
        ]
    );
    // Its copies share every telling word; pmi-services, the only other candidate, is cut
    // as too weak: without the story exclusion the three copies would be listed.
    assert_eq!(browser.count("#related li"), 0);
    assert_eq!(browser.texts("#related .none"), ["没有相关文章。"]);
    browser.screenshot(&shots.join("story-article.png"));
    browser.click("#story li a");
    browser.wait_for_text("#article h1", "五月制造业PMI回升至50.8%");
    wait_until("the founder's story list", TIMEOUT, || {
        (browser.texts("#story:not([hidden]) li a")
            == [
                "制造业景气度连续三月扩张",
                "统计局：5月PMI为50.8%",
                "PMI连续三个月站上荣枯线",
            ])
        .then_some(())
    });

    // 为什么匹配 names a number found in another written form, and the word typed.
    browser.goto(&format!("{base}/?q=%E4%BA%8C%E5%8D%81%E4%BA%BF%E5%85%83"));
    browser.wait_for_ids(&["omo-mon", "omo-fri-copy"]);
    browser.click(".hit[data-id=omo-mon] .why-toggle");
    browser.wait_for_text(".hit[data-id=omo-mon] .why", "得分 0.8");
    assert_eq!(
        browser.texts(".hit[data-id=omo-mon] .why li"),
        ["含数字的另一写法「20亿元」：+0.8（由「二十亿元」扩展：数字写法）"]
    );
}

/// `制造业` on `fixtures/stories/`, one hit per story (the page's default), best first: the
/// PMI story by its best-scoring copy.
const STORY_HITS: [&str; 4] = ["pmi-east", "pmi-services", "flash-close", "flash-close-copy"];
/// The line under the PMI story's hit: its other copies, newest first.
const STORY_OTHERS_LINE: &str = "另有 3 家媒体报道：西川商报 2024-05-31、南岭日报 2024-05-31、青溪财经 2024-05-31";
/// The outlets that line names, and the pages they link.
const STORY_OTHER_OUTLETS: [&str; 3] = ["西川商报", "南岭日报", "青溪财经"];
const STORY_OTHER_LINKS: [&str; 3] = ["/a/pmi-west", "/a/pmi-south", "/a/pmi-wire"];
/// `制造业` with the toggle off: every copy, by score.
const ALL_COPIES: [&str; 7] = [
    "pmi-east",
    "pmi-services",
    "pmi-wire",
    "pmi-west",
    "pmi-south",
    "flash-close",
    "flash-close-copy",
];
