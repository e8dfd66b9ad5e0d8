//! `kanerva train --model dkm|km --data FILE --steps N --out CKPT [--resume]`

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use kanerva::backend::training_device;
use kanerva::data::{load_named, to_model_size};
use kanerva::memory::dkm::WriteMode;
use kanerva::memory::dkm::MemoryConfig;
use kanerva::model::{Arch, Dkm, DkmConfig, KmConfig};
use kanerva::train::{AnyModelConfig, CheckpointFile, TrainConfig, TrainEvent, TrainOutcome};

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Model kind: dkm (Dynamic Kanerva Machine) or km (Kanerva Machine).
    #[arg(long, default_value = "dkm")]
    pub model: String,
    /// Training data: a file (IMG1, IDX, pictures) or embedded:mnist-train.
    #[arg(long)]
    pub data: String,
    /// Total optimizer steps (a resumed run counts the steps already taken).
    #[arg(long)]
    pub steps: u64,
    /// Where to write the checkpoint (and NAME.card.json beside it).
    #[arg(long)]
    pub out: PathBuf,
    /// Continue from the checkpoint at --out (model, optimizer state, step count).
    #[arg(long)]
    pub resume: bool,
    /// Start from this DKM checkpoint (its architecture, parameters, optimizer state and step
    /// count) and train on with the loss weights below; the result goes to --out and the
    /// source is left untouched. For experiments on the training objective.
    #[arg(long, conflicts_with = "resume")]
    pub fine_tune_from: Option<PathBuf>,
    /// DKM only: weight of KL(w) in the training loss (unset: 1, the ELBO).
    #[arg(long)]
    pub kl_addressing_weight: Option<f64>,
    /// DKM only: weight of the autoencoder term in the training loss.
    #[arg(long, default_value_t = 1.0)]
    pub ae_weight: f64,
    /// Encoder/decoder: simple or resnet.
    #[arg(long, default_value = "simple")]
    pub arch: Arch,
    /// B, episodes per batch.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// T, images per episode.
    #[arg(long, default_value_t = 32)]
    pub episode_size: usize,
    /// K, memory slots.
    #[arg(long, default_value_t = 32)]
    pub slots: usize,
    /// C, code size.
    #[arg(long, default_value_t = 100)]
    pub code_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 3e-4)]
    pub lr: f64,
    /// KM only: S, size of the addressing latent y.
    #[arg(long, default_value_t = 32)]
    pub address_size: usize,
    /// DKM only: write mode: sequential (official, dynamic addressing) or static (one batched write).
    #[arg(long, default_value = "static")]
    pub write_mode: String,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, default_value_t = 50)]
    pub log_every: u64,
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: u64,
    /// Stop (and save) after this many minutes; 0 = no limit.
    #[arg(long, default_value_t = 0.0)]
    pub max_minutes: f64,
    /// Use only the first N images of the data (quick experiments).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print one JSON line per event instead of a progress line.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.model == "dkm" || args.model == "km", "unknown --model {:?} (dkm or km)", args.model);
    let write_mode = match args.write_mode.as_str() {
        "sequential" => WriteMode::Sequential,
        "static" => WriteMode::StaticBatched,
        other => anyhow::bail!("unknown --write-mode {other:?} (sequential or static)"),
    };
    let mut data = to_model_size(load_named(&args.data).with_context(|| format!("reading {}", args.data))?);
    if let Some(n) = args.limit {
        data = data.subset(&(0..n.min(data.len())).collect::<Vec<_>>());
    }
    let memory = MemoryConfig { slots: args.slots, code_size: args.code_size, write_mode, ..MemoryConfig::default() };
    let config = TrainConfig {
        steps: args.steps,
        batch: args.batch,
        episode_size: args.episode_size,
        lr: args.lr,
        seed: args.seed,
        log_every: args.log_every.max(1),
        checkpoint_every: args.checkpoint_every.max(1),
        max_minutes: args.max_minutes,
        ..TrainConfig::default()
    };
    let mut model_config = if args.model == "km" {
        AnyModelConfig::Km(KmConfig::new().with_arch(args.arch).with_seed(args.seed).with_memory(memory).with_address_size(args.address_size))
    } else {
        AnyModelConfig::Dkm(
            DkmConfig::new()
                .with_arch(args.arch)
                .with_seed(args.seed)
                .with_memory(memory)
                .with_kl_addressing_weight(args.kl_addressing_weight)
                .with_ae_weight(args.ae_weight),
        )
    };
    let resume = if let Some(source) = &args.fine_tune_from {
        anyhow::ensure!(args.model == "dkm", "--fine-tune-from takes a DKM checkpoint (--model dkm)");
        let (file, tuned) = fine_tune_start(source, args.kl_addressing_weight, args.ae_weight)?;
        model_config = AnyModelConfig::Dkm(tuned);
        Some(file)
    } else if args.resume {
        // The architecture comes from the checkpoint; the flags must agree with it.
        Some(CheckpointFile::read(&args.out).context("--resume needs the checkpoint at --out")?)
    } else {
        None
    };
    let cancel = Arc::new(AtomicBool::new(false));
    install_ctrl_c(cancel.clone());
    let json = args.json;
    let mut on_event = |event: TrainEvent| match event {
        TrainEvent::Started { start_step, total_steps } => {
            if json {
                println!("{}", serde_json::json!({"event": "started", "start_step": start_step, "total_steps": total_steps}));
            } else {
                eprintln!("training {} on {} ({} images) from step {start_step} to {total_steps}", args.model, args.data, data.len());
            }
        }
        TrainEvent::Metrics { step, total_steps, metrics, steps_per_s, eta_s } => {
            if json {
                println!("{}", serde_json::json!({"event": "metrics", "step": step, "metrics": metrics, "steps_per_s": steps_per_s, "eta_s": eta_s}));
            } else {
                let width = 30;
                let filled = (width as f64 * step as f64 / total_steps.max(1) as f64) as usize;
                eprint!(
                    "\r[{}{}] {step}/{total_steps}  -ELBO {:.2} nats (recon {:.2}, KL w/y {:.2}, KL z {:.2}, KL M {:.2}, AE {:.2})  {:.2} steps/s  ETA {}   ",
                    "#".repeat(filled.min(width)),
                    "-".repeat(width - filled.min(width)),
                    metrics.nats_per_image,
                    metrics.recon_nats,
                    metrics.kl_addressing_nats,
                    metrics.kl_code_nats,
                    metrics.kl_memory_nats,
                    metrics.ae_nats,
                    steps_per_s,
                    format_duration(eta_s)
                );
                let _ = std::io::stderr().flush();
            }
        }
        TrainEvent::CheckpointSaved { step, path } => {
            if json {
                println!("{}", serde_json::json!({"event": "checkpoint", "step": step, "path": path}));
            }
        }
    };
    let device = training_device();
    let outcome = model_config.train(&config, &data, &args.data, resume.as_ref(), &args.out, &device, &cancel, &mut on_event)?;
    if !json {
        eprintln!();
    }
    let (what, steps) = match outcome {
        TrainOutcome::Completed { steps } => ("completed", steps),
        TrainOutcome::Cancelled { steps } => ("cancelled", steps),
        TrainOutcome::TimeLimit { steps } => ("time limit reached", steps),
    };
    eprintln!("{what} at step {steps}; checkpoint: {}", args.out.display());
    Ok(())
}

