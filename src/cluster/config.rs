//! What `xinwen backend config` prints for one node: a complete `searchd` configuration
//! for Sphinx 2.2.11 (`sphinx2`), or for Manticore in RT mode the `searchd` section and the
//! `CREATE TABLE` statements to run. Node I holds shard I of both table sets (`NAME_a_I`,
//! `NAME_b_I`), a distributed table per set over its own shard and the other nodes'
//! shards (`NAME_a`, `NAME_b`), and a copy of the pointer table (`NAME_meta`).

use std::path::Path;

use super::ClusterError;
use super::document::{BIGINT_ATTRS, CHARSET_TABLE, FIELDS, MVA_ATTRS, STRING_ATTRS, UINT_ATTRS};
use super::spec::{ClusterSpec, GENERATIONS, Generation};

/// How long a distributed table waits for a remote shard to accept, in milliseconds.
pub const AGENT_CONNECT_TIMEOUT_MS: u32 = 300;

/// How long a distributed table waits for a remote shard's answer, in milliseconds; then
/// it answers with the other shards and a warning (xinwen's `partial`).
pub const AGENT_QUERY_TIMEOUT_MS: u32 = 2000;

/// RAM a shard's in-memory chunk may take before the engine writes it to disk.
pub const RT_MEM_LIMIT: &str = "256M";

/// The stopword file beside the data: one line, `_`, the gap token of the `*_c` fields.
pub const STOPWORDS_FILE: &str = "stopwords.txt";

/// Which engine the configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// Sphinx 2.2.11 (Debian's `sphinxsearch`): a configuration file.
    Sphinx2,
    /// Manticore Search in RT mode: statements.
    Manticore,
}

/// Renders what node `node` of `spec` needs, with its data under `data`.
pub fn render(engine: EngineKind, spec: &ClusterSpec, node: usize, data: &Path) -> Result<String, ClusterError> {
    if node >= spec.nodes.len() {
        return Err(ClusterError::InvalidSpec(format!(
            "--node {node}: the cluster has nodes 0 to {}",
            spec.nodes.len() - 1
        )));
    }
    let data = data
        .to_str()
        .filter(|d| !d.is_empty() && !d.contains(['\n', '\'', '#', '\\']))
        .ok_or_else(|| {
            ClusterError::InvalidSpec(format!(
                "--data {}: use a path without newlines, quotes, # or backslashes",
                data.display()
            ))
        })?;
    let data = data.trim_end_matches('/');
    Ok(match engine {
        EngineKind::Sphinx2 => sphinx2(spec, node, data),
        EngineKind::Manticore => manticore(spec, node, data),
    })
}

fn header(engine: &str, spec: &ClusterSpec, node: usize, data: &str, comment: &str) -> String {
    let nodes: Vec<String> = spec.nodes.iter().map(ToString::to_string).collect();
    let lines = [
        format!(
            "xinwen cluster, node {node} of {} ({engine}), table set {}",
            spec.nodes.len(),
            spec.table
        ),
        format!(
            "xinwen backend config --engine {engine} --nodes {} --node {node} --data {data} --table {}",
            nodes.join(","),
            spec.table
        ),
        format!("before the first start: mkdir -p {data} && printf '_\\n' > {data}/{STOPWORDS_FILE}"),
    ];
    lines.iter().map(|l| format!("{comment} {l}\n")).collect()
}

/// The `searchd` section: SphinxQL on the node's port, the agent API on port + 6.
fn searchd_section(spec: &ClusterSpec, node: usize, data: &str, rt_mode: bool) -> String {
    let n = &spec.nodes[node];
    let mut lines = vec![
        format!("listen = {}:{}:mysql41", n.host, n.port),
        format!("listen = {}:{}", n.host, n.agent_port()),
        "workers = threads".to_string(),
        format!("pid_file = {data}/searchd.pid"),
        format!("log = {data}/searchd.log"),
        format!("query_log = {data}/query.log"),
        format!("binlog_path = {data}"),
        "max_packet_size = 8M".into(),
        "read_timeout = 5".into(),
    ];
    if rt_mode {
        lines.push(format!("data_dir = {data}"));
    }
    let body: String = lines.iter().map(|l| format!("    {l}\n")).collect();
    format!("searchd\n{{\n{body}}}\n")
}

