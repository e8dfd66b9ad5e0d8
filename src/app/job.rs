//! The state of one long job (a landscape, a basin map, a sweep, a training run): whether it
//! runs, how far it is, the flag that cancels it, and its own last error. Every long job of the
//! explorer keeps one, so a failure ends only its own job.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use eframe::egui;

#[derive(Debug, Default)]
pub struct JobState {
    running: bool,
    /// (done, total) of the running job, when it reports progress.
    progress: Option<(usize, usize)>,
    cancel: Arc<AtomicBool>,
    /// Why the last run failed, until the next one starts.
    error: Option<String>,
}

impl JobState {
    /// Marks a new run as started; returns the flag that cancels it (the worker polls it).
    pub fn start(&mut self) -> Arc<AtomicBool> {
        self.running = true;
        self.progress = None;
        self.error = None;
        self.cancel = Arc::new(AtomicBool::new(false));
        self.cancel.clone()
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    pub fn progress(&self) -> Option<(usize, usize)> {
        self.progress.filter(|_| self.running)
    }

    pub fn on_progress(&mut self, done: usize, total: usize) {
        self.progress = Some((done, total));
    }

    /// The run ended (done or cancelled).
    pub fn finish(&mut self) {
        self.running = false;
        self.progress = None;
    }

    /// The run failed: it is over, and the panel says why.
    pub fn fail(&mut self, error: String) {
        self.finish();
        self.error = Some(error);
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Asks the running job to stop (it ends at its next progress report).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The progress bar labelled `unit` ("rows", "points") while the job runs, and its error
    /// after a failure.
    pub fn status_ui(&self, ui: &mut egui::Ui, unit: &str) {
        if let Some((done, total)) = self.progress() {
            ui.add(egui::ProgressBar::new(done as f32 / total.max(1) as f32).text(format!("{done}/{total} {unit}")).desired_width(200.0));
        }
        if let Some(error) = &self.error {
            ui.colored_label(egui::Color32::from_rgb(255, 120, 100), format!("failed: {error}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JobState;

    #[test]
    fn a_failure_ends_the_run_and_the_next_start_clears_it() {
        let mut job = JobState::default();
        let flag = job.start();
        job.on_progress(2, 5);
        assert_eq!(job.progress(), Some((2, 5)));
        job.cancel();
        assert!(flag.load(std::sync::atomic::Ordering::Relaxed), "cancel reaches the worker's flag");
        job.fail("no landscape".into());
        assert!(!job.is_running());
        assert_eq!(job.progress(), None);
        assert_eq!(job.error(), Some("no landscape"));
        let fresh = job.start();
        assert!(!fresh.load(std::sync::atomic::Ordering::Relaxed), "a new run gets a new flag");
        assert_eq!(job.error(), None);
    }
}
