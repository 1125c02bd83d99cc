//! `lyceum serve`: preview the site through the same gate as the edge worker, with
//! watching, incremental rebuilds and live reload. The work is in `lyceum::serve`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Site root (holds site.yaml).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 1111)]
    port: u16,
    /// Address to listen on. Requests must name `localhost`, `127.0.0.1` or `[::1]` as
    /// Host (DNS rebinding); on a non-loopback address any IP address too, never a name.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Preview as a member of this level without a token (a site.yaml level id).
    #[arg(long = "as", value_name = "LEVEL")]
    as_level: Option<String>,
    /// Open the site in the default browser.
    #[arg(long)]
    open: bool,
    /// Also build `draft` and `review` pages.
    #[arg(long)]
    drafts: bool,
    /// Folder for the preview build (default: one per site in the system temp folder;
    /// never your dist/).
    #[arg(long, value_name = "DIR", hide = true)]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: Args, globals: &super::Globals) -> anyhow::Result<ExitCode> {
    lyceum::serve::run(lyceum::serve::Options {
        root: args.root,
        bind: args.bind,
        port: args.port,
        preview: args.as_level,
        drafts: args.drafts,
        open: args.open,
        quiet: globals.quiet,
        out: args.out,
    })?;
    Ok(ExitCode::SUCCESS)
}
