//! MNIST's IDX format: big-endian; bytes 0-1 zero, byte 2 the element type (0x08 = u8),
//! byte 3 the number of dimensions, then one u32 per dimension, then the data.
//! Images are `idx3` (N, rows, cols), labels `idx1` (N). Plain or gzipped.

use std::path::{Path, PathBuf};

use super::bytes::read_file_bytes;
use super::error::{DataError, Result};
use super::image_set::ImageSet;

/// True when `bytes` start like an IDX file of u8 elements.
pub fn looks_like_idx(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08 && (1..=3).contains(&bytes[3])
}

/// The whole file's length an IDX header of u8 elements declares and what it declares in
/// words, or None when `prefix` does not start with a complete one.
pub(crate) fn declared_len(prefix: &[u8]) -> Option<(u128, String)> {
    if !looks_like_idx(prefix) {
        return None;
    }
    let ndim = prefix[3] as usize;
    let header = 4 + 4 * ndim;
    if prefix.len() < header {
        return None;
    }
    let dims: Vec<u128> = (0..ndim).map(|d| u32::from_be_bytes(prefix[4 + 4 * d..8 + 4 * d].try_into().unwrap()) as u128).collect();
    Some((header as u128 + dims.iter().product::<u128>(), format!("IDX dimensions {dims:?}")))
}

/// Parses an IDX file of u8 elements into (dims, data).
fn parse_idx<'a>(path: &Path, bytes: &'a [u8], want_dims: usize) -> Result<(Vec<usize>, &'a [u8])> {
    let bad = |p: String| DataError::malformed(path, p);
    if bytes.len() < 4 {
        return Err(bad(format!("truncated IDX header: {} bytes", bytes.len())));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(bad(format!("wrong IDX magic {:02x?}", &bytes[..4])));
    }
    if bytes[2] != 0x08 {
        return Err(DataError::Unsupported {
            path: path.to_path_buf(),
            problem: format!("IDX element type 0x{:02x}; only u8 (0x08) is supported", bytes[2]),
        });
    }
    let ndim = bytes[3] as usize;
    if ndim != want_dims {
        return Err(bad(format!("IDX file has {ndim} dimensions, expected {want_dims}")));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(bad("truncated IDX header".into()));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|d| u32::from_be_bytes(bytes[4 + 4 * d..8 + 4 * d].try_into().unwrap()) as usize)
        .collect();
    // u128: three u32 dimensions cannot overflow it (a u64 product could wrap to 0).
    let expected: u128 = dims.iter().map(|&d| d as u128).product();
    let actual = (bytes.len() - header) as u128;
    if actual != expected {
        return Err(bad(format!(
            "header says {dims:?} = {expected} bytes of data, but the file has {actual}{}",
            if actual < expected { " (truncated?)" } else { "" }
        )));
    }
    Ok((dims, &bytes[header..]))
}

/// Reads an IDX image file; labels come from `labels_path`, or from the sibling file MNIST
/// names it with (`train-images.idx3-ubyte` -> `train-labels.idx1-ubyte`) when that exists.
pub fn read_idx_images(path: &Path, labels_path: Option<&Path>) -> Result<ImageSet> {
    let bytes = read_file_bytes(path)?;
    let (dims, data) = parse_idx(path, &bytes, 3)?;
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows == 0 || cols == 0 {
        return Err(DataError::malformed(path, format!("zero-size images ({rows}x{cols})")));
    }
    let labels_path = labels_path.map(Path::to_path_buf).or_else(|| sibling_labels(path));
    let labels = match labels_path {
        Some(lp) => {
            let lbytes = read_file_bytes(&lp)?;
            let (ldims, ldata) = parse_idx(&lp, &lbytes, 1)?;
            if ldims[0] != n {
                return Err(DataError::malformed(
                    &lp,
                    format!("{} labels for {n} images in {}", ldims[0], path.display()),
                ));
            }
            Some(ldata.iter().map(|&b| b as u32).collect())
        }
        None => None,
    };
    Ok(ImageSet {
        rows,
        cols,
        pixels: data.to_vec(),
        labels,
        source: path.display().to_string(),
    })
}

fn sibling_labels(images: &Path) -> Option<PathBuf> {
    let name = images.file_name()?.to_str()?;
    if !name.contains("images") {
        return None;
    }
    let candidate = images.with_file_name(name.replace("images", "labels").replace("idx3", "idx1"));
    candidate.is_file().then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut b = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn images_and_sibling_labels_are_read_together() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("t10k-images.idx3-ubyte");
        std::fs::write(&img, idx(&[2, 2, 2], &[0, 1, 2, 3, 4, 5, 6, 7])).unwrap();
        std::fs::write(dir.path().join("t10k-labels.idx1-ubyte"), idx(&[2], &[7, 9])).unwrap();
        let set = read_idx_images(&img, None).unwrap();
        assert_eq!((set.len(), set.rows, set.cols), (2, 2, 2));
        assert_eq!(set.labels, Some(vec![7, 9]));
    }

    #[test]
    fn wrong_sizes_and_magics_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a-images");
        std::fs::write(&p, idx(&[3, 2, 2], &[0; 11])).unwrap();
        let e = read_idx_images(&p, None).unwrap_err().to_string();
        assert!(e.contains("truncated") && e.contains("a-images"), "{e}");
        std::fs::write(&p, [1u8, 0, 8, 3]).unwrap();
        assert!(read_idx_images(&p, None).unwrap_err().to_string().contains("magic"));
        std::fs::write(&p, idx(&[2], &[0, 0])).unwrap();
        assert!(read_idx_images(&p, None).unwrap_err().to_string().contains("dimensions"));
    }
}
