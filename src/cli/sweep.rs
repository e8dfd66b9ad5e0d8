//! `kanerva sweep --model hopfield|modern-hopfield|sdm|km|dkm [--checkpoint CKPT]
//!  --patterns random|FILE --stored 10,20,40 --noise salt-pepper:0.1 [--noise-levels 0,0.1,0.2] --json`

use std::path::PathBuf;

use anyhow::Context;
use kanerva::data::{Corruption, load_named, to_model_size};
use kanerva::eval::{PatternSource, SweepAxis, sweep, sweep_settings};
use kanerva::memory::AttractorMemory;
use kanerva::memory::hopfield::{Hopfield, HopfieldConfig, LearningRule};
use kanerva::memory::modern_hopfield::ModernHopfield;
use kanerva::memory::sdm::{Sdm, SdmConfig};
use super::trained::trained_memory;

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// hopfield, hopfield-storkey, hopfield-pinv, modern-hopfield, sdm, km or dkm.
    #[arg(long)]
    pub model: String,
    /// Needed for --model km and --model dkm.
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
    #[arg(long, default_value_t = 10)]
    pub iterations: usize,
    /// Inverse temperature of the modern Hopfield network.
    #[arg(long, default_value_t = 20.0)]
    pub beta: f64,
    /// Hard locations of the SDM.
    #[arg(long, default_value_t = 20_000)]
    pub locations: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
}

pub fn build_memory(model: &str, checkpoint: Option<&PathBuf>, beta: f64, locations: usize) -> anyhow::Result<Box<dyn AttractorMemory>> {
    let hopfield = |rule| Box::new(Hopfield::new(HopfieldConfig { rule, ..Default::default() })) as Box<dyn AttractorMemory>;
    Ok(match model {
        "hopfield" => hopfield(LearningRule::Hebbian),
        "hopfield-storkey" => hopfield(LearningRule::Storkey),
        "hopfield-pinv" => hopfield(LearningRule::PseudoInverse),
        "modern-hopfield" => Box::new(ModernHopfield::new(beta)),
        "sdm" => Box::new(Sdm::new(SdmConfig { locations, ..SdmConfig::default() })),
        "dkm" | "km" => {
            let path = checkpoint.with_context(|| format!("--model {model} needs --checkpoint"))?;
            trained_memory(path, Some(model))?.1
        }
        other => anyhow::bail!("unknown --model {other:?} (hopfield, hopfield-storkey, hopfield-pinv, modern-hopfield, sdm, km, dkm)"),
    })
}

pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    let mut memory = build_memory(&args.model, args.checkpoint.as_ref(), args.beta, args.locations)?;
    let source = if args.patterns == "random" {
        PatternSource::Random { seed: args.seed }
    } else {
        PatternSource::Data(to_model_size(load_named(&args.patterns).with_context(|| format!("reading {}", args.patterns))?))
    };
    let (axis, levels) = match &args.noise_levels {
        Some(levels) => {
            anyhow::ensure!(args.stored.len() == 1, "--noise-levels sweeps the corruption at one --stored count; give exactly one");
            (SweepAxis::NoiseLevel, levels.clone())
        }
        None => (SweepAxis::Stored, Vec::new()),
    };
    let settings = sweep_settings(axis, &args.stored, args.noise, &levels);
    let points = sweep(memory.as_mut(), &source, &settings, args.iterations, args.seed, &mut |done, total, p| {
        eprintln!("[{done}/{total}] stored {:>4}, {} {:.3}: recall error {:.4} (query {:.4})", p.stored, args.noise.kind(), p.noise_level, p.recall_error, p.query_error);
        true
    })?;
    if args.json {
        let noise = if axis == SweepAxis::NoiseLevel { args.noise.kind().to_string() } else { args.noise.to_string() };
        println!("{}", serde_json::json!({ "model": args.model, "patterns": args.patterns, "noise": noise, "axis": axis, "iterations": args.iterations, "points": points }));
    }
    Ok(())
}
