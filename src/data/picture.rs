//! Ordinary pictures (PNG, JPEG, GIF; any size, colour or grey) turned into model images:
//! 28x28 grey in [0, 1] with ink = 1, by padding to a square with the background colour and
//! exact area resampling.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageReader};

use super::error::{DataError, Result};
use super::image_set::{Image, ImageSet, SIDE};

/// Largest picture side we decode. A 4096x4096 grey image is 16 MB; anything larger is
/// refused before decoding, so a hostile file cannot make us allocate gigabytes.
pub const MAX_PICTURE_SIDE: u32 = 4096;

/// Which grey level is ink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum InkPolarity {
    /// Decide from the border: a light border means dark ink on light paper.
    #[default]
    Auto,
    /// Dark strokes on light paper (a scanned drawing).
    DarkOnLight,
    /// Light strokes on dark paper (MNIST's own convention).
    LightOnDark,
}

/// True when the bytes start with a PNG, JPEG or GIF signature.
pub fn looks_like_picture(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG") || bytes.starts_with(&[0xFF, 0xD8, 0xFF]) || bytes.starts_with(b"GIF8")
}

/// Decodes one picture file and converts it to a model image.
pub fn read_picture(path: &Path, polarity: InkPolarity) -> Result<Image> {
    let bytes = super::bytes::read_file_bytes(path)?;
    decode_picture(path, &bytes, polarity)
}

/// Decodes picture bytes (`path` names it in errors) and converts to 28x28.
pub fn decode_picture(path: &Path, bytes: &[u8], polarity: InkPolarity) -> Result<Image> {
    let undecodable = |e: image::ImageError| DataError::Undecodable {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let reader = || {
        ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| DataError::io(path, e))
    };
    let (width, height) = reader()?.into_dimensions().map_err(undecodable)?;
    if width == 0 || height == 0 {
        return Err(DataError::malformed(path, format!("zero-size image ({width}x{height})")));
    }
    if width > MAX_PICTURE_SIDE || height > MAX_PICTURE_SIDE {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            width,
            height,
            limit: MAX_PICTURE_SIDE,
        });
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PICTURE_SIDE);
    limits.max_image_height = Some(MAX_PICTURE_SIDE);
    limits.max_alloc = Some(512 << 20);
    let mut r = reader()?;
    r.limits(limits);
    let decoded = r.decode().map_err(undecodable)?;
    Ok(picture_to_model_image(&decoded, polarity))
}

/// Luminance in [0,1] with transparent pixels composited over white paper.
fn luminance(picture: &DynamicImage) -> Image {
    let rgba = picture.to_rgba32f();
    let (w, h) = rgba.dimensions();
    let pixels = rgba
        .pixels()
        .map(|p| {
            let [r, g, b, a] = p.0;
            let y = 0.299 * r + 0.587 * g + 0.114 * b;
            (a * y + (1.0 - a)).clamp(0.0, 1.0)
        })
        .collect();
    Image::new(h as usize, w as usize, pixels)
}

/// Converts any decoded picture to a 28x28 model image with ink = 1.
pub fn picture_to_model_image(picture: &DynamicImage, polarity: InkPolarity) -> Image {
    let grey = luminance(picture);
    let dark_ink = match polarity {
        InkPolarity::DarkOnLight => true,
        InkPolarity::LightOnDark => false,
        InkPolarity::Auto => border_mean(&grey) > 0.5,
    };
    let ink = Image::new(
        grey.rows,
        grey.cols,
        grey.pixels.iter().map(|&v| if dark_ink { 1.0 - v } else { v }).collect(),
    );
    area_resample(&pad_to_square(&ink), SIDE, SIDE)
}

fn border_mean(im: &Image) -> f32 {
    let mut sum = 0.0;
    let mut n = 0;
    for r in 0..im.rows {
        for c in 0..im.cols {
            if r == 0 || c == 0 || r + 1 == im.rows || c + 1 == im.cols {
                sum += im.get(r, c);
                n += 1;
            }
        }
    }
    sum / n.max(1) as f32
}

