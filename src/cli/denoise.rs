//! `kanerva denoise --checkpoint CKPT --data FILE --noise salt-pepper:0.15 --iterations 10
//!  [--update mode|mean|sample] [--episodes N] [--amortization-gap] --json`

use std::path::PathBuf;

use anyhow::Context;
use kanerva::data::{Corruption, load_named, to_model_size};
use kanerva::backend::inference_device;
use kanerva::eval::{amortization_gap, denoise};
use kanerva::model::DkmAttractor;
use kanerva::train::{LoadedModel, load_checkpoint};
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
    /// DKM only: split each mode step into its pixel step and its re-addressing, and compare
    /// with a guarded reading that keeps the old address when the new one is worse.
    #[arg(long)]
    pub amortization_gap: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn parse_update(s: &str) -> Result<ReadUpdate, String> {
    ReadUpdate::ALL.into_iter().find(|u| u.name() == s).ok_or_else(|| format!("unknown update {s:?} (mode, mean or sample)"))
}

pub fn run(args: DenoiseArgs) -> anyhow::Result<()> {
    if args.amortization_gap {
        return run_gap(&args);
    }
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

fn run_gap(args: &DenoiseArgs) -> anyhow::Result<()> {
    let device = inference_device();
    let loaded = load_checkpoint(&args.checkpoint, &device)?;
    let LoadedModel::Dkm(model, config) = loaded.model else {
        anyhow::bail!("--amortization-gap analyses a DKM's reading; {} holds a {:?} model", args.checkpoint.display(), loaded.card.model_kind);
    };
    let mut memory = DkmAttractor::new("dkm", model, config, device);
    let set = to_model_size(load_named(&args.data).with_context(|| format!("reading {}", args.data))?);
    let report = amortization_gap(&mut memory, &set, args.noise, args.iterations, args.episodes, args.episode_size, args.seed)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{} ({} queries, {} mode steps)", report.corruption, report.queries, report.transitions);
        println!("energy rose in {:.2}% of steps; the pixel step raised it in {:.2}%", 100.0 * report.increase_fraction, 100.0 * report.pixel_step_increase_fraction);
        println!("rises where re-addressing was worse than the old address: {:.2}%", 100.0 * report.rises_from_readdressing_fraction);
        println!("mean pixel step {:+.3} nats, mean re-addressing {:+.3} nats", report.mean_pixel_step_nats, report.mean_readdressing_nats);
        println!("pixel error plain:   {:?}", report.plain_pixel_error.iter().map(|e| format!("{e:.4}")).collect::<Vec<_>>());
        println!("pixel error guarded: {:?}", report.guarded_pixel_error.iter().map(|e| format!("{e:.4}")).collect::<Vec<_>>());
        println!("guarded: monotone {:.2}%, kept the old address in {:.2}% of steps", 100.0 * report.guarded_monotone_fraction, 100.0 * report.guard_kept_fraction);
    }
    Ok(())
}
