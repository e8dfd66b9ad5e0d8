//! The papers' experiments, built in: each is data (`spec.rs`, files in
//! `assets/experiments/`), run headless by `kanerva experiment run` or live in the explorer
//! (`run.rs`), and leaves a JSON record, a CSV and PNG plots (`record.rs`, `plot.rs`). Above
//! the catalog, the evaluations and scenes; below the app and the CLI.

pub mod plot;
pub mod point_scene;
pub mod record;
pub mod run;
pub mod spec;
pub mod style;

pub use point_scene::{EpisodeChoice, PointOrigin, scene_request};
pub use record::{ExperimentRecord, PlotSpec, Series, Written};
pub use run::{Progress, run};
pub use spec::{ExperimentSpec, Protocol, built_in, find};
