//! The IMG1 format (the team's shared data format): a 32-byte header (magic `IMG1`, pixel
//! format 8 = u8 or 1 = bit-packed MSB-first, label width 0/1/2 bytes, N, rows, cols), then N
//! images, then N labels. Little-endian; optionally gzipped.

use std::path::Path;

use super::bytes::read_file_bytes;
use super::error::{DataError, Result};
use super::image_set::ImageSet;

pub const MAGIC: &[u8; 4] = b"IMG1";
const HEADER_BYTES: usize = 32;

pub fn read_img1(path: &Path) -> Result<ImageSet> {
    let bytes = read_file_bytes(path)?;
    parse_img1(path, &bytes)
}

fn u32_le(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// The whole file's length an IMG1 header declares (header, pixels, labels) and what it
/// declares in words, or None when
/// `prefix` does not start with a complete IMG1 header. Checked arithmetic: a hostile header
/// cannot overflow it.
pub(crate) fn declared_len(prefix: &[u8]) -> Option<(u128, String)> {
    if prefix.len() < HEADER_BYTES || &prefix[0..4] != MAGIC {
        return None;
    }
    let (n, rows, cols) = (u32_le(&prefix[8..12]) as u128, u32_le(&prefix[12..16]) as u128, u32_le(&prefix[16..20]) as u128);
    let bytes_per_image = match prefix[4] {
        8 => rows * cols,
        1 => (rows * cols).div_ceil(8),
        _ => return None,
    };
    let what = format!("{n} images of {rows}x{cols} (format {}, label width {})", prefix[4], prefix[5]);
    Some((HEADER_BYTES as u128 + n * bytes_per_image + n * prefix[5] as u128, what))
}

/// Parses IMG1 bytes (already decompressed). `path` is only used in error messages.
pub fn parse_img1(path: &Path, bytes: &[u8]) -> Result<ImageSet> {
    let bad = |problem: String| DataError::malformed(path, problem);
    if bytes.len() < HEADER_BYTES {
        return Err(bad(format!(
            "truncated IMG1 header: {} bytes, need {HEADER_BYTES}",
            bytes.len()
        )));
    }
    if &bytes[0..4] != MAGIC {
        return Err(bad(format!("wrong magic {:?}, expected \"IMG1\"", &bytes[0..4])));
    }
    let pixel_format = bytes[4];
    let label_width = bytes[5] as usize;
    // u128: a hostile header (N = rows = cols = 2^32 − 1) cannot overflow.
    let n = u32_le(&bytes[8..12]) as u128;
    let rows = u32_le(&bytes[12..16]) as u128;
    let cols = u32_le(&bytes[16..20]) as u128;
    if rows == 0 || cols == 0 {
        return Err(bad(format!("zero-size images ({rows}x{cols})")));
    }
    let bytes_per_image = match pixel_format {
        8 => rows * cols,
        1 => (rows * cols).div_ceil(8),
        other => return Err(bad(format!("unknown pixel format {other} (expected 8 or 1)"))),
    };
    if !matches!(label_width, 0..=2) {
        return Err(bad(format!("label width {label_width} (expected 0, 1 or 2)")));
    }
    // Compared with the real size before anything is allocated.
    let expected = HEADER_BYTES as u128 + n * bytes_per_image + n * label_width as u128;
    if bytes.len() as u128 != expected {
        return Err(bad(format!(
            "header says {n} images of {rows}x{cols} (format {pixel_format}, label width {label_width}) = {expected} bytes, but the file has {} bytes{}",
            bytes.len(),
            if (bytes.len() as u128) < expected { " (truncated?)" } else { "" }
        )));
    }
    // Bit-packed pixels unpack to a byte each: bound what that allocates too.
    if n * rows * cols > super::bytes::MAX_FILE_BYTES as u128 {
        return Err(bad(format!("{n} images of {rows}x{cols} unpack to more than {} bytes", super::bytes::MAX_FILE_BYTES)));
    }
    let (n, rows, cols) = (n as usize, rows as usize, cols as usize);
    let body = &bytes[HEADER_BYTES..HEADER_BYTES + n * bytes_per_image as usize];
    let pixels = match pixel_format {
        8 => body.to_vec(),
        _ => unpack_bits(body, n, rows * cols),
    };
    let label_bytes = &bytes[HEADER_BYTES + n * bytes_per_image as usize..];
    let labels = match label_width {
        0 => None,
        1 => Some(label_bytes.iter().map(|&b| b as u32).collect()),
        _ => Some(
            label_bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]) as u32)
                .collect(),
        ),
    };
    Ok(ImageSet {
        rows,
        cols,
        pixels,
        labels,
        source: path.display().to_string(),
    })
}

