//! `PATH#labels=A..B`: the images of a labelled file whose label lies in the half-open range
//! A..B. It splits a file by class, e.g. Omniglot's 964 characters into 864 for training and
//! the last 100 held out for evaluation (characters never seen in training).

use std::ops::Range;
use std::path::Path;

use super::error::DataError;
use super::image_set::ImageSet;

/// A path and the label range that selects part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSelection<'a> {
    pub path: &'a str,
    pub labels: Range<u32>,
}

/// Splits `name` at its last `#labels=A..B`; `Ok(None)` when it has no such suffix.
pub fn parse_label_selection(name: &str) -> Result<Option<LabelSelection<'_>>, DataError> {
    let Some((path, selector)) = name.rsplit_once('#') else { return Ok(None) };
    let bad = |problem: &str| DataError::malformed(Path::new(name), format!("{problem} (expected PATH#labels=A..B, e.g. omniglot.img1.gz#labels=0..864)"));
    let Some(range) = selector.strip_prefix("labels=") else { return Err(bad("unknown selector")) };
    let Some((start, end)) = range.split_once("..") else { return Err(bad("no range")) };
    let (Ok(start), Ok(end)) = (start.trim().parse::<u32>(), end.trim().parse::<u32>()) else {
        return Err(bad("range bounds are not whole numbers"));
    };
    if start >= end {
        return Err(bad("empty label range"));
    }
    Ok(Some(LabelSelection { path, labels: start..end }))
}

/// The images of `set` whose label lies in `labels`; an error if the set has no labels or none
/// of them falls in the range.
pub fn select_labels(set: ImageSet, labels: &Range<u32>, name: &str) -> Result<ImageSet, DataError> {
    let Some(all) = &set.labels else {
        return Err(DataError::malformed(Path::new(name), "the file has no labels to select by"));
    };
    let chosen: Vec<usize> = (0..all.len()).filter(|&i| labels.contains(&all[i])).collect();
    if chosen.is_empty() {
        return Err(DataError::malformed(Path::new(name), format!("no image has a label in {}..{}", labels.start, labels.end)));
    }
    let mut subset = set.subset(&chosen);
    subset.source = name.to_string();
    Ok(subset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Image;

    #[test]
    fn parses_and_refuses() {
        let sel = parse_label_selection("a/b.img1.gz#labels=0..864").unwrap().unwrap();
        assert_eq!(sel, LabelSelection { path: "a/b.img1.gz", labels: 0..864 });
        assert!(parse_label_selection("plain.img1").unwrap().is_none());
        for bad in ["x#labels=5..5", "x#labels=a..3", "x#classes=0..3", "x#labels=3"] {
            assert!(parse_label_selection(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn selects_by_label() {
        let images: Vec<Image> = (0..6).map(|i| Image::new(28, 28, vec![i as f32 / 10.0; 784])).collect();
        let set = ImageSet::from_images(&images, Some(vec![0, 1, 2, 0, 1, 2]), "t");
        let picked = select_labels(set.clone(), &(1..3), "t#labels=1..3").unwrap();
        assert_eq!(picked.labels.as_deref(), Some(&[1, 2, 1, 2][..]));
        assert_eq!(picked.bytes(0), set.bytes(1));
        assert!(select_labels(set.clone(), &(7..9), "t").is_err());
        let unlabelled = ImageSet::from_images(&images, None, "u");
        assert!(select_labels(unlabelled, &(0..1), "u").is_err());
    }
}
