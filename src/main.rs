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
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("XINWEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .init();
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
