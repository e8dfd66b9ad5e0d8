//! `kanerva denoise --checkpoint CKPT --data FILE --noise salt-pepper:0.15 --iterations 10
//!  [--update mode|mean|sample] [--episodes N] [--amortization-gap] --json`

use kanerva::backend::inference_device;
use kanerva::finite::ensure_finite;
use kanerva::catalog::load_checkpoint;
use kanerva::data::{Corruption, ImageSet, load_named, to_model_size};
use kanerva::eval::{amortization_gap, denoise};
use kanerva::train::DEFAULT_EPISODE_SIZE;

use super::options::{CheckpointArg, JsonArg, ReadArgs, at_least_one};

#[derive(Debug, clap::Args)]
pub struct DenoiseArgs {
    #[command(flatten)]
    pub checkpoint: CheckpointArg,
    /// The items to store and corrupt: a file (IMG1, IDX, pictures) or embedded:NAME,
    /// optionally `PATH#labels=A..B`; thresholded at 0.5.
    #[arg(long)]
    pub data: String,
    /// The corruption of each query: salt-pepper:P, flip:P, occlude:N, erase:N or gauss:SIGMA.
    #[arg(long)]
    pub noise: Corruption,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Episodes written (one query per stored item): consecutive runs of a fixed-seed
    /// permutation of the data.
    #[arg(long, default_value_t = 20)]
    pub episodes: usize,
    /// T, items per episode.
    #[arg(long, default_value_t = DEFAULT_EPISODE_SIZE)]
    pub episode_size: usize,
    /// DKM only: split each mode step into its pixel step and its re-addressing, and compare
    /// with a guarded reading that keeps the old address when the new one is worse.
    #[arg(long)]
    pub amortization_gap: bool,
    #[command(flatten)]
    pub output: JsonArg,
}

fn load_data(name: &str) -> anyhow::Result<ImageSet> {
    Ok(to_model_size(load_named(name)?))
}

pub fn run(args: DenoiseArgs) -> anyhow::Result<()> {
    at_least_one("--episodes", args.episodes)?;
    at_least_one("--episode-size", args.episode_size)?;
    if args.amortization_gap {
        return run_gap(&args);
    }
    let device = inference_device();
    let loaded = load_checkpoint(&args.checkpoint.checkpoint, &device)?;
    let kind = loaded.model.kind();
    let mut memory = loaded.model.into_attractor(kind.name(), device);
    let set = load_data(&args.data)?;
    let report = denoise(memory.as_mut(), &set, args.noise, &args.read.plan()?, args.episodes, args.episode_size)?;
    ensure_finite(&report, "denoise")?;
    if args.output.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{} with {} update and {} addressing, {} queries", report.corruption, report.update, report.addressing, report.queries);
        println!("{:>9} {:>12} {:>12}", "iteration", "energy nats", "pixel error");
        for s in &report.steps {
            println!("{:>9} {:>12.2} {:>12.4}", s.iteration, s.energy_nats, s.pixel_error);
        }
        if let Some(m) = report.monotone_fraction {
            println!("energy did not increase in {:.2}% of steps", 100.0 * m);
        }
        if let (Some(clean), Some(deep)) = (report.clean_energy_nats, report.at_least_as_deep_as_clean_fraction) {
            println!("clean stored items: {clean:.2} nats; {:.1}% of reads ended at least as deep", 100.0 * deep);
        }
    }
    Ok(())
}

fn run_gap(args: &DenoiseArgs) -> anyhow::Result<()> {
    let device = inference_device();
    let loaded = load_checkpoint(&args.checkpoint.checkpoint, &device)?;
    let found = loaded.card.model_kind;
    let mut memory = loaded.model.into_attractor(found.name(), device);
    if memory.addressed().is_none() {
        anyhow::bail!("--amortization-gap splits reads that hold an address (the DKM's); {} holds a \"{found}\" model", args.checkpoint.checkpoint.display());
    }
    let set = load_data(&args.data)?;
    args.read.plan()?;
    let report = amortization_gap(memory.as_mut(), &set, args.noise, args.read.iterations, args.episodes, args.episode_size, args.read.seed)?;
    ensure_finite(&report, "denoise --amortization-gap")?;
    if args.output.json {
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
