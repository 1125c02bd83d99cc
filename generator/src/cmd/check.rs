//! `lyceum check`.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args, _globals: &super::Globals) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`lyceum check` is not implemented yet")
}
