//! `kanerva`: the explorer (default) and the headless commands. Argument parsing only; the
//! work is in the library.

mod cli;

use clap::Parser;

// The default allocator cost a third of a training step here (../shared/docs/perf-notes.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
