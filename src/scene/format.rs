//! A scene: one JSON file holding everything that determines what a read shows, so that a
//! figure or a lecture's example replays exactly: the memory (a classical memory's settings, or
//! a checkpoint with its SHA-256), the episode and the query (data source and indices, or the
//! pixels themselves, bit-packed), the corruption and its seed, the read plan, and the read's
//! recorded energies and pixel errors.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::{MemorySpec, ModelKind};
use crate::data::{Image, ImageSet, SIDE};
use crate::memory::limits::{MAX_EPISODE, check_count};
use crate::memory::ReadPlan;

/// The file's `format` field.
pub const SCENE_FORMAT: &str = "kanerva-scene";
/// This program's scene version; newer files are refused as newer.
/// 2: grey pixels (`grey`) besides packed binary ones; 3: `target`, the clean item a query
/// drawn or corrupted by hand was made from. Older files read as before.
pub const SCENE_VERSION: u32 = 3;
/// A scene larger than this is not a scene (a 64-image episode of packed pixels is ~10 KB).
const MAX_SCENE_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    pub format: String,
    pub version: u32,
    pub memory: SceneMemory,
    pub episode: Vec<SceneImage>,
    pub query: SceneImage,
    /// The corruption applied to the query (`salt-pepper:0.15`, ...), if any, and its seed.
    pub corruption: Option<String>,
    pub corruption_seed: u64,
    /// The clean item the query was made from when it was edited by hand (drawn on,
    /// corrupted in the explorer): pixel errors are measured against it. Absent: against the
    /// query before `corruption`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<SceneImage>,
    pub read: ReadPlan,
    /// What the read showed when the scene was saved: one step per iterate (0: the query).
    pub recorded: Vec<RecordedStep>,
}

/// Which memory, exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SceneMemory {
    /// A memory that needs no weights (Hopfield, modern Hopfield, SDM), with its settings.
    Classical(MemorySpec),
    /// A trained checkpoint: where it was, and the SHA-256 of its bytes.
    Trained { kind: ModelKind, checkpoint: PathBuf, sha256: String },
}

/// One image: an item of a data set, or the pixels themselves: binary ones packed 8 to a byte,
/// MSB first, as hex; grey ones exactly, each pixel's f32 as 8 hex digits (big-endian bits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SceneImage {
    Data { source: String, index: usize },
    Pixels { rows: usize, cols: usize, bits: String },
    Grey { rows: usize, cols: usize, values: String },
}

/// One iterate of the recorded read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedStep {
    pub iteration: usize,
    pub energy: Option<f64>,
    /// Fraction of pixels that differ from the clean item (`target`, else the uncorrupted query).
    pub pixel_error: f64,
}

/// Why a scene could not be read or replayed.
#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path}: not a scene file: {problem}")]
    Malformed { path: PathBuf, problem: String },
    #[error("{path}: written as scene version {version} by a newer version of this program; this one reads version {SCENE_VERSION}")]
    NewerVersion { path: PathBuf, version: u32 },
    #[error("{0}")]
    Invalid(String),
}

impl Scene {
    /// Reads and checks a scene file (format, version, sizes); nothing is loaded yet.
    pub fn read(path: &Path) -> Result<Scene, SceneError> {
        let bytes = read_small_file(path, MAX_SCENE_BYTES)?;
        let malformed = |problem: String| SceneError::Malformed { path: path.to_path_buf(), problem };
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| malformed(format!("{e}")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(SCENE_FORMAT) {
            return Err(malformed(format!("its \"format\" is not \"{SCENE_FORMAT}\"")));
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v > u64::from(SCENE_VERSION) => return Err(SceneError::NewerVersion { path: path.to_path_buf(), version: v.min(u64::from(u32::MAX)) as u32 }),
            Some(_) => {}
            None => return Err(malformed("no \"version\"".into())),
        }
        let scene: Scene = serde_json::from_value(value).map_err(|e| malformed(format!("{e}")))?;
        scene.check().map_err(malformed)?;
        Ok(scene)
    }

    /// Writes the scene as pretty JSON, atomically.
    pub fn write(&self, path: &Path) -> Result<(), SceneError> {
        let json = serde_json::to_vec_pretty(self).expect("a scene always serialises");
        crate::train::checkpoint::write_atomically(path, &json).map_err(|e| SceneError::Invalid(e.to_string()))
    }

    /// Sizes and settings a person could have edited into nonsense, refused before any work:
    /// the episode's length, every packed image, the read plan and a classical memory's
    /// settings (the limits of [`crate::memory::limits`]).
    fn check(&self) -> Result<(), String> {
        check_count("episode", self.episode.len(), MAX_EPISODE).map_err(|e| e.to_string())?;
        for image in self.episode.iter().chain(std::iter::once(&self.query)).chain(&self.target) {
            match image {
                SceneImage::Pixels { rows, cols, bits } => drop(unpack_bits(*rows, *cols, bits)?),
                SceneImage::Grey { rows, cols, values } => drop(unpack_grey(*rows, *cols, values)?),
                SceneImage::Data { .. } => {}
            }
        }
        self.read.validate().map_err(|e| format!("read.{e}"))?;
        if let SceneMemory::Classical(spec) = &self.memory {
            spec.validate().map_err(|e| format!("memory.{e}"))?;
        }
        Ok(())
    }
}

impl SceneImage {
    /// The pixels of a binary image, packed.
    pub fn pixels(image: &Image) -> SceneImage {
        let mut bytes = vec![0u8; image.pixels.len().div_ceil(8)];
        for (i, &v) in image.pixels.iter().enumerate() {
            if v >= 0.5 {
                bytes[i / 8] |= 0x80 >> (i % 8);
            }
        }
        SceneImage::Pixels { rows: image.rows, cols: image.cols, bits: bytes.iter().map(|b| format!("{b:02x}")).collect() }
    }

