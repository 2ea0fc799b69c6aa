//! Which nodes make the cluster and what its tables are called: parsed from
//! `--nodes HOST:PORT,…` and `--table NAME`, or from a backend URL
//! `manticore://HOST:PORT[,HOST:PORT…]/NAME`. Everything else (the generated
//! configuration, the client, the writer) derives table names and ports from here.

use std::fmt;

use super::ClusterError;

/// The default table name (`--table`).
pub const DEFAULT_TABLE: &str = "xinwen";

/// A node's agent (binary API) listener is its SphinxQL port plus this: the engines'
/// conventional 9306 (SphinxQL) / 9312 (API) pair, so `--nodes` names one port a node.
pub const AGENT_PORT_OFFSET: u16 = 6;

/// The most nodes a cluster spec may name: each search fans out to every shard.
pub const MAX_NODES: usize = 64;

/// The two table sets a rebuild alternates between; the pointer table names the live one.
pub const GENERATIONS: [Generation; 2] = [Generation::A, Generation::B];

/// One of the two table sets (see [`GENERATIONS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Generation {
    /// Tables `NAME_a_*`.
    A,
    /// Tables `NAME_b_*`.
    B,
}

impl Generation {
    /// The letter in table names and in the pointer row.
    pub fn letter(self) -> &'static str {
        match self {
            Generation::A => "a",
            Generation::B => "b",
        }
    }

    /// The other set: where a rebuild writes.
    pub fn other(self) -> Generation {
        match self {
            Generation::A => Generation::B,
            Generation::B => Generation::A,
        }
    }

    /// Reads a pointer row's letter.
    pub fn from_letter(letter: &str) -> Option<Generation> {
        match letter {
            "a" => Some(Generation::A),
            "b" => Some(Generation::B),
            _ => None,
        }
    }
}

/// One searchd: the address of its SphinxQL (MySQL protocol) listener.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Node {
    /// Host name or IP address.
    pub host: String,
    /// SphinxQL port.
    pub port: u16,
}

impl Node {
    /// The agent (binary API) port other nodes' distributed tables connect to.
    pub fn agent_port(&self) -> u16 {
        self.port.saturating_add(AGENT_PORT_OFFSET)
    }