/// Centres the image in a square of background (0), so resampling keeps its aspect ratio.
fn pad_to_square(im: &Image) -> Image {
    let side = im.rows.max(im.cols);
    let (top, left) = ((side - im.rows) / 2, (side - im.cols) / 2);
    let mut out = Image::new(side, side, vec![0.0; side * side]);
    for r in 0..im.rows {
        for c in 0..im.cols {
            out.set(top + r, left + c, im.get(r, c));
        }
    }
    out
}

/// Weights of exact area resampling along one axis: `out[i] = Σ_j w[i][j] in[j]`, where
/// output cell i covers [i·s, (i+1)·s) of the input (s = n_in / n_out) and each input cell
/// contributes its covered fraction. Rows sum to 1, so up- and down-sampling both work.
fn area_weights(n_in: usize, n_out: usize) -> Vec<Vec<(usize, f32)>> {
    let scale = n_in as f64 / n_out as f64;
    (0..n_out)
        .map(|i| {
            let (lo, hi) = (i as f64 * scale, (i + 1) as f64 * scale);
            let mut row = Vec::new();
            let mut j = lo.floor() as usize;
            while (j as f64) < hi && j < n_in {
                let overlap = (hi.min(j as f64 + 1.0) - lo.max(j as f64)).max(0.0);
                if overlap > 0.0 {
                    row.push((j, (overlap / scale) as f32));
                }
                j += 1;
            }
            row
        })
        .collect()
}

/// Exact area (box) resampling to `rows` x `cols`.
pub fn area_resample(im: &Image, rows: usize, cols: usize) -> Image {
    let wr = area_weights(im.rows, rows);
    let wc = area_weights(im.cols, cols);
    // Columns first: [im.rows, cols], then rows: [rows, cols].
    let mut tmp = vec![0.0f32; im.rows * cols];
    for r in 0..im.rows {
        for (c, weights) in wc.iter().enumerate() {
            tmp[r * cols + c] = weights.iter().map(|&(j, w)| w * im.get(r, j)).sum();
        }
    }
    let mut out = vec![0.0f32; rows * cols];
    for (r, weights) in wr.iter().enumerate() {
        for c in 0..cols {
            out[r * cols + c] = weights.iter().map(|&(j, w)| w * tmp[j * cols + c]).sum();
        }
    }
    Image::new(rows, cols, out)
}

/// All pictures in a folder (sorted by name; non-pictures skipped), as one set. Fails when a
/// picture is damaged (naming it) or the folder holds none.
pub fn read_picture_folder(dir: &Path, polarity: InkPolarity) -> Result<ImageSet> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| DataError::io(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg" | "gif")
            })
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(DataError::malformed(dir, "folder holds no PNG/JPEG/GIF pictures"));
    }
    let images = paths
        .iter()
        .map(|p| read_picture(p, polarity))
        .collect::<Result<Vec<_>>>()?;
    Ok(ImageSet::from_images(&images, None, &dir.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_resampling_preserves_the_mean_and_exact_block_averages() {
        let im = Image::new(4, 4, (0..16).map(|v| v as f32).collect());
        let half = area_resample(&im, 2, 2);
        assert_eq!(half.pixels, vec![2.5, 4.5, 10.5, 12.5]);
        let odd = Image::new(105, 105, (0..105 * 105).map(|v| (v % 7) as f32 / 6.0).collect());
        let small = area_resample(&odd, 28, 28);
        assert!((small.mean() - odd.mean()).abs() < 1e-4);
        let up = area_resample(&Image::new(2, 2, vec![0.0, 1.0, 1.0, 0.0]), 4, 4);
        assert_eq!(up.get(0, 0), 0.0);
        assert_eq!(up.get(0, 3), 1.0);
    }

    #[test]
    fn dark_ink_on_white_paper_becomes_bright_ink() {
        let mut pic = image::GrayImage::from_pixel(56, 56, image::Luma([255]));
        for r in 20..36 {
            for c in 26..30 {
                pic.put_pixel(c, r, image::Luma([0]));
            }
        }
        let im = picture_to_model_image(&DynamicImage::ImageLuma8(pic), InkPolarity::Auto);
        assert_eq!((im.rows, im.cols), (28, 28));
        assert!(im.get(14, 14) > 0.9, "stroke centre {}", im.get(14, 14));
        assert!(im.get(0, 0) < 0.01);
    }
}
