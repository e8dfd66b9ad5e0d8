//! `kanerva`: the explorer (default) and the headless commands. Argument parsing only; the
//! work is in the library.

mod cli;

use clap::Parser;

// The default allocator cost a third of a training step here (docs/speed.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `enum mi_option_e` (include/mimalloc.h; the Rust
/// bindings name only the v2 options). A test below checks it reads that option's default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory mapped instead of returning it to the OS a second later: the training step
/// frees and reallocates the same buffers every step, and each return made the kernel zero
/// fresh pages on the next touch (23000 page faults and 11% of a step in `clear_page`, 653
/// faults without purging; the step 396 -> 356 ms on one thread, peak RSS 252 -> 269 MB).
fn keep_freed_memory() {
    // SAFETY: sets one integer option; mimalloc's options are plain globals read on purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

fn main() -> std::process::ExitCode {
    keep_freed_memory();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    /// Guards the hand-copied enum value: option 15 must be the purge delay, whose default in
    /// mimalloc v3's src/options.c is 1000 ms (its neighbours default to 1 and 0; nothing in the
    /// test binary sets it, unless MIMALLOC_PURGE_DELAY is in the environment).
    #[test]
    fn option_15_is_mimallocs_purge_delay() {
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) }, 1000);
    }
}
