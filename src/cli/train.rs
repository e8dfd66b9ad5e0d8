//! `kanerva train --model KIND --data FILE --steps N --out CKPT [--resume]`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use kanerva::backend::training_device;
use kanerva::catalog::{model_spec, train};
use kanerva::data::{load_named, to_model_size};
use kanerva::model::{ModelKind, ModelOptions};
use kanerva::train::{CheckpointFile, ModelSpec, TrainConfig, TrainEvent, TrainJob, TrainOutcome, TrainStart};

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Model kind.
    #[arg(long, value_enum, default_value_t = ModelKind::Dkm)]
    pub model: ModelKind,
    /// Training data: a file (IMG1, IDX, pictures), embedded:mnist-train, optionally
    /// `PATH#labels=A..B`. Grey images are binarized afresh at every draw.
    #[arg(long)]
    pub data: String,
    /// Total optimizer steps (a resumed run counts the steps already taken).
    #[arg(long)]
    pub steps: u64,
    /// Where to write the checkpoint (and NAME.card.json beside it). Checked before training
    /// starts.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue from the checkpoint at --out (model, optimizer state, step count, card history).
    #[arg(long)]
    pub resume: bool,
    /// Start from this checkpoint (its architecture, parameters, optimizer state and step
    /// count) and train on with the loss weights given here; the result goes to --out and the
    /// source is left untouched. For experiments on the training objective.
    #[arg(long, conflicts_with = "resume")]
    pub fine_tune_from: Option<PathBuf>,
    #[command(flatten)]
    pub model_options: ModelOptions,
    /// B, episodes per batch.
    #[arg(long, default_value_t = TrainConfig::default().batch)]
    pub batch: usize,
    /// T, images per episode.
    #[arg(long, default_value_t = TrainConfig::default().episode_size)]
    pub episode_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = TrainConfig::default().lr)]
    pub lr: f64,
    /// Seed of the parameter initialisation and of the episodes drawn.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Report metrics every this many steps.
    #[arg(long, default_value_t = TrainConfig::default().log_every)]
    pub log_every: u64,
    /// Save the checkpoint every this many steps (and always at the end).
    #[arg(long, default_value_t = TrainConfig::default().checkpoint_every)]
    pub checkpoint_every: u64,
    /// Stop (and save) after this many minutes; 0 = no limit.
    #[arg(long, default_value_t = TrainConfig::default().max_minutes)]
    pub max_minutes: f64,
    /// Use only the first N images of the data (quick experiments).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print one JSON line per event instead of a progress line.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let config = TrainConfig {
        steps: args.steps,
        batch: args.batch,
        episode_size: args.episode_size,
        lr: args.lr,
        seed: args.seed,
        log_every: args.log_every,
        checkpoint_every: args.checkpoint_every,
        max_minutes: args.max_minutes,
        ..TrainConfig::default()
    };
    config.check().map_err(|e| anyhow::anyhow!("{e}"))?;
    let options = &args.model_options;
    for (flag, given) in [("--obs-noise-std", options.obs_noise_std.is_some()), ("--kl-addressing-weight", options.kl_addressing_weight.is_some()), ("--query-noise", options.query_noise.is_some()), ("--sample-memory", options.sample_memory)] {
        anyhow::ensure!(!given || args.model == ModelKind::Dkm, "{flag} is the DKM's; a {} has no such setting", args.model);
    }
    check_writable(&args.out)?;
    let mut data = to_model_size(load_named(&args.data)?);
    if let Some(n) = args.limit {
        data = data.subset(&(0..n.min(data.len())).collect::<Vec<_>>());
    }
    let (model, start) = if let Some(source) = &args.fine_tune_from {
        (fine_tune_spec(source, args.model, &args.model_options)?, TrainStart::FineTune(source.clone()))
    } else if args.resume {
        // The architecture comes from the checkpoint; the flags must agree with it.
        anyhow::ensure!(args.out.exists(), "--resume needs the checkpoint at --out ({} does not exist)", args.out.display());
        (model_spec(args.model, &args.model_options, args.seed), TrainStart::Resume)
    } else {
        (model_spec(args.model, &args.model_options, args.seed), TrainStart::Fresh)
    };
    let cancel = Arc::new(AtomicBool::new(false));
    install_ctrl_c(cancel.clone());
    let json = args.json;
    let images = data.len();
    let job = TrainJob { model, train: config, data: Arc::new(data), data_name: args.data.clone(), start, out: args.out.clone() };
    let mut on_event = |event: TrainEvent| match event {
        TrainEvent::Started { start_step, total_steps } => {
            if json {
                println!("{}", serde_json::json!({"event": "started", "start_step": start_step, "total_steps": total_steps}));
            } else {
                eprintln!("training {} on {} ({images} images) from step {start_step} to {total_steps}", args.model, args.data);
            }
        }
        TrainEvent::Metrics { step, total_steps, metrics, steps_per_s, eta_s } => {
            if json {
                println!("{}", serde_json::json!({"event": "metrics", "step": step, "metrics": metrics, "steps_per_s": steps_per_s, "eta_s": eta_s}));
            } else {
                let width = 30;
                let filled = (width as f64 * step as f64 / total_steps.max(1) as f64) as usize;
                eprint!(
                    "\r[{}{}] {step}/{total_steps}  {}  {:.2} steps/s  ETA {}   ",
                    "#".repeat(filled.min(width)),
                    "-".repeat(width - filled.min(width)),
                    metrics.terms.summary(),
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
    let outcome = train(&job, &device, &cancel, &mut on_event)?;
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

/// Fails early when `out`'s folder cannot be created or written (rather than after the first
/// checkpoint interval of training).
fn check_writable(out: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(!out.is_dir(), "--out {} is a folder; give a file name", out.display());
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("--out: cannot create {}", dir.display()))?;
    let probe = dir.join(format!(".kanerva-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| format!("--out: cannot write in {}", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// The model config of a `--fine-tune-from` run: the source's (so its parameters fit), with
/// the loss weights of the command line where the kind has them.
fn fine_tune_spec(source: &Path, kind: ModelKind, options: &ModelOptions) -> anyhow::Result<ModelSpec> {
    Ok(kanerva::catalog::fine_tune_spec(kind, &CheckpointFile::read(source)?, options)?)
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
