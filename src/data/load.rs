//! One entry point for every supported source: IMG1, MNIST IDX, a picture, or a folder of
//! pictures. The format is recognised from the content (after gunzip), not the extension.

use std::path::Path;

use super::bytes::read_file_bytes;
use super::error::{DataError, Result};
use super::idx::{looks_like_idx, read_idx_images};
use super::image_set::{ImageSet, SIDE};
use super::img1::{MAGIC, parse_img1};
use super::picture::{InkPolarity, area_resample, decode_picture, looks_like_picture, read_picture_folder};

/// Loads any supported image source from `path`.
pub fn load_images(path: &Path, polarity: InkPolarity) -> Result<ImageSet> {
    if path.is_dir() {
        return read_picture_folder(path, polarity);
    }
    let bytes = read_file_bytes(path)?;
    if bytes.is_empty() {
        return Err(DataError::malformed(path, "file is empty"));
    }
    if bytes.starts_with(MAGIC) {
        parse_img1(path, &bytes)
    } else if looks_like_idx(&bytes) {
        read_idx_images(path, None)
    } else if looks_like_picture(&bytes) {
        let image = decode_picture(path, &bytes, polarity)?;
        Ok(ImageSet::from_images(&[image], None, &path.display().to_string()))
    } else {
        Err(super::bytes::not_a_data_file(path))
    }
}

/// Loads `path` and resamples it to 28x28 when it has another size, so every model can use it.
pub fn load_model_images(path: &Path, polarity: InkPolarity) -> Result<ImageSet> {
    Ok(to_model_size(load_images(path, polarity)?))
}

/// The same set at 28x28 (area resampling), or unchanged when it already is.
pub fn to_model_size(set: ImageSet) -> ImageSet {
    if (set.rows, set.cols) == (SIDE, SIDE) {
        return set;
    }
    let images: Vec<_> = (0..set.len())
        .map(|i| area_resample(&set.image(i), SIDE, SIDE))
        .collect();
    ImageSet::from_images(&images, set.labels, &set.source)
}
