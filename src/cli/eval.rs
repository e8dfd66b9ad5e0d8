//! `kanerva eval --checkpoint CKPT --data FILE [--episodes N] [--episode-size T] [--mean-w] --json`

use anyhow::Context;
use kanerva::backend::inference_device;
use kanerva::catalog::load_checkpoint;
use kanerva::data::{load_named, to_model_size};
use kanerva::finite::ensure_finite;
use kanerva::eval::{allocation_clustering, evaluate_elbo, evaluate_importance_weighted, evaluate_with_foreign_memory};
use kanerva::train::DEFAULT_EPISODE_SIZE;

use super::options::{CheckpointArg, JsonArg, at_least_one};

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub checkpoint: CheckpointArg,
    /// Test data: a file (IMG1, IDX, pictures) or embedded:mnist-test, optionally
    /// `PATH#labels=A..B`. Grey data is thresholded at 0.5.
    #[arg(long)]
    pub data: String,
    /// Episodes to evaluate: consecutive, non-overlapping runs of a fixed-seed permutation
    /// of the data (fewer if the data runs out).
    #[arg(long, default_value_t = 200)]
    pub episodes: usize,
    /// T, images per episode (the memory holds one episode at a time).
    #[arg(long, default_value_t = DEFAULT_EPISODE_SIZE)]
    pub episode_size: usize,
    /// Read with the latent variables at their posterior means (w = μ) instead of samples.
    #[arg(long)]
    pub mean_w: bool,
    /// Also score each episode against the memory written from another episode (K++): the
    /// bound's gain from the item's own memory, in nats (`memory_gain_nats`).
    #[arg(long)]
    pub memory_gain: bool,
    /// Also report the memory-conditional importance-weighted bound with K samples per image
    /// (`iwae_nats_per_image`; DKM and K++): −ln of the mean of proper importance weights, the
    /// memory written from the image's episode and held fixed (no KL(M) term).
    #[arg(long)]
    pub importance_samples: Option<usize>,
    #[command(flatten)]
    pub output: JsonArg,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    at_least_one("--episodes", args.episodes)?;
    at_least_one("--episode-size", args.episode_size)?;
    let device = inference_device();
    let loaded = load_checkpoint(&args.checkpoint.checkpoint, &device)?;
    let set = to_model_size(load_named(&args.data)?);
    anyhow::ensure!(set.len() >= args.episode_size, "{}: {} images, fewer than one episode of {}", args.data, set.len(), args.episode_size);
    // Same seed for every run: w samples are reproducible.
    device.seed(0);
    let report = evaluate_elbo(loaded.model.as_ref(), &set, args.episodes, args.episode_size, !args.mean_w, &device);
    ensure_finite(&report, "eval")?;
    if args.output.json {
        let mut value = serde_json::to_value(&report)?;
        value["checkpoint_steps"] = loaded.card.steps.into();
        value["model"] = loaded.model.kind().name().into();
        value["data"] = args.data.clone().into();
        // Models that allocate items among memory parts (the PKM): do the parts cluster the
        // classes? (The evaluated images, against their labels.)
        if let Some(k) = args.importance_samples {
            at_least_one("--importance-samples", k)?;
            device.seed(0);
            let iwae = evaluate_importance_weighted(loaded.model.as_ref(), &set, args.episodes, args.episode_size, k, &device)
                .with_context(|| format!("--importance-samples: no importance-weighted bound for a {}", loaded.model.kind()))?;
            ensure_finite(&iwae, "eval --importance-samples")?;
            value["iwae_nats_per_image"] = iwae.into();
            value["bound"] = "memory-conditional importance-weighted bound (memory written from the image's episode, held fixed)".into();
            value["importance_samples"] = k.into();
        }
        if args.memory_gain {
            device.seed(0);
            let foreign = evaluate_with_foreign_memory(loaded.model.as_ref(), &set, args.episodes, args.episode_size, !args.mean_w, &device)
                .with_context(|| format!("--memory-gain: a {} does not separate the memory from the scored episode", loaded.model.kind()))?;
            ensure_finite(&foreign, "eval --memory-gain")?;
            value["foreign_memory_nats_per_image"] = foreign.headline().into();
            value["memory_gain_nats"] = (foreign.headline() - report.headline()).into();
        }
        if let Some(clustering) = allocation_clustering(loaded.model.as_ref(), &set, report.episodes * report.episode_size, &device) {
            ensure_finite(&clustering, "eval clustering")?;
            value["clustering"] = serde_json::to_value(clustering)?;
        }
        println!("{value}");
    } else {
        println!(
            "{} {} per image on {} episodes of {}, latents {}",
            loaded.model.kind().label(),
            report.terms.summary(),
            report.episodes,
            report.episode_size,
            if report.sampled_w { "sampled" } else { "= means" }
        );
    }
    Ok(())
}