/// The checkpoint to continue from for `--fine-tune-from`: the source's model config with the
/// new loss weights, written into the card so the loop's resume check accepts it (the
/// architecture is the source's, so its parameters fit).
fn fine_tune_start(source: &std::path::Path, kl_addressing_weight: Option<f64>, ae_weight: f64) -> anyhow::Result<(CheckpointFile, DkmConfig)> {
    let mut file = CheckpointFile::read(source).with_context(|| format!("reading {}", source.display()))?;
    let tuned = file.config::<Dkm>()?.with_kl_addressing_weight(kl_addressing_weight).with_ae_weight(ae_weight);
    file.card.config = serde_json::to_value(&tuned)?;
    Ok((file, tuned))
}

pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "?".into();
    }
    let s = seconds.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// Ctrl-C asks the loop to stop after the current step (it then saves); a second Ctrl-C kills.
/// A second SIGINT within a second of the first counts as the same one: `timeout -s INT`
/// signals the command and then its whole process group, so the trainer gets two at once
/// (seen on the GPU machine: it died without saving).
fn install_ctrl_c(cancel: Arc<AtomicBool>) {
    let mut first: Option<std::time::Instant> = None;
    let _ = ctrlc::set_handler(move || {
        match first {
            None => {
                first = Some(std::time::Instant::now());
                cancel.store(true, Ordering::SeqCst);
                eprintln!("\nstopping after this step (Ctrl-C again to kill)...");
            }
            Some(t) if t.elapsed() < std::time::Duration::from_secs(1) => {}
            Some(_) => std::process::exit(130),
        }
    });
}
