//! `kanerva sample --checkpoint CKPT --n 64 --out grid.png`

use std::path::PathBuf;

use anyhow::Context;
use kanerva::data::{Embedded, Image, load_named, test_episodes, to_model_size};
use kanerva::memory::ReadUpdate;
use super::trained::trained_memory;

#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    #[arg(long)]
    pub checkpoint: PathBuf,
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    #[arg(long)]
    pub out: PathBuf,
    /// Episode written into memory before sampling (default: embedded MNIST test).
    #[arg(long)]
    pub data: Option<String>,
    #[arg(long, default_value_t = 32)]
    pub episode_size: usize,
    /// Clean-up iterations after the first read (mean-field).
    #[arg(long, default_value_t = 3)]
    pub cleanup: usize,
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

pub fn run(args: SampleArgs) -> anyhow::Result<()> {
    let (_, mut memory) = trained_memory(&args.checkpoint, None)?;
    let set = match &args.data {
        Some(d) => to_model_size(load_named(d).with_context(|| format!("reading {d}"))?),
        None => Embedded::MnistTest.load()?,
    };
    let episode: Vec<Image> = test_episodes(set.len(), args.episode_size, 1, args.seed)
        .into_iter()
        .flatten()
        .map(|i| set.image(i))
        .collect();
    memory.write(&episode)?;
    let mut samples = Vec::with_capacity(args.n);
    for i in 0..args.n as u64 {
        let mut x = memory.sample(args.seed.wrapping_add(i)).expect("trained memories are generative")?;
        for n in 0..args.cleanup as u64 {
            x = memory.step(&x, ReadUpdate::Mean, i * 1000 + n)?;
        }
        samples.push(x);
    }
    save_grid(&samples, (args.n as f64).sqrt().ceil() as usize, &args.out)?;
    eprintln!("wrote {} samples to {}", samples.len(), args.out.display());
    Ok(())
}
