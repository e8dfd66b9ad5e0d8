//! `kanerva eval --checkpoint CKPT --data FILE [--episodes N | --every-image] [--episode-size T] [--mean-w]
//! [--memory-gain] [--importance-samples K] [--sample-memory] [--refine-addresses N] --json`: the joint and the memory-conditional
//! bound of a trained model, named, and the controls that show its memory matters.

use anyhow::Context;
use kanerva::backend::inference_device;
use kanerva::catalog::load_checkpoint;
use kanerva::data::{load_named, to_model_size};
use kanerva::finite::ensure_finite;
use kanerva::eval::{Scoring, allocation_clustering, evaluate_bound, evaluate_importance_weighted};
use kanerva::model::HeadlineBound;
use kanerva::model::refined_address::Refinement;
use kanerva::train::{DEFAULT_EPISODE_SIZE, every_image_test_episodes, standard_test_episodes};

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
    #[arg(long, default_value_t = 200, conflicts_with = "every_image")]
    pub episodes: usize,
    /// Score every image of the data once instead of --episodes: all the whole episodes, then
    /// one shorter episode of the images left over (its bound is that of a T-image episode
    /// with T its size; the numbers are per image over all of them).
    #[arg(long)]
    pub every_image: bool,
    /// T, images per episode (the memory holds one episode at a time).
    #[arg(long, default_value_t = DEFAULT_EPISODE_SIZE)]
    pub episode_size: usize,
    /// Read with the latent variables at their posterior means (w = μ) instead of samples: the
    /// numbers are then plug-in values, not bounds, and are named so (`*_plug_in_*`).
    #[arg(long)]
    pub mean_w: bool,
    /// Also score each episode against the memory written from another episode (the next one
    /// at least as long, cut to its size; needs two whole episodes): `memory_gain_nats` is that
    /// conditional bound minus the one against the item's own memory. Positive: the model's
    /// answer owes something to what was written.
    #[arg(long)]
    pub memory_gain: bool,
    /// Also report the memory-conditional importance-weighted bound with K ≥ 1 samples per
    /// image (`iwae_nats_per_image`; every trained kind but the EBMM): −ln of the mean of
    /// proper importance weights, the memory written from the image's episode and held fixed.
    #[arg(long)]
    pub importance_samples: Option<usize>,
    /// Also report the joint bound with each episode's memory drawn from its posterior q(M)
    /// instead of read at its mean R (the DKM only; `joint_sampled_memory_nats_per_image`): the
    /// mean read, the official code's and this tool's default, is a plug-in value in M; this
    /// one is a strict bound.
    #[arg(long)]
    pub sample_memory: bool,
    /// Also report both bounds with each image's addressing posterior q(w) refined by N Adam
    /// steps on its own bound (a mean and a standard deviation per dimension, started at the
    /// amortised ones; the DKM only; our semi-amortised design, not the paper's): bounds of
    /// the same kind and the same model, tighter by what the amortised posterior costs
    /// (`refined_addresses`). Latents sampled.
    #[arg(long, value_name = "N")]
    pub refine_addresses: Option<usize>,
    /// Seed of the latent variables' samples (w; the memory's for the KM). Two runs with the
    /// same seed give the same numbers; several seeds show the sampling spread.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub output: JsonArg,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    at_least_one("--episodes", args.episodes)?;
    at_least_one("--episode-size", args.episode_size)?;
    if let Some(k) = args.importance_samples {
        at_least_one("--importance-samples", k)?;
    }
    let device = inference_device();
    let loaded = load_checkpoint(&args.checkpoint.checkpoint, &device)?;
    let model = loaded.model.as_ref();
    let kind = model.kind();
    let has_bound = model.headline_bound() != HeadlineBound::NotABound;
    anyhow::ensure!(has_bound || (args.importance_samples.is_none() && !args.memory_gain), "--importance-samples and --memory-gain: a {kind}'s loss is not a bound, so it has neither");
    let set = to_model_size(load_named(&args.data)?);
    anyhow::ensure!(set.len() >= args.episode_size, "{}: {} images, fewer than one episode of {}", args.data, set.len(), args.episode_size);
    let sampled = !args.mean_w;
    let episodes = if args.every_image { every_image_test_episodes(&set, args.episode_size) } else { standard_test_episodes(&set, args.episode_size, args.episodes) };
    let whole = episodes.iter().filter(|e| e.len() == args.episode_size).count();
    anyhow::ensure!(!args.memory_gain || whole >= 2, "--memory-gain scores each episode against another episode's memory: {} has {whole} episode(s) of {}", args.data, args.episode_size);
    // Same seed before each pass: the latent draws are reproducible, and the joint and
    // conditional passes of the DKM draw the same w (their difference is its KL(M)/T).
    let score = |scoring: Scoring| {
        device.seed(args.seed);
        evaluate_bound(model, &set, &episodes, sampled, scoring, &device)
    };
    let report = score(Scoring::ModelTerms).expect("every model has its own terms");
    ensure_finite(&report, "eval")?;
    let conditional = if has_bound { score(Scoring::Conditional) } else { None };
    if let Some(c) = &conditional {
        ensure_finite(c, "eval conditional bound")?;
    }
    let other_episode = if args.memory_gain { score(Scoring::OtherEpisodeMemory) } else { None };
    if let Some(o) = &other_episode {
        ensure_finite(o, "eval --memory-gain")?;
    }
    let iwae = match args.importance_samples {
        Some(k) => {
            device.seed(args.seed);
            let value = evaluate_importance_weighted(model, &set, &episodes, k, &device).with_context(|| format!("--importance-samples: no importance-weighted bound for a {kind}"))?;
            ensure_finite(&value, "eval --importance-samples")?;
            Some((k, value))
        }
        None => None,
    };
    let sampled_memory = if args.sample_memory {
        anyhow::ensure!(sampled, "--sample-memory scores a bound, with the latents sampled; leave out --mean-w");
        let report = score(Scoring::SampledMemory).with_context(|| format!("--sample-memory is the DKM's, whose joint number reads the memory at its posterior mean; a {kind}'s is scored as it is (the KM's is already strict in M)"))?;
        ensure_finite(&report, "eval --sample-memory")?;
        Some(report)
    } else {
        None
    };
    let refined = match args.refine_addresses {
        Some(steps) => {
            anyhow::ensure!(sampled, "--refine-addresses scores bounds, with the latents sampled; leave out --mean-w");
            let refined = score(Scoring::RefinedAddresses(Refinement::with_steps(steps))).with_context(|| format!("--refine-addresses: a {kind} has no addressing posterior to refine (the DKM has)"))?;
            ensure_finite(&refined, "eval --refine-addresses")?;
            Some((steps, refined))
        }
        None => None,
    };
    let joint = (model.headline_bound() == HeadlineBound::Joint).then(|| report.headline());
    let gain = other_episode.as_ref().zip(conditional.as_ref()).map(|(o, c)| o.headline() - c.headline());
    // A plug-in value (latents at their means) is not a bound and is never named as one.
    let plug = if sampled { "" } else { "plug_in_" };
    if args.output.json {
        let mut value = serde_json::to_value(&report)?;
        value["checkpoint_steps"] = loaded.card.steps.into();
        value["model"] = kind.name().into();
        value["data"] = args.data.clone().into();
        value["headline_bound"] = serde_json::to_value(model.headline_bound())?;
        match joint {
            Some(j) => value[format!("joint_{plug}nats_per_image")] = j.into(),
            None => value["joint_bound"] = no_joint_bound(model.headline_bound()).into(),
        }
        if let Some(c) = &conditional {
            value[format!("conditional_{plug}nats_per_image")] = c.headline().into();
            value["conditional_terms"] = serde_json::to_value(&c.terms)?;
        }
        if !sampled {
            value["estimate"] = "plug-in (latents at their means), not a bound".into();
        }
        if let Some((k, iwae)) = iwae {
            value["iwae_nats_per_image"] = iwae.into();
            value["importance_samples"] = k.into();
        }
        if let Some(report) = &sampled_memory {
            value["joint_sampled_memory_nats_per_image"] = report.headline().into();
            value["sampled_memory_terms"] = serde_json::to_value(&report.terms)?;
        }
        if let Some((steps, refined)) = &refined {
            let mut terms = serde_json::to_value(&refined.terms)?;
            terms["steps"] = (*steps).into();
            value["refined_addresses"] = terms;
        }
        if let (Some(o), Some(gain)) = (&other_episode, gain) {
            value[format!("other_episode_conditional_{plug}nats_per_image")] = o.headline().into();
            value["memory_gain_nats"] = gain.into();
        }
        // Models that allocate items among memory parts (the PKM): do the parts cluster the
        // classes? (The evaluated images, against their labels.)
        if let Some(clustering) = allocation_clustering(model, &set, report.images, &device) {
            ensure_finite(&clustering, "eval clustering")?;
            value["clustering"] = serde_json::to_value(clustering)?;
        }
        println!("{value}");
    } else {
        let what = if sampled { "bound" } else { "plug-in value, not a bound" };
        println!("{} on {} images ({} episodes of {}{}), latents {}; nats per image:", kind.label(), report.images, report.episodes, report.episode_size, if report.images % report.episode_size.max(1) == 0 { "" } else { ", the last shorter" }, if sampled { "sampled" } else { "at their means" });
        match joint {
            Some(_) => println!("  joint {what} (KL(M)/T included): {}", report.terms.summary()),
            None if model.headline_bound() == HeadlineBound::NotABound => println!("  training loss, not a bound: {}", report.terms.summary()),
            None => println!("  joint bound: {}", no_joint_bound(model.headline_bound())),
        }
        if let Some(c) = &conditional {
            println!("  memory-conditional {what} (memory written from the episode, held fixed): {}", c.terms.summary());
        }
        if let Some((k, iwae)) = iwae {
            println!("  importance-weighted conditional bound, K = {k}: {iwae:.2}");
        }
        if let Some(report) = &sampled_memory {
            println!("  joint bound with the memory drawn from q(M) (strict in M): {}", report.terms.summary());
        }
        if let Some((steps, refined)) = &refined {
            println!("  both bounds with each image's q(w) refined by {steps} steps: {}", refined.terms.summary());
        }
        if let Some(gain) = gain {
            println!("  memory gain (conditional against another episode's memory minus against its own): {gain:.2}");
        }
    }
    Ok(())
}

/// Why a model reports no joint bound.
fn no_joint_bound(headline: HeadlineBound) -> &'static str {
    match headline {
        HeadlineBound::Conditional => "none: the memory is a deterministic function of the episode with no prior over it, so the model defines no joint likelihood of an episode; its headline is the memory-conditional bound",
        _ => "none: the training loss is not a bound",
    }
}
