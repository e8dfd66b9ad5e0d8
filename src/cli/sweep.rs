//! `kanerva sweep --model NAME [--checkpoint CKPT] --patterns random|FILE --stored 10,20,40
//!  --noise salt-pepper:0.1 [--noise-levels 0,0.1,0.2] [--control none|no-write|other-episode] --json`

use std::path::PathBuf;

use kanerva::catalog::memories::DEFAULT_BETA;
use kanerva::finite::ensure_finite;
use kanerva::catalog::{MemoryName, MemorySpec};
use kanerva::data::{Corruption, load_named, to_model_size};
use kanerva::eval::{PatternSource, SweepAxis, SweepControl, check_sweep, sweep, sweep_settings};
use kanerva::memory::sdm::SdmConfig;

use super::options::{JsonArg, ReadArgs};

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    #[arg(long, help = MemoryName::help())]
    pub model: MemoryName,
    /// The checkpoint of a trained --model.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// `random` (unbiased random binary images) or a data file / embedded:NAME.
    #[arg(long, default_value = "random")]
    pub patterns: String,
    /// Comma-separated numbers of stored patterns.
    #[arg(long, value_delimiter = ',', default_value = "10,20,40,80,120,160")]
    pub stored: Vec<usize>,
    /// The corruption of each query (its kind, and its level unless --noise-levels is given).
    #[arg(long, default_value = "flip:0.1")]
    pub noise: Corruption,
    /// Sweep the corruption instead: these levels of the --noise kind (probability, square
    /// side or sigma), at one --stored count.
    #[arg(long, value_delimiter = ',')]
    pub noise_levels: Option<Vec<f64>>,
    /// What is written before the reads: `none` (the n patterns: the measurement), `no-write`
    /// (nothing: the prior memory, zero couplings, the initial fast weights) or
    /// `other-episode` (n other patterns of the source). A memory whose error does not change
    /// under the controls answers from its prior, not from what was written.
    #[arg(long, default_value = "none")]
    pub control: String,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Inverse temperature of the modern Hopfield network (> 0).
    #[arg(long, default_value_t = DEFAULT_BETA)]
    pub beta: f64,
    /// Hard locations of the SDM (at least 1).
    #[arg(long, default_value_t = SdmConfig::default().locations)]
    pub locations: usize,
    #[command(flatten)]
    pub output: JsonArg,
}

pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    let (axis, levels) = match &args.noise_levels {
        Some(levels) => {
            anyhow::ensure!(args.stored.len() == 1, "--noise-levels sweeps the corruption at one --stored count; give exactly one");
            (SweepAxis::NoiseLevel, levels.clone())
        }
        None => (SweepAxis::Stored, Vec::new()),
    };
    let control: SweepControl = args.control.parse().map_err(|e| anyhow::anyhow!("--control: {e}"))?;
    let settings = sweep_settings(axis, &args.stored, args.noise, &levels);
    let plan = args.read.plan()?;
    // Every count checked before a memory is built or data loaded.
    check_sweep(&settings, &plan).map_err(|e| anyhow::anyhow!("--{e}"))?;
    let spec = MemorySpec::from_name(args.model, args.checkpoint.as_deref(), args.beta, args.locations)?;
    spec.validate().map_err(|e| anyhow::anyhow!("--{e}"))?;
    let mut memory = spec.build()?;
    let source = if args.patterns == "random" {
        PatternSource::Random { seed: args.read.seed }
    } else {
        PatternSource::Data(to_model_size(load_named(&args.patterns)?))
    };
    let points = sweep(memory.as_mut(), &source, &settings, &plan, control, &mut |done, total, p| {
        eprintln!("[{done}/{total}] stored {:>4}, {} {:.3}: recall error {:.4} (query {:.4}, blank page {:.4})", p.stored, args.noise.kind(), p.noise_level, p.recall_error, p.query_error, p.blank_error);
        true
    })?;
    ensure_finite(&points, "sweep")?;
    if args.output.json {
        let noise = if axis == SweepAxis::NoiseLevel { args.noise.kind().to_string() } else { args.noise.to_string() };
        println!("{}", serde_json::json!({ "model": args.model.name(), "patterns": args.patterns, "noise": noise, "axis": axis, "iterations": args.read.iterations, "control": control, "points": points }));
    } else {
        if control != SweepControl::None {
            println!("control: {}", control.name());
        }
        println!("{:>7} {:>12} {:>12} {:>12} {:>12} {:>14}", "stored", "noise level", "recall error", "query error", "blank error", "memory floats");
        for p in &points {
            println!("{:>7} {:>12.3} {:>12.4} {:>12.4} {:>12.4} {:>14}", p.stored, p.noise_level, p.recall_error, p.query_error, p.blank_error, p.memory_floats);
        }
    }
    Ok(())
}