/// Bit-packed images (MSB-first, each image starting on a fresh byte) to u8 0/255.
fn unpack_bits(body: &[u8], n: usize, pixels_per_image: usize) -> Vec<u8> {
    let stride = pixels_per_image.div_ceil(8);
    let mut out = Vec::with_capacity(n * pixels_per_image);
    for image in body.chunks_exact(stride) {
        out.extend((0..pixels_per_image).map(|k| {
            if image[k / 8] >> (7 - k % 8) & 1 == 1 { 255 } else { 0 }
        }));
    }
    out
}

/// Serialises a set as IMG1 (u8 pixels; u16 labels when any label exceeds 255).
pub fn to_img1_bytes(set: &ImageSet) -> Vec<u8> {
    let n = set.len();
    let label_width: u8 = match &set.labels {
        None => 0,
        Some(l) if l.iter().all(|&v| v <= 255) => 1,
        Some(_) => 2,
    };
    let mut out = Vec::with_capacity(HEADER_BYTES + set.pixels.len() + n * label_width as usize);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[8, label_width, 0, 0]);
    for v in [n as u32, set.rows as u32, set.cols as u32] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.resize(HEADER_BYTES, 0);
    out.extend_from_slice(&set.pixels);
    if let Some(labels) = &set.labels {
        for &l in labels {
            if label_width == 1 {
                out.push(l as u8);
            } else {
                out.extend_from_slice(&(l as u16).to_le_bytes());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> ImageSet {
        ImageSet {
            rows: 2,
            cols: 3,
            pixels: vec![0, 255, 0, 255, 255, 0, 10, 20, 30, 40, 50, 60],
            labels: Some(vec![3, 300]),
            source: "tiny".into(),
        }
    }

    #[test]
    fn round_trip_preserves_pixels_and_labels() {
        let set = tiny();
        let back = parse_img1(Path::new("x"), &to_img1_bytes(&set)).unwrap();
        assert_eq!(back.pixels, set.pixels);
        assert_eq!(back.labels, set.labels);
        assert_eq!((back.rows, back.cols, back.len()), (2, 3, 2));
    }

    #[test]
    fn bit_packed_images_unpack_msb_first_on_fresh_bytes() {
        // 2 images of 3x3 = 9 bits -> 2 bytes each.
        let mut bytes = Vec::from(*MAGIC);
        bytes.extend_from_slice(&[1, 0, 0, 0]);
        for v in [2u32, 3, 3] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes.resize(32, 0);
        bytes.extend_from_slice(&[0b1000_0000, 0b1000_0000, 0b0100_0000, 0]);
        let set = parse_img1(Path::new("x"), &bytes).unwrap();
        assert_eq!(set.bytes(0), &[255, 0, 0, 0, 0, 0, 0, 0, 255]);
        assert_eq!(set.bytes(1), &[0, 255, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn truncated_and_inconsistent_files_are_clear_errors() {
        let good = to_img1_bytes(&tiny());
        let short = parse_img1(Path::new("f.img1"), &good[..good.len() - 1]).unwrap_err();
        assert!(short.to_string().contains("truncated"), "{short}");
        assert!(short.to_string().contains("f.img1"), "{short}");
        let header = parse_img1(Path::new("f"), &good[..10]).unwrap_err();
        assert!(header.to_string().contains("truncated IMG1 header"), "{header}");
        let mut magic = good.clone();
        magic[0] = b'X';
        assert!(parse_img1(Path::new("f"), &magic).unwrap_err().to_string().contains("magic"));
        let mut huge = good.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse_img1(Path::new("f"), &huge).unwrap_err().to_string().contains("header says"));
        let mut zero = good;
        zero[12..16].copy_from_slice(&0u32.to_le_bytes());
        assert!(parse_img1(Path::new("f"), &zero).unwrap_err().to_string().contains("zero-size"));
    }
}