    /// The image exactly as it is: packed bits when every pixel is 0 or 1, else grey values.
    pub fn exact(image: &Image) -> SceneImage {
        if image.pixels.iter().all(|&v| v == 0.0 || v == 1.0) {
            return SceneImage::pixels(image);
        }
        SceneImage::Grey { rows: image.rows, cols: image.cols, values: image.pixels.iter().map(|v| format!("{:08x}", v.to_bits())).collect() }
    }

    /// The image, with `load` giving the data sets by source name (each loaded once).
    pub fn image(&self, load: &mut impl FnMut(&str) -> Result<std::sync::Arc<ImageSet>, String>) -> Result<Image, String> {
        match self {
            SceneImage::Data { source, index } => {
                let set = load(source)?;
                if *index >= set.len() {
                    return Err(format!("{source} has {} images; the scene asks for #{index}", set.len()));
                }
                Ok(set.binary_image(*index))
            }
            SceneImage::Pixels { rows, cols, bits } => Ok(Image::new(*rows, *cols, unpack_bits(*rows, *cols, bits)?)),
            SceneImage::Grey { rows, cols, values } => Ok(Image::new(*rows, *cols, unpack_grey(*rows, *cols, values)?)),
        }
    }
}

/// The pixels of a packed `rows` x `cols` image (8 to a byte, MSB first, two hex digits a
/// byte), checked before anything is allocated: the model's size, and exactly as many hex
/// digits as the pixels need. Reads the string's bytes, so any non-ASCII text is simply not hex.
fn unpack_bits(rows: usize, cols: usize, bits: &str) -> Result<Vec<f32>, String> {
    if (rows, cols) != (SIDE, SIDE) {
        return Err(format!("a packed {rows}x{cols} image (scenes hold {SIDE}x{SIDE} images)"));
    }
    let digits = bits.as_bytes();
    if digits.len() != (rows * cols).div_ceil(8) * 2 {
        return Err(format!("a packed {rows}x{cols} image with {} characters of hex (it needs {})", bits.chars().count(), (rows * cols).div_ceil(8) * 2));
    }
    let hex = |c: u8| (c as char).to_digit(16).ok_or_else(|| "packed pixels that are not hex digits".to_string());
    let bytes = digits.chunks(2).map(|pair| Ok((hex(pair[0])? << 4 | hex(pair[1])?) as u8)).collect::<Result<Vec<u8>, String>>()?;
    Ok((0..rows * cols).map(|i| if bytes[i / 8] & (0x80 >> (i % 8)) != 0 { 1.0 } else { 0.0 }).collect())
}

/// The pixels of a grey `rows` x `cols` image (8 hex digits a pixel, an f32's bits), checked
/// before anything is allocated: the model's size, the length, and every value in [0, 1].
fn unpack_grey(rows: usize, cols: usize, values: &str) -> Result<Vec<f32>, String> {
    if (rows, cols) != (SIDE, SIDE) {
        return Err(format!("a grey {rows}x{cols} image (scenes hold {SIDE}x{SIDE} images)"));
    }
    let digits = values.as_bytes();
    if digits.len() != rows * cols * 8 {
        return Err(format!("a grey {rows}x{cols} image with {} characters of hex (it needs {})", values.chars().count(), rows * cols * 8));
    }
    digits
        .chunks(8)
        .map(|chunk| {
            let text = std::str::from_utf8(chunk).map_err(|_| "grey pixels that are not hex digits".to_string())?;
            let v = f32::from_bits(u32::from_str_radix(text, 16).map_err(|_| "grey pixels that are not hex digits".to_string())?);
            if (0.0..=1.0).contains(&v) { Ok(v) } else { Err(format!("a grey pixel of {v} (pixels lie in [0, 1])")) }
        })
        .collect()
}

/// A scene or lesson file's bytes, refused over `max` bytes before they are read.
pub(super) fn read_small_file(path: &Path, max: u64) -> Result<Vec<u8>, SceneError> {
    crate::data::read_bounded(path, max).map_err(|e| match e {
        crate::data::BoundedReadError::Io(error) => SceneError::Io { path: path.to_path_buf(), error },
        crate::data::BoundedReadError::TooLarge => SceneError::Malformed { path: path.to_path_buf(), problem: format!("larger than {max} bytes") },
    })
}

/// SHA-256 of `bytes`, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
