//! An experiment run on its own thread, its points sent as events as they land.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;

use crate::experiment::{ExperimentSpec, run};

use super::worker::Event;

/// Starts `spec` (quick or full) on a thread of its own; `send` gets each point and then the
/// record; `cancel` stops the run at its next point.
pub fn spawn(spec: ExperimentSpec, quick: bool, cancel: Arc<AtomicBool>, send: impl Fn(Event) + Send + 'static) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("kanerva-experiment".into())
        .spawn(move || {
            let command = format!("kanerva experiment run {}{}", spec.name, if quick { " --quick" } else { "" });
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run(&spec, quick, &command, &mut |p| {
                    send(Event::ExperimentProgress(Box::new(p.clone())));
                    !cancel.load(Ordering::Relaxed)
                })
            }));
            send(Event::ExperimentFinished(match result {
                Ok(record) => record.map(Box::new),
                Err(_) => Err("the experiment's thread crashed".into()),
            }));
        })
        .context("starting the experiment's thread")?;
    Ok(())
}