    fn parse(raw: &str) -> Result<Node, ClusterError> {
        let bad = |why: &str| ClusterError::InvalidSpec(format!("node {raw:?}: {why}; expected HOST:PORT"));
        let (host, port) = raw.trim().rsplit_once(':').ok_or_else(|| bad("no port"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty()
            || host
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, ',' | '/' | '|' | ';'))
        {
            return Err(bad("not a host name"));
        }
        let port: u16 = port.parse().map_err(|_| bad("not a port number"))?;
        if port == 0 || port > u16::MAX - AGENT_PORT_OFFSET {
            return Err(bad(&format!(
                "port out of range (1 to {}, the agent listens on port + {AGENT_PORT_OFFSET})",
                u16::MAX - AGENT_PORT_OFFSET
            )));
        }
        Ok(Node {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// A cluster: its nodes (node I holds shard I) and the name its tables start with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    /// The nodes, in shard order.
    pub nodes: Vec<Node>,
    /// The table name prefix.
    pub table: String,
}

impl ClusterSpec {
    /// A spec from `HOST:PORT[,HOST:PORT…]` and a table name.
    pub fn new(nodes: &str, table: &str) -> Result<ClusterSpec, ClusterError> {
        let nodes: Vec<Node> = nodes.split(',').map(Node::parse).collect::<Result<_, _>>()?;
        if nodes.len() > MAX_NODES {
            return Err(ClusterError::InvalidSpec(format!(
                "{} nodes, at most {MAX_NODES}",
                nodes.len()
            )));
        }
        for (i, node) in nodes.iter().enumerate() {
            if nodes[..i].contains(node) {
                return Err(ClusterError::InvalidSpec(format!("node {node} is named twice")));
            }
            // Two nodes on one host must not listen on each other's agent port.
            if let Some(other) = nodes[..i]
                .iter()
                .find(|o| o.host == node.host && (o.agent_port() == node.port || node.agent_port() == o.port))
            {
                return Err(ClusterError::InvalidSpec(format!(
                    "nodes {other} and {node} collide: a node's agent listens on its port + {AGENT_PORT_OFFSET}"
                )));
            }
        }
        check_table(table)?;
        Ok(ClusterSpec {
            nodes,
            table: table.to_string(),
        })
    }

    /// A spec from a backend URL: `manticore://HOST:PORT[,HOST:PORT…]/NAME` (`sphinx://` is
    /// the same; without `/NAME` the table is [`DEFAULT_TABLE`]).
    pub fn from_url(url: &str) -> Result<ClusterSpec, ClusterError> {
        let rest = ["manticore://", "sphinx://"]
            .iter()
            .find_map(|scheme| url.strip_prefix(scheme))
            .ok_or_else(|| {
                ClusterError::InvalidSpec(format!("{url:?}: a backend is manticore://HOST:PORT[,HOST:PORT…]/NAME"))
            })?;
        let (nodes, table) = rest.split_once('/').unwrap_or((rest, DEFAULT_TABLE));
        ClusterSpec::new(nodes, if table.is_empty() { DEFAULT_TABLE } else { table })
    }

    /// The shard table of generation `generation` held by node `node`: `NAME_a_0`.
    pub fn shard_table(&self, generation: Generation, node: usize) -> String {
        format!("{}_{}_{node}", self.table, generation.letter())
    }

    /// The distributed table of a generation over every shard: `NAME_a`.
    pub fn distributed_table(&self, generation: Generation) -> String {
        format!("{}_{}", self.table, generation.letter())
    }

    /// The pointer table (one row: the live generation), a copy on every node.
    pub fn meta_table(&self) -> String {
        format!("{}_meta", self.table)
    }

    /// The backend URL of this spec, `manticore://HOST:PORT,…/NAME` (reports name it).
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self.nodes.iter().map(Node::to_string).collect();
        format!("manticore://{}/{}", nodes.join(","), self.table)
    }
}

/// Table names become identifiers in every statement: letters, digits and `_` only,
/// starting with a letter, short enough for the suffixes.
fn check_table(table: &str) -> Result<(), ClusterError> {
    let ok = table.len() <= 48
        && table.starts_with(|c: char| c.is_ascii_lowercase())
        && table
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ClusterError::InvalidSpec(format!(
            "table {table:?}: use 1 to 48 lower-case letters, digits and _, starting with a letter"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_and_tables_parse() {
        let spec = ClusterSpec::new("10.0.0.1:9306, node2:9306", "news").expect("valid");
        assert_eq!(spec.nodes[1].to_string(), "node2:9306");
        assert_eq!(spec.nodes[1].agent_port(), 9312);
        assert_eq!(spec.shard_table(Generation::B, 1), "news_b_1");
        assert_eq!(spec.distributed_table(Generation::A), "news_a");
        assert_eq!(spec.meta_table(), "news_meta");
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let err = |nodes: &str, table: &str| ClusterSpec::new(nodes, table).expect_err("invalid").to_string();
        assert_eq!(
            err("host", "x"),
            "invalid cluster spec: node \"host\": no port; expected HOST:PORT"
        );
        assert_eq!(
            err("h:99999", "x"),
            "invalid cluster spec: node \"h:99999\": not a port number; expected HOST:PORT"
        );
        assert_eq!(err("h:1,h:1", "x"), "invalid cluster spec: node h:1 is named twice");
        assert_eq!(
            err("h:9306,h:9312", "x"),
            "invalid cluster spec: nodes h:9306 and h:9312 collide: a node's agent listens on its port + 6"
        );
        assert_eq!(
            err("h:1", "x-y"),
            "invalid cluster spec: table \"x-y\": use 1 to 48 lower-case letters, digits and _, starting with a letter"
        );
    }

    #[test]
    fn urls_name_nodes_and_table() {
        let spec = ClusterSpec::from_url("manticore://a:9306,b:9306/news").expect("valid");
        assert_eq!((spec.nodes.len(), spec.table.as_str()), (2, "news"));
        assert_eq!(
            ClusterSpec::from_url("sphinx://a:1").expect("valid").table,
            DEFAULT_TABLE
        );
        assert!(ClusterSpec::from_url("http://a:1/x").is_err());
    }
}
