//! Exporting a read: the filmstrip as a PNG strip or an animated GIF, and the energy series as
//! CSV. Plain files, no GUI involved, so the CLI and tests can use them too.

use std::io::Write;
use std::path::Path;

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, GrayImage, RgbaImage};

use crate::data::Image;
use crate::memory::Iterate;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {message}")]
    Write { path: String, message: String },
    #[error("nothing to export: the read has no iterates")]
    Empty,
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> ExportError {
    ExportError::Write { path: path.display().to_string(), message: e.to_string() }
}

/// Pixels of an image scaled up by `scale` (nearest), grey, ink white.
fn scaled(image: &Image, scale: u32) -> GrayImage {
    GrayImage::from_fn(image.cols as u32 * scale, image.rows as u32 * scale, |x, y| {
        let v = image.get((y / scale) as usize, (x / scale) as usize);
        image::Luma([(v.clamp(0.0, 1.0) * 255.0).round() as u8])
    })
}

/// All iterates side by side (4x scale, 4-pixel gaps), left to right.
pub fn write_filmstrip_png(iterates: &[Iterate], path: &Path) -> Result<(), ExportError> {
    let first = iterates.first().ok_or(ExportError::Empty)?;
    let (scale, gap) = (4u32, 4u32);
    let (w, h) = (first.image.cols as u32 * scale, first.image.rows as u32 * scale);
    let mut strip = GrayImage::from_pixel((w + gap) * iterates.len() as u32 + gap, h + 2 * gap, image::Luma([40]));
    for (n, it) in iterates.iter().enumerate() {
        image::imageops::replace(&mut strip, &scaled(&it.image, scale), (gap + n as u32 * (w + gap)) as i64, gap as i64);
    }
    strip.save(path).map_err(|e| write_err(path, e))
}

/// The iterates as an animated GIF (4x scale, `frame_ms` per frame, looping).
pub fn write_filmstrip_gif(iterates: &[Iterate], path: &Path, frame_ms: u32) -> Result<(), ExportError> {
    if iterates.is_empty() {
        return Err(ExportError::Empty);
    }
    let file = std::fs::File::create(path).map_err(|e| write_err(path, e))?;
    let mut encoder = GifEncoder::new(file);
    encoder.set_repeat(Repeat::Infinite).map_err(|e| write_err(path, e))?;
    for it in iterates {
        let grey = scaled(&it.image, 4);
        let rgba = RgbaImage::from_fn(grey.width(), grey.height(), |x, y| {
            let v = grey.get_pixel(x, y).0[0];
            image::Rgba([v, v, v, 255])
        });
        encoder
            .encode_frame(Frame::from_parts(rgba, 0, 0, Delay::from_numer_denom_ms(frame_ms, 1)))
            .map_err(|e| write_err(path, e))?;
    }
    Ok(())
}

/// One row per iterate: iteration, energy, every named term, then the distance to each stored
/// image.
pub fn energy_csv(iterates: &[Iterate], distances: &[Vec<f32>]) -> String {
    let mut names: Vec<String> = Vec::new();
    for it in iterates {
        for t in &it.evaluation.terms {
            if !names.contains(&t.name) {
                names.push(t.name.clone());
            }
        }
    }
    let stored = distances.iter().map(Vec::len).max().unwrap_or(0);
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut header = vec!["iteration".to_string(), "energy".to_string()];
    header.extend(names.iter().map(|n| quote(n)));
    header.extend((0..stored).map(|s| format!("distance_to_item_{s}")));
    let mut out = header.join(",") + "\n";
    for (n, it) in iterates.iter().enumerate() {
        let mut row = vec![n.to_string(), it.evaluation.energy.map_or(String::new(), |e| e.to_string())];
        for name in &names {
            row.push(it.evaluation.terms.iter().find(|t| &t.name == name).map_or(String::new(), |t| t.value.to_string()));
        }
        for s in 0..stored {
            row.push(distances.get(n).and_then(|d| d.get(s)).map_or(String::new(), |v| v.to_string()));
        }
        out += &(row.join(",") + "\n");
    }
    out
}

pub fn write_energy_csv(iterates: &[Iterate], distances: &[Vec<f32>], path: &Path) -> Result<(), ExportError> {
    if iterates.is_empty() {
        return Err(ExportError::Empty);
    }
    let mut file = std::fs::File::create(path).map_err(|e| write_err(path, e))?;
    file.write_all(energy_csv(iterates, distances).as_bytes()).map_err(|e| write_err(path, e))
}
