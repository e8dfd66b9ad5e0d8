//! `kanerva sample --checkpoint CKPT --n 64 --out grid.png`

use std::path::PathBuf;

use anyhow::Context;
use kanerva::backend::inference_device;
use kanerva::catalog::load_checkpoint;
use kanerva::data::{Embedded, Image, load_named, test_episodes, to_model_size};
use kanerva::eval::sample_and_clean_up;
use kanerva::memory::{ReadPlan, ReadUpdate};
use kanerva::train::DEFAULT_EPISODE_SIZE;

use super::options::{CheckpointArg, at_least_one};

#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    #[command(flatten)]
    pub checkpoint: CheckpointArg,
    /// How many samples (tiled into a square-ish grid).
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// The PNG to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Data whose first test episode is written into memory before sampling (default:
    /// embedded MNIST test).
    #[arg(long)]
    pub data: Option<String>,
    /// T, images in that episode.
    #[arg(long, default_value_t = DEFAULT_EPISODE_SIZE)]
    pub episode_size: usize,
    /// Clean-up iterations after the first read (mean-field updates), as the explorer does.
    #[arg(long, default_value_t = 3)]
    pub cleanup: usize,
    /// Seed of the episode and the samples (the explorer's sample seed gives the same images).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Tiles images into one grey PNG, `columns` per row, 1-pixel gaps.
pub fn save_grid(images: &[Image], columns: usize, path: &std::path::Path) -> anyhow::Result<()> {
    let columns = columns.max(1);
    let rows = images.len().div_ceil(columns);
    let (h, w) = (29 * rows + 1, 29 * columns + 1);
    let mut grid = image::GrayImage::new(w as u32, h as u32);
    for (i, im) in images.iter().enumerate() {
        let (r0, c0) = (1 + 29 * (i / columns), 1 + 29 * (i % columns));
        for r in 0..im.rows.min(28) {
            for c in 0..im.cols.min(28) {
                let v = (im.get(r, c).clamp(0.0, 1.0) * 255.0) as u8;
                grid.put_pixel((c0 + c) as u32, (r0 + r) as u32, image::Luma([v]));
            }
        }
    }
    grid.save(path).with_context(|| format!("writing {}", path.display()))
}

/// Most samples one `kanerva sample` draws.
const MAX_SAMPLES: usize = 1024;

pub fn run(args: SampleArgs) -> anyhow::Result<()> {
    at_least_one("--n", args.n)?;
    // A grid of more would be a picture no one looks at, and minutes of decoding.
    anyhow::ensure!(args.n <= MAX_SAMPLES, "--n: {} (at most {MAX_SAMPLES})", args.n);
    at_least_one("--episode-size", args.episode_size)?;
    let device = inference_device();
    let loaded = load_checkpoint(&args.checkpoint.checkpoint, &device)?;
    let kind = loaded.model.kind();
    let mut memory = loaded.model.into_attractor(kind.name(), device);
    let (name, set) = match &args.data {
        Some(d) => (d.clone(), to_model_size(load_named(d)?)),
        None => (Embedded::MnistTest.name().to_string(), Embedded::MnistTest.load()?),
    };
    anyhow::ensure!(set.len() >= args.episode_size, "{name}: {} images, fewer than one episode of {}", set.len(), args.episode_size);
    let episode: Vec<Image> = test_episodes(set.len(), args.episode_size, 1, args.seed).into_iter().flatten().map(|i| set.image(i)).collect();
    memory.write(&episode)?;
    let plan = ReadPlan { iterations: args.cleanup, update: ReadUpdate::Mean, seed: args.seed, ..ReadPlan::default() };
    let samples = sample_and_clean_up(memory.as_ref(), args.n, &plan)?;
    save_grid(&samples, (args.n as f64).sqrt().ceil() as usize, &args.out)?;
    eprintln!("wrote {} samples to {}", samples.len(), args.out.display());
    Ok(())
}
