//! `kanerva bench --model dkm,pkm --json`: each trainable kind's hot paths through the same
//! interfaces the training loop and the explorer use, side by side in one run: a training step
//! of the real loop (B = 16, T = 32, embedded MNIST), one read iteration of one query and an
//! episode write of 32 images in the explorable form, and the peak resident memory.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use kanerva::backend::{inference_device, training_device};
use kanerva::catalog::{ModelKind, load_file, model_spec};
use kanerva::data::{Embedded, Image};
use kanerva::memory::ReadUpdate;
use kanerva::model::ModelOptions;
use kanerva::train::{CheckpointFile, TrainConfig, TrainEvent, TrainJob, TrainStart};

use super::bench::median;


/// The peak resident set since the last [`reset_peak_rss`], in MB (Linux; None elsewhere).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Starts a new peak (writing 5 to clear_refs resets VmHWM).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Times `kind` and adds `KIND.key` entries to `results`.
pub fn bench_kind(kind: ModelKind, reps: usize, results: &mut serde_json::Map<String, serde_json::Value>) -> anyhow::Result<()> {
    reset_peak_rss();
    let mut record = |key: &str, value: f64| {
        eprintln!("{:<32} {value:>10.3}", format!("{kind}.{key}"));
        results.insert(format!("{kind}.{key}"), value.into());
    };
    let data = Arc::new(Embedded::MnistTrain.load()?);
    let dir = tempfile_dir()?;
    let out = dir.join(format!("{kind}.ckpt"));
    // The real loop, one event a step: the time between two events is one step (batching,
    // forward, backward, Adam, the loss read back).
    let warm = 3;
    let train = TrainConfig { steps: (warm + reps) as u64, log_every: 1, checkpoint_every: 1_000_000, ..TrainConfig::default() };
    let job = TrainJob { model: model_spec(kind, &ModelOptions::default(), 0), train, data: data.clone(), data_name: "embedded:mnist-train".into(), start: TrainStart::Fresh, out: out.clone() };
    let mut stamps = Vec::new();
    kanerva::catalog::train(&job, &training_device(), &AtomicBool::new(false), &mut |e| {
        if let TrainEvent::Metrics { .. } = e {
            stamps.push(Instant::now());
        }
    })?;
    let steps: Vec<f64> = stamps.windows(2).skip(warm - 1).map(|w| (w[1] - w[0]).as_secs_f64() * 1e3).collect();
    record("train_loop_step_ms", median(steps));
    // The explorable form of the model just saved.
    let device = inference_device();
    let loaded = load_file(&CheckpointFile::read(&out)?, &device)?;
    let mut memory = loaded.model.into_attractor(kind.name(), device);
    let episode: Vec<Image> = (0..32).map(|i| data.binary_image(i)).collect();
    let write: Vec<f64> = (0..reps.max(5))
        .map(|_| {
            let t = Instant::now();
            memory.write(&episode).expect("a 32-image episode writes");
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    record("write_episode_ms", median(write));
    let query = data.binary_image(100);
    let _ = memory.evaluate_and_step(&query, ReadUpdate::Mode, 0)?;
    let read: Vec<f64> = (0..reps * 10)
        .map(|i| {
            let t = Instant::now();
            memory.evaluate_and_step(&query, ReadUpdate::Mode, i as u64).expect("a read step");
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    record("read_iteration_ms", median(read));
    if let Some(mb) = peak_rss_mb() {
        record("peak_rss_mb", mb);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("kanerva-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
