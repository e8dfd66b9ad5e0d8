//! `kanerva eval --checkpoint CKPT --data FILE [--episodes N] [--episode-size T] --json`

use std::path::PathBuf;

use anyhow::Context;
use kanerva::backend::inference_device;
use kanerva::data::{load_named, to_model_size};
use kanerva::eval::evaluate_elbo;
use kanerva::train::load_checkpoint;

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Test data (u8 data is binarized at 0.5; episodes come from a fixed-seed permutation).
    #[arg(long)]
    pub data: String,
    #[arg(long, default_value_t = 200)]
    pub episodes: usize,
    #[arg(long, default_value_t = 32)]
    pub episode_size: usize,
    /// Read with the latent variables at their posterior means (w = μ) instead of samples.
    #[arg(long)]
    pub mean_w: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let device = inference_device();
    let loaded = load_checkpoint(&args.checkpoint, &device)?;
    let set = to_model_size(load_named(&args.data).with_context(|| format!("reading {}", args.data))?);
    anyhow::ensure!(set.len() >= args.episode_size, "{}: {} images, fewer than one episode of {}", args.data, set.len(), args.episode_size);
    // Same seed for every run: w samples are reproducible.
    device.seed(0);
    let report = evaluate_elbo(&loaded.model, &set, args.episodes, args.episode_size, !args.mean_w, &device);
    if args.json {
        let mut value = serde_json::to_value(report)?;
        value["checkpoint_steps"] = loaded.card.steps.into();
        value["model"] = loaded.model.kind().into();
        value["data"] = args.data.into();
        println!("{value}");
    } else {
        println!(
            "{} -ELBO/T {:.2} nats/image (recon {:.2}, KL(addressing) {:.2}, KL(z) {:.2}, KL(M)/T {:.2}; AE {:.2}) on {} episodes of {}, latents {}",
            loaded.model.display_kind(),
            report.nats_per_image,
            report.recon_nats,
            report.kl_addressing_nats,
            report.kl_code_nats,
            report.kl_memory_nats,
            report.ae_nats,
            report.episodes,
            report.episode_size,
            if report.sampled_w { "sampled" } else { "= means" }
        );
    }
    Ok(())
}
