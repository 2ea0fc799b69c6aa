//! SphinxQL over the MySQL protocol, as both Sphinx 2.2.11 and Manticore accept it: text
//! queries only (no prepared statements, which 2.2.11 lacks), client-side quoting, no
//! session variables but `max_allowed_packet`, and pooled connections that are never
//! "reset" (COM_RESET_CONNECTION and COM_CHANGE_USER are unknown to both servers).
//!
//! The client is the `mysql` crate, configured for that: the crate asks the server for
//! `@@max_allowed_packet` unless told, and resets pooled connections unless told not to.

use std::time::Duration;

use mysql::prelude::Queryable;

use super::spec::Node;

/// How long to wait for a node to accept a connection before trying the next one.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// How long a statement may take before the node counts as not answering. Longer than
/// the distributed tables' `agent_query_timeout`, so a slow agent gives a partial answer
/// from the node we asked rather than no answer.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_millis(5000);

/// The largest packet either side sends; both servers default to 8 MiB (`max_packet_size`).
pub const MAX_PACKET_BYTES: usize = 8 << 20;

/// Pooled connections kept per node.
pub const POOL_CONNECTIONS: usize = 8;

/// Timeouts of one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect (and handshake).
    pub connect: Duration,
    /// Reading an answer, writing a statement.
    pub query: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: DEFAULT_CONNECT_TIMEOUT,
            query: DEFAULT_QUERY_TIMEOUT,
        }
    }
}

/// One result set: column names and rows of text values (`None` for NULL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultSet {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Option<String>>>,
    /// Rows a `REPLACE` or `DELETE` changed.
    pub affected: u64,
}

impl ResultSet {
    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// `SHOW META`-like sets as name → value pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.rows.iter().filter_map(|r| match r.as_slice() {
            [Some(k), Some(v), ..] => Some((k.as_str(), v.as_str())),
            _ => None,
        })
    }
}

/// Why a statement failed on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The node did not answer: refused, timed out, hung up. Reads try another node.
    Down(String),
    /// The node answered with an error.
    Refused(String),
}

/// A node and its connection pool.
pub struct Connection {
    node: Node,
    opts: mysql::Opts,
    pool: Option<mysql::Pool>,
    timeouts: Timeouts,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A lazily connecting pool for `node` (nothing is sent until the first statement).
    pub fn new(node: Node, timeouts: Timeouts, pooled: bool) -> Connection {
        let builder = mysql::OptsBuilder::new()
            .ip_or_hostname(Some(node.host.clone()))
            .tcp_port(node.port)
            .prefer_socket(false)
            .max_allowed_packet(Some(MAX_PACKET_BYTES))
            .stmt_cache_size(Some(0))
            .tcp_connect_timeout(Some(timeouts.connect))
            .read_timeout(Some(timeouts.query))
            .write_timeout(Some(timeouts.query))
            .pool_opts(
                mysql::PoolOpts::default()
                    .with_reset_connection(false)
                    .with_constraints(mysql::PoolConstraints::new(0, POOL_CONNECTIONS).unwrap_or_default()),
            );
        let opts = mysql::Opts::from(builder);
        let pool = if pooled {
            mysql::Pool::new(opts.clone()).ok()
        } else {
            None
        };
        Connection {
            node,
            opts,
            pool,
            timeouts,
        }
    }

    /// The node.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Runs statements separated by `;` and returns every result set, in order. A pooled
    /// connection the server closed meanwhile (a restart) is replaced once.
    pub fn run(&self, sql: &str) -> Result<Vec<ResultSet>, Failure> {
        match self.run_once(sql, true) {
            Err(Failure::Down(_)) if self.pool.is_some() => self.run_once(sql, false),
            other => other,
        }
    }

    fn run_once(&self, sql: &str, pooled: bool) -> Result<Vec<ResultSet>, Failure> {
        let started = std::time::Instant::now();
        let result = match (&self.pool, pooled) {
            // Every pooled connection busy (more searches at once than the pool holds): wait
            // as long as an answer may take, never for ever.
            (Some(pool), true) => pool
                .try_get_conn(self.timeouts.query)
                .map_err(classify)
                .and_then(|mut c| query(&mut c, sql)),
            _ => mysql::Conn::new(self.opts.clone())
                .map_err(classify)
                .and_then(|mut c| query(&mut c, sql)),
        };
        tracing::debug!(node = %self.node, ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "sphinxql");
        result
    }
}

