//! Option groups several subcommands share, defined once and flattened into each.

use std::path::PathBuf;

use kanerva::memory::{Addressing, DEFAULT_SEARCH_STEPS, ReadPlan, ReadUpdate};

/// A trained checkpoint to load.
#[derive(Debug, clap::Args)]
pub struct CheckpointArg {
    /// A checkpoint of any model kind (.ckpt), written by `kanerva train` or the explorer's
    /// train panel; its card says the kind.
    #[arg(long)]
    pub checkpoint: PathBuf,
}

/// How each query is read.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Read iterations per query.
    #[arg(long, default_value_t = ReadPlan::default().iterations)]
    pub iterations: usize,
    /// How each iterate is made from the model's output: mode (threshold at 1/2), mean (feed
    /// back the Bernoulli means) or sample (draw from them).
    #[arg(long, default_value = "mode", value_parser = parse_update)]
    pub update: ReadUpdate,
    /// Seed of the corruptions and of every random choice of the reads.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// How the read chooses the address it holds, in memories that hold one (the DKM):
    /// amortised (the encoder's address of each new image: the paper's read, the energy can
    /// rise), guarded (the encoder's address only when no worse than the held one: never
    /// rises) or optimised (gradient steps on the energy over the address: never rises).
    #[arg(long, default_value = "amortised", value_parser = parse_addressing)]
    pub addressing: Addressing,
    /// Gradient steps (at most) of each optimised address step; each has a line search that
    /// only accepts a lower energy.
    #[arg(long, default_value_t = DEFAULT_SEARCH_STEPS)]
    pub search_steps: usize,
    /// Optimised reads: keep the encoder's address for the query itself and optimise only
    /// the addresses after each pixel step (cleans corrupted queries better; stored items
    /// drift more).
    #[arg(long)]
    pub encoder_query_address: bool,
}

impl ReadArgs {
    /// The read these options describe, refused past the limits (`--iterations`,
    /// `--search-steps`) before any work starts.
    pub fn plan(&self) -> anyhow::Result<ReadPlan> {
        let plan = ReadPlan { iterations: self.iterations, update: self.update, seed: self.seed, addressing: self.addressing, search_steps: self.search_steps, optimise_query: !self.encoder_query_address };
        plan.validate().map_err(|e| anyhow::anyhow!("--{}", e.to_string().replacen('_', "-", 1)))?;
        Ok(plan)
    }
}

pub fn parse_addressing(s: &str) -> Result<Addressing, String> {
    s.parse()
}

/// A UI scale between 0.5 and 3.
#[cfg(feature = "gui")]
pub fn parse_ui_scale(s: &str) -> Result<f32, String> {
    let range = kanerva::app::ui_scale::SCALE_RANGE;
    match s.parse::<f32>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(format!("{s:?}: a scale from {} to {} (1.5 for a projector)", range.start(), range.end())),
    }
}

/// Machine-readable output.
#[derive(Debug, clap::Args)]
pub struct JsonArg {
    /// Print one JSON object on stdout instead of a table (progress still goes to stderr).
    #[arg(long)]
    pub json: bool,
}

pub fn parse_update(s: &str) -> Result<ReadUpdate, String> {
    ReadUpdate::ALL.into_iter().find(|u| u.name() == s).ok_or_else(|| format!("unknown update {s:?} (mode, mean or sample)"))
}

/// Refuses a count of 0 for an option that needs at least one.
pub fn at_least_one(name: &str, value: usize) -> anyhow::Result<()> {
    anyhow::ensure!(value > 0, "{name} must be at least 1");
    Ok(())
}
