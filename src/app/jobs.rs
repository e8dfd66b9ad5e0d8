//! The explorer's long jobs, each with its panel and its [`super::job::JobState`]: the basin
//! map, the energy landscape, the sweeps, training and the experiments. The worker's answers and failures reach
//! the job they belong to and no other.

use super::views::basins::BasinView;
use super::views::experiment_panel::ExperimentPanel;
use super::views::landscape_view::LandscapeView;
use super::views::sweep_panel::SweepPanel;
use super::views::train_panel::TrainPanel;
use super::worker::{AppError, Job};

#[derive(Default)]
pub struct Jobs {
    pub basins: BasinView,
    pub landscape: LandscapeView,
    pub sweep: SweepPanel,
    pub train: TrainPanel,
    pub experiment: ExperimentPanel,
}

impl Jobs {
    /// Whether any job that waits on the worker is running (training runs beside the others
    /// and is not counted).
    pub fn busy(&self) -> bool {
        self.sweep.job.is_running() || self.basins.job.is_running() || self.landscape.job.is_running() || self.experiment.job.is_running()
    }

    /// Ends `job` with `error`, if it is one of these jobs.
    pub fn on_failed(&mut self, job: Job, error: &AppError) {
        let message = error.to_string();
        match job {
            Job::Basins => self.basins.job.fail(message),
            Job::Landscape => self.landscape.job.fail(message),
            Job::Sweep => self.sweep.on_error(message),
            Job::Train => self.train.job.fail(message),
            Job::Experiment => self.experiment.job.fail(message),
            _ => {}
        }
    }

    /// The memory's contents changed: results drawn from the old contents go.
    pub fn on_memory_changed(&mut self) {
        self.basins.reset();
        self.landscape.reset();
    }
}
