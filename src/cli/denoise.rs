//! `kanerva denoise --checkpoint CKPT --data FILE --noise salt-pepper:0.15 --iterations 10
//!  [--update mode|mean|sample] [--episodes N] --json`

use std::path::PathBuf;

use anyhow::Context;
use kanerva::data::{Corruption, load_named, to_model_size};
use kanerva::eval::denoise;
use kanerva::memory::ReadUpdate;
use super::trained::trained_memory;

#[derive(Debug, clap::Args)]
pub struct DenoiseArgs {
    #[arg(long)]
    pub checkpoint: PathBuf,
    #[arg(long)]
    pub data: String,
    /// salt-pepper:P, flip:P, occlude:N, erase:N or gauss:SIGMA.
    #[arg(long)]
    pub noise: Corruption,
    #[arg(long, default_value_t = 10)]
    pub iterations: usize,
    /// How each iterate is made from the decoder's Bernoulli means.
    #[arg(long, default_value = "mode", value_parser = parse_update)]
    pub update: ReadUpdate,
    #[arg(long, default_value_t = 20)]
    pub episodes: usize,
    #[arg(long, default_value_t = 32)]
    pub episode_size: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
}

pub fn parse_update(s: &str) -> Result<ReadUpdate, String> {
    ReadUpdate::ALL.into_iter().find(|u| u.name() == s).ok_or_else(|| format!("unknown update {s:?} (mode, mean or sample)"))
}

pub fn run(args: DenoiseArgs) -> anyhow::Result<()> {
    let (_, mut memory) = trained_memory(&args.checkpoint, None)?;
    let set = to_model_size(load_named(&args.data).with_context(|| format!("reading {}", args.data))?);
    let report = denoise(memory.as_mut(), &set, args.noise, args.iterations, args.update, args.episodes, args.episode_size, args.seed)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{} with {} update, {} queries", report.corruption, report.update, report.queries);
        println!("{:>9} {:>12} {:>12}", "iteration", "energy nats", "pixel error");
        for s in &report.steps {
            println!("{:>9} {:>12.2} {:>12.4}", s.iteration, s.energy_nats, s.pixel_error);
        }
        if let Some(m) = report.monotone_fraction {
            println!("energy did not increase in {:.2}% of steps", 100.0 * m);
        }
    }
    Ok(())
}
