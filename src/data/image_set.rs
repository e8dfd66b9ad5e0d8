//! In-memory images: one [`Image`] (f32 in [0,1]) and an [`ImageSet`] (u8, compact).

/// Side of the images every model in the crate works on.
pub const SIDE: usize = 28;
/// Pixels per model image (D in the spec).
pub const PIXELS: usize = SIDE * SIDE;

/// One grey image, row-major, values in [0, 1], 1 = ink (strokes bright).
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<f32>,
}

impl Image {
    pub fn new(rows: usize, cols: usize, pixels: Vec<f32>) -> Self {
        assert_eq!(pixels.len(), rows * cols, "pixel count must equal rows*cols");
        Self { rows, cols, pixels }
    }

    /// A blank (all background) model-sized image.
    pub fn blank() -> Self {
        Self::new(SIDE, SIDE, vec![0.0; PIXELS])
    }

    pub fn get(&self, row: usize, col: usize) -> f32 {
        self.pixels[row * self.cols + col]
    }

    pub fn set(&mut self, row: usize, col: usize, value: f32) {
        self.pixels[row * self.cols + col] = value;
    }

    pub fn mean(&self) -> f32 {
        self.pixels.iter().sum::<f32>() / self.pixels.len().max(1) as f32
    }

    /// Fraction of pixels that disagree after thresholding both images at 0.5.
    pub fn pixel_error(&self, other: &Image) -> f32 {
        assert_eq!(self.pixels.len(), other.pixels.len());
        let wrong = self
            .pixels
            .iter()
            .zip(&other.pixels)
            .filter(|(a, b)| (**a >= 0.5) != (**b >= 0.5))
            .count();
        wrong as f32 / self.pixels.len().max(1) as f32
    }
}

/// A set of equally sized grey images stored as u8 (0 = background, 255 = ink), with
/// optional integer labels.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageSet {
    pub rows: usize,
    pub cols: usize,
    /// `len * rows * cols` bytes, image after image.
    pub pixels: Vec<u8>,
    pub labels: Option<Vec<u32>>,
    /// Where it came from, for display ("embedded MNIST test", a file path...).
    pub source: String,
}

impl ImageSet {
    pub fn len(&self) -> usize {
        self.pixels.len() / (self.rows * self.cols).max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// Raw bytes of image `index`.
    pub fn bytes(&self, index: usize) -> &[u8] {
        let n = self.pixels_per_image();
        &self.pixels[index * n..(index + 1) * n]
    }

    /// Image `index` as f32 in [0, 1].
    pub fn image(&self, index: usize) -> Image {
        let pixels = self.bytes(index).iter().map(|&b| b as f32 / 255.0).collect();
        Image::new(self.rows, self.cols, pixels)
    }

    pub fn label(&self, index: usize) -> Option<u32> {
        self.labels.as_ref().map(|l| l[index])
    }

    /// Number of distinct labels (0 when unlabelled).
    pub fn label_count(&self) -> usize {
        let Some(labels) = &self.labels else { return 0 };
        let mut distinct = labels.clone();
        distinct.sort_unstable();
        distinct.dedup();
        distinct.len()
    }

    /// Mean pixel value in [0, 1] over the whole set.
    pub fn mean_pixel(&self) -> f64 {
        let sum: u64 = self.pixels.iter().map(|&b| b as u64).sum();
        sum as f64 / (255.0 * self.pixels.len().max(1) as f64)
    }

    /// True when every pixel is 0 or 255.
    pub fn is_binary(&self) -> bool {
        self.pixels.iter().all(|&b| b == 0 || b == 255)
    }

    /// The images at `indices`, in that order, as a new set.
    pub fn subset(&self, indices: &[usize]) -> ImageSet {
        let mut pixels = Vec::with_capacity(indices.len() * self.pixels_per_image());
        for &i in indices {
            pixels.extend_from_slice(self.bytes(i));
        }
        ImageSet {
            rows: self.rows,
            cols: self.cols,
            pixels,
            labels: self
                .labels
                .as_ref()
                .map(|l| indices.iter().map(|&i| l[i]).collect()),
            source: self.source.clone(),
        }
    }

    /// Image `index` thresholded at 0.5: the binary pattern evaluations store and compare.
    pub fn binary_image(&self, index: usize) -> Image {
        let im = self.image(index);
        Image::new(im.rows, im.cols, crate::data::binarize_threshold(&im.pixels, 0.5))
    }

    /// Indices of the images carrying `label`.
    pub fn indices_with_label(&self, label: u32) -> Vec<usize> {
        match &self.labels {
            Some(labels) => (0..labels.len()).filter(|&i| labels[i] == label).collect(),
            None => Vec::new(),
        }
    }

    /// Builds a set from f32 images (values clamped to [0,1] and quantised to u8).
    pub fn from_images(images: &[Image], labels: Option<Vec<u32>>, source: &str) -> ImageSet {
        let (rows, cols) = images.first().map_or((SIDE, SIDE), |im| (im.rows, im.cols));
        let mut pixels = Vec::with_capacity(images.len() * rows * cols);
        for im in images {
            assert_eq!((im.rows, im.cols), (rows, cols), "images must share one size");
            pixels.extend(im.pixels.iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8));
        }
        ImageSet {
            rows,
            cols,
            pixels,
            labels,
            source: source.to_string(),
        }
    }
}