fn sphinx2(spec: &ClusterSpec, node: usize, data: &str) -> String {
    let mut out = header("sphinx2", spec, node, data, "#");
    out.push_str(&format!(
        "# start: searchd --config FILE; stop: kill -TERM $(cat {data}/searchd.pid)\n"
    ));
    for generation in GENERATIONS {
        let shard = spec.shard_table(generation, node);
        let mut lines = vec!["type = rt".to_string(), format!("path = {data}/{shard}")];
        lines.extend(FIELDS.iter().map(|f| format!("rt_field = {f}")));
        lines.extend(STRING_ATTRS.iter().map(|a| format!("rt_attr_string = {a}")));
        lines.extend(BIGINT_ATTRS.iter().map(|a| format!("rt_attr_bigint = {a}")));
        lines.extend(UINT_ATTRS.iter().map(|a| format!("rt_attr_uint = {a}")));
        lines.extend(MVA_ATTRS.iter().map(|a| format!("rt_attr_multi_64 = {a}")));
        lines.extend(text_settings(data).iter().map(|(k, v)| format!("{k} = {v}")));
        lines.push(format!("rt_mem_limit = {RT_MEM_LIMIT}"));
        out.push_str(&section(&format!("index {shard}"), &lines));
        out.push_str(&section(
            &format!("index {}", spec.distributed_table(generation)),
            &distributed(spec, generation, node),
        ));
    }
    let meta = spec.meta_table();
    out.push_str(&section(
        &format!("index {meta}"),
        &[
            "type = rt".to_string(),
            format!("path = {data}/{meta}"),
            "rt_field = note".into(),
            "rt_attr_string = live".into(),
        ],
    ));
    out.push('\n');
    out.push_str(&searchd_section(spec, node, data, false));
    out
}

/// Settings that make the engine keep xinwen's tokens as they are.
fn text_settings(data: &str) -> Vec<(&'static str, String)> {
    vec![
        ("charset_table", CHARSET_TABLE.to_string()),
        ("min_word_len", "1".into()),
        ("dict", "keywords".into()),
        ("stopwords", format!("{data}/{STOPWORDS_FILE}")),
        ("stopword_step", "1".into()),
        ("index_field_lengths", "1".into()),
    ]
}

/// A distributed table's lines: its own shard local, every other node's as an agent.
fn distributed(spec: &ClusterSpec, generation: Generation, node: usize) -> Vec<String> {
    let mut lines = vec![
        "type = distributed".to_string(),
        format!("local = {}", spec.shard_table(generation, node)),
    ];
    for (i, other) in spec.nodes.iter().enumerate().filter(|&(i, _)| i != node) {
        lines.push(format!(
            "agent = {}:{}:{}",
            other.host,
            other.agent_port(),
            spec.shard_table(generation, i)
        ));
    }
    lines.push(format!("agent_connect_timeout = {AGENT_CONNECT_TIMEOUT_MS}"));
    lines.push(format!("agent_query_timeout = {AGENT_QUERY_TIMEOUT_MS}"));
    lines
}

fn section(title: &str, lines: &[String]) -> String {
    let body: String = lines.iter().map(|l| format!("    {l}\n")).collect();
    format!("\n{title}\n{{\n{body}}}\n")
}

fn manticore(spec: &ClusterSpec, node: usize, data: &str) -> String {
    let mut out = header("manticore", spec, node, data, "--");
    out.push_str("-- searchd.conf (RT mode: no index sections; the tables are created below):\n");
    for line in searchd_section(spec, node, data, true).lines() {
        out.push_str(&format!("--   {line}\n"));
    }
    out.push_str(&format!(
        "-- then run these statements on the node: mysql -h {} -P {} < FILE\n",
        spec.nodes[node].host, spec.nodes[node].port
    ));
    let settings: Vec<String> = text_settings(data)
        .into_iter()
        .map(|(k, v)| format!("{k}='{v}'"))
        .collect();
    let mut columns: Vec<String> = FIELDS.iter().map(|f| format!("{f} text indexed")).collect();
    columns.extend(STRING_ATTRS.iter().map(|a| format!("{a} string")));
    columns.extend(BIGINT_ATTRS.iter().map(|a| format!("{a} bigint")));
    columns.extend(UINT_ATTRS.iter().map(|a| format!("{a} uint")));
    columns.extend(MVA_ATTRS.iter().map(|a| format!("{a} multi64")));
    for generation in GENERATIONS {
        out.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS {} ({}) {} rt_mem_limit='{RT_MEM_LIMIT}';\n",
            spec.shard_table(generation, node),
            columns.join(", "),
            settings.join(" ")
        ));
    }
    for generation in GENERATIONS {
        let mut options = vec![
            "type='distributed'".to_string(),
            format!("local='{}'", spec.shard_table(generation, node)),
        ];
        for (i, other) in spec.nodes.iter().enumerate().filter(|&(i, _)| i != node) {
            options.push(format!(
                "agent='{}:{}:{}'",
                other.host,
                other.agent_port(),
                spec.shard_table(generation, i)
            ));
        }
        options.push(format!("agent_connect_timeout='{AGENT_CONNECT_TIMEOUT_MS}'"));
        options.push(format!("agent_query_timeout='{AGENT_QUERY_TIMEOUT_MS}'"));
        out.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS {} {};\n",
            spec.distributed_table(generation),
            options.join(" ")
        ));
    }
    out.push_str(&format!(
        "CREATE TABLE IF NOT EXISTS {} (note text indexed, live string);\n",
        spec.meta_table()
    ));
    out
}
