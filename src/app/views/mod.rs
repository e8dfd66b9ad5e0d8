//! One view per file; each holds its own state and draws itself with `ui`.

pub mod basins;
pub mod canvas;
pub mod dataset;
pub mod episode_strip;
pub mod experiment_panel;
pub mod filmstrip;
pub mod help;
pub mod job_sections;
pub mod keys;
pub mod landscape_view;
pub mod lesson_panel;
pub mod memory_column;
pub mod memory_panel;
pub mod palette;
pub mod path_prompt;
pub mod plots;
pub mod query_panel;
pub mod read_panel;
pub mod sweep_panel;
pub mod top_bar;
pub mod train_panel;
