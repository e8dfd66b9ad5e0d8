//! One view per file; each holds its own state and draws itself with `ui`.

pub mod basins;
pub mod canvas;
pub mod dataset;
pub mod filmstrip;
pub mod help;
pub mod memory_panel;
pub mod plots;
pub mod sweep_panel;
pub mod train_panel;