fn query(conn: &mut impl Queryable, sql: &str) -> Result<Vec<ResultSet>, Failure> {
    let mut result = conn.query_iter(sql).map_err(classify)?;
    let mut sets = Vec::new();
    while let Some(set) = result.iter() {
        let columns: Vec<String> = set
            .columns()
            .as_ref()
            .iter()
            .map(|c| c.name_str().into_owned())
            .collect();
        let affected = set.affected_rows();
        let mut rows = Vec::new();
        for row in set {
            let row = row.map_err(classify)?;
            // `unwrap_raw` rather than mysql's panicking `Row::unwrap`: a value already taken
            // out of a row (none is here) reads as NULL instead of a panic.
            let values = row.unwrap_raw().into_iter();
            rows.push(values.map(|v| text(v.unwrap_or(mysql::Value::NULL))).collect());
        }
        sets.push(ResultSet {
            columns,
            rows,
            affected,
        });
    }
    Ok(sets)
}

fn text(value: mysql::Value) -> Option<String> {
    match value {
        mysql::Value::NULL => None,
        mysql::Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        mysql::Value::Int(i) => Some(i.to_string()),
        mysql::Value::UInt(u) => Some(u.to_string()),
        mysql::Value::Float(f) => Some(f.to_string()),
        mysql::Value::Double(d) => Some(d.to_string()),
        other => Some(other.as_sql(true)),
    }
}

/// A failure in a few words: `connection refused`, `no answer in time`, or the error.
fn classify(e: mysql::Error) -> Failure {
    use std::io::ErrorKind;
    let io_reason = |kind: ErrorKind, text: String| match kind {
        ErrorKind::ConnectionRefused => "connection refused".to_string(),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => "no answer in time".to_string(),
        ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::UnexpectedEof
        | ErrorKind::BrokenPipe => "connection closed".to_string(),
        _ => text,
    };
    match e {
        mysql::Error::MySqlError(e) => Failure::Refused(e.message),
        mysql::Error::IoError(e) => Failure::Down(io_reason(e.kind(), e.to_string())),
        mysql::Error::DriverError(mysql::DriverError::ConnectTimeout) => Failure::Down("no answer in time".into()),
        mysql::Error::DriverError(mysql::DriverError::Timeout) => {
            Failure::Down("every pooled connection stayed busy".into())
        }
        mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(Some((_, text, kind)))) => {
            Failure::Down(io_reason(kind, text))
        }
        other => Failure::Down(other.to_string()),
    }
}

/// A SphinxQL string literal: `'…'` with `\` and `'` escaped (both servers unescape `\x`
/// to `x`, and read `\n`, `\t`, `\r` as control characters, so a backslash must always be
/// doubled). NUL cannot pass through either server's lexer and is dropped.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Escapes the full-text query operators of both engines in `text`, for a `MATCH()`
/// expression (before [`quote`]). xinwen's own words never need it ([`super::document::engine_word`]
/// writes none of these characters); it guards anything else that reaches a `MATCH`.
pub fn escape_match(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '(' | ')' | '|' | '-' | '!' | '@' | '~' | '"' | '&' | '/' | '^' | '$' | '=' | '<' | '*' | '\''
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_backslash_and_quote() {
        assert_eq!(quote(r"it's a \ path"), r"'it\'s a \\ path'");
        assert_eq!(quote("nul\0gone"), "'nulgone'");
        assert_eq!(quote("新闻\n第二行"), "'新闻\n第二行'");
    }

    #[test]
    fn match_operators_are_escaped() {
        assert_eq!(
            escape_match(r#"\ ( ) | - ! @ ~ " & / ^ $ = < * '"#),
            r#"\\ \( \) \| \- \! \@ \~ \" \& \/ \^ \$ \= \< \* \'"#
        );
    }
}
