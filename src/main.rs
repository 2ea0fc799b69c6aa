//! The `xinwen` binary: parse arguments, start logging, run, map the outcome to an exit code.

use std::process::ExitCode;

use xinwen::cli::{Command, Outcome};

fn main() -> ExitCode {
    let cli = xinwen::cli::parse();
    // The service logs a line a request by default; the other commands only warnings.
    let default = if matches!(cli.command, Command::Serve(_)) {
        "warn,xinwen=info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("XINWEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match std::env::var("XINWEN_LOG_FORMAT").as_deref().map(str::trim) {
        Err(std::env::VarError::NotPresent) | Ok("" | "text") => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        // One JSON object a line, the event's fields at its top level, for log shippers.
        Ok("json") => logs.json().flatten_event(true).with_current_span(false).init(),
        Ok(other) => {
            eprintln!("xinwen: XINWEN_LOG_FORMAT must be `text` or `json`, not {other:?}");
            return ExitCode::from(2);
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            eprintln!("xinwen: XINWEN_LOG_FORMAT must be `text` or `json`, not a value that is not UTF-8");
            return ExitCode::from(2);
        }
    }
    match xinwen::cli::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::NoHits) => ExitCode::from(1),
        Ok(Outcome::Rejected) => ExitCode::from(2),
        // A reader that stopped reading (`xinwen search … | head`) is not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xinwen: {e:#}");
            ExitCode::from(2)
        }
    }
}
