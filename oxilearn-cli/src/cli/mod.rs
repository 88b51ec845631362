//! The commands of the `oxilearn` binary.
//!
//! Exit status: 0 on success, 1 when the command fails (the message on
//! standard error says what to fix), 2 for a usage error (unknown flag,
//! missing argument).

pub mod data;
pub mod fit;
pub mod health;
pub mod inspect;
pub mod predict;
pub mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// oxilearn — fit, inspect, predict with and serve oxilearn models.
#[derive(Debug, Parser)]
#[command(
    name = "oxilearn",
    version,
    about,
    long_about = "oxilearn — fit, inspect, predict with and serve oxilearn models.\n\n\
        Model files are oxilearn's versioned safetensors files (written by `oxilearn fit` \
        or by the library's `save`).",
    after_help = "Exit status: 0 success, 1 failure (the message says what to fix), 2 usage error.\n\
        Run `oxilearn <COMMAND> --help` for the options of each command."
)]
pub struct Cli {
    /// Log format (logs go to standard error).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "OXILEARN_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// Log level or filter (`info`, `debug`, `oxilearn_cli=debug` …; RUST_LOG syntax).
    #[arg(long, global = true, default_value = "info", env = "OXILEARN_LOG")]
    pub log: String,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (structured logging).
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit a model on a CSV or .npy file and save it as a model file.
    Fit(fit::FitArgs),
    /// Predict with a model file on a CSV or .npy file; write CSV.
    Predict(predict::PredictArgs),
    /// Show a model file's metadata (kind, features, classes, hyperparameters, tensors).
    Inspect(inspect::InspectArgs),
    /// Serve a model repository over the Open Inference Protocol v2 (REST).
    Serve(serve::ServeArgs),
    /// Check that a running server is ready (exit 0) — for container health checks.
    Health(health::HealthArgs),
}

/// Sets up logging to standard error.
pub fn init_logging(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // colours only on a terminal: container logs and files get plain text
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// A command's failure: the message printed on standard error.
#[derive(Debug)]
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

/// Parses the command line, runs the command and returns the exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format, &cli.log);
    let result = match cli.command {
        Command::Fit(a) => fit::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Health(a) => health::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}
