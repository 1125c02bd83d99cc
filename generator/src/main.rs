//! `lyceum`: a thin clap dispatcher. Each subcommand lives in `cmd/<name>.rs` with its own
//! `Args` and `run`; the work itself is in the library (`lyceum::…`).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;

// Linux only (generator/Cargo.toml says why); elsewhere the system allocator.
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Render a markdown membership site into one static bundle, preview it, and manage member tokens.
#[derive(Parser)]
#[command(name = "lyceum", version, about)]
struct Cli {
    #[command(flatten)]
    globals: cmd::Globals,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render the site into a static bundle (default `dist/`).
    Build(cmd::build::Args),
    /// Build, serve through the gate, watch and live-reload.
    Serve(cmd::serve::Args),
    /// Validate the site (front matter, templates, links) without writing anything.
    Check(cmd::check::Args),
    /// Scaffold a new site in an empty directory.
    New(cmd::new::Args),
    /// Issue, verify and make keys for member tokens.
    Token(cmd::token::Args),
    /// Administer members through the site's admin API (serve, wrangler dev, production).
    Members(cmd::members::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => cmd::build::run(args, &cli.globals),
        Command::Serve(args) => cmd::serve::run(args, &cli.globals),
        Command::Check(args) => cmd::check::run(args, &cli.globals),
        Command::New(args) => cmd::new::run(args, &cli.globals),
        Command::Token(args) => cmd::token::run(args, &cli.globals),
        Command::Members(args) => cmd::members::run(args, &cli.globals),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            cmd::report_error(&err, &cli.globals);
            ExitCode::FAILURE
        }
    }
}
