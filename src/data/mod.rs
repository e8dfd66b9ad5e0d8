//! Image data: readers (IMG1, MNIST IDX, pictures), the embedded default data, binarization,
//! episodes and corruptions. Nothing here knows about models or tensors.

mod binarize;
mod bytes;
mod corrupt;
mod embedded;
mod episode;
mod error;
mod idx;
mod image_set;
mod img1;
mod load;
mod picture;
mod selection;

pub use binarize::{Binarization, binarize_stochastic, binarize_threshold};
pub use bytes::{BoundedReadError, MAX_FILE_BYTES, read_bounded, read_file_bytes};
pub use corrupt::{Corruption, CorruptionParseError, Rect, Region, resolve_region};
pub use embedded::Embedded;
pub use episode::{EpisodeError, EpisodeSpec, sample_episode, test_episodes, test_episodes_every_image};
pub use error::DataError;
pub use idx::read_idx_images;
pub use image_set::{Image, ImageSet, PIXELS, SIDE};
pub use img1::{parse_img1, read_img1, to_img1_bytes};
pub use load::{load_images, load_model_images, to_model_size};
pub use selection::{LabelSelection, parse_label_selection, select_labels};
pub use picture::{InkPolarity, MAX_PICTURE_SIDE, area_resample, decode_picture, picture_to_model_image, read_picture};

use std::path::Path;

/// Loads either an embedded set (`embedded:mnist-train`, `embedded:mnist-test`) or a path,
/// optionally with a label range (`PATH#labels=A..B`, see selection.rs). A file whose name
/// really contains `#` is read as it is.
pub fn load_named(name_or_path: &str) -> Result<ImageSet, DataError> {
    if let Some(e) = Embedded::from_name(name_or_path) {
        return e.load();
    }
    // A label range first: `embedded:mnist-test#labels=` is a bad range, not an unknown set.
    if !Path::new(name_or_path).exists()
        && let Some(selection) = parse_label_selection(name_or_path)?
    {
        let set = load_named(selection.path)?;
        return select_labels(set, &selection.labels, name_or_path);
    }
    if let Some(unknown) = name_or_path.strip_prefix("embedded:").filter(|_| !Path::new(name_or_path).exists()) {
        let known: Vec<&str> = Embedded::ALL.iter().map(|e| e.name()).collect();
        return Err(DataError::Unsupported { path: name_or_path.into(), problem: format!("no embedded data set {unknown:?} (there are {})", known.join(", ")) });
    }
    load_images(Path::new(name_or_path), InkPolarity::Auto)
}
