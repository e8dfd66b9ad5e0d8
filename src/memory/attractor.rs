//! The one abstraction the explorer sees: every memory (DKM, Hopfield, SDM, ...) is explored
//! the same way. Write an episode, evaluate an image, step a read, look inside.

use crate::data::Image;

/// Errors a memory can report to a person.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("image is {rows}x{cols}; this memory works on {want_rows}x{want_cols}")]
    WrongSize {
        rows: usize,
        cols: usize,
        want_rows: usize,
        want_cols: usize,
    },
    #[error("nothing is stored yet: write an episode first")]
    Empty,
    #[error("episode is empty")]
    EmptyEpisode,
    #[error("{0}")]
    Model(String),
}

/// One named term of an energy, e.g. ("reconstruction", 84.1).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Term {
    pub name: String,
    pub value: f64,
}

impl Term {
    pub fn new(name: &str, value: f64) -> Self {
        Self {
            name: name.to_string(),
            value,
        }
    }
}

/// What a memory says about one image.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    /// The Lyapunov candidate (energy) at this image, when the model has one, in `energy_unit`.
    pub energy: Option<f64>,
    /// The named terms that add up to the energy (or diagnostics where there is no energy).
    pub terms: Vec<Term>,
    /// Addressing / attention weights over slots, patterns or locations, where the model has them.
    pub weights: Option<Vec<f32>>,
    /// Named partial reads of this image, where the model combines several (the PKM's
    /// machines, each read on its own): what each part would answer.
    #[serde(skip)]
    pub parts: Vec<(String, Image)>,
}

/// Summary of a write.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct WriteReport {
    pub stored: usize,
    /// Named numbers worth plotting after a write (e.g. KL(M) in nats).
    pub terms: Vec<Term>,
}

/// A picture of the memory's inside, for the memory panel.
#[derive(Debug, Clone, PartialEq)]
pub enum Panel {
    /// A matrix shown as a heat map (row-major values).
    Heatmap { title: String, rows: usize, cols: usize, values: Vec<f32> },
    /// A row of images (decoded memory rows, stored patterns...).
    Images { title: String, images: Vec<Image> },
}

/// How a read turns the model's output into the next iterate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ReadUpdate {
    /// x <- 1[p >= 1/2]: the pixel step that cannot lower the likelihood (spec §8.3).
    #[default]
    Mode,
    /// x <- p (mean field).
    Mean,
    /// x ~ Bernoulli(p).
    Sample,
}

impl ReadUpdate {
    pub const ALL: [ReadUpdate; 3] = [ReadUpdate::Mode, ReadUpdate::Mean, ReadUpdate::Sample];

    pub fn name(self) -> &'static str {
        match self {
            ReadUpdate::Mode => "mode",
            ReadUpdate::Mean => "mean",
            ReadUpdate::Sample => "sample",
        }
    }
}

/// How to read: how many iterations, how each iterate is made, and the seed of any randomness
/// (update order, Bernoulli draws). Travels unchanged from the explorer's settings and the
/// command line to every read (denoising, sweeps, basin maps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ReadPlan {
    pub iterations: usize,
    pub update: ReadUpdate,
    pub seed: u64,
}

impl Default for ReadPlan {
    fn default() -> Self {
        Self { iterations: 10, update: ReadUpdate::Mode, seed: 0 }
    }
}

impl ReadPlan {
    /// The same plan with another seed (each query of an experiment has its own).
    pub fn with_seed(self, seed: u64) -> Self {
        Self { seed, ..self }
    }
}

/// A memory that can be explored: write, evaluate, step, sample, inspect.
pub trait AttractorMemory: Send {
    /// Human-readable name ("Hopfield (Hebbian)", "DKM", ...).
    fn name(&self) -> String;

    /// Unit of `Evaluation::energy` ("nats", "", ...).
    fn energy_unit(&self) -> &'static str {
        ""
    }

    /// Replaces the memory's contents with this episode (images in [0,1], model size).
    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError>;

    /// The images currently stored (for distances and the basin view).
    fn stored(&self) -> &[Image];

    /// Energy, terms and weights at `image`, memory fixed.
    fn evaluate(&self, image: &Image) -> Result<Evaluation, MemoryError>;

    /// One iteration of reading: `image` -> the next iterate. `seed` fixes any randomness
    /// (update order, Bernoulli draws).
    fn step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<Image, MemoryError>;

    /// `evaluate(image)` and `step(image, ..)` together. Trained memories override it to share
    /// the encode, address and decode that both need (half the work of a read).
    fn evaluate_and_step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<(Evaluation, Image), MemoryError> {
        Ok((self.evaluate(image)?, self.step(image, update, seed)?))
    }

    /// A fresh image from the memory, where the model is generative.
    fn sample(&self, _seed: u64) -> Option<Result<Image, MemoryError>> {
        None
    }

    /// What to draw in the memory panel.
    fn inspect(&self) -> Vec<Panel>;

    /// The space the memory works in, for maps of it: a DKM's codes e(x). `None` (the
    /// default) means the pixels themselves.
    fn embed(&self, _images: &[Image]) -> Option<Vec<Vec<f32>>> {
        None
    }
}

/// One iterate of a read with what the memory said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Iterate {
    pub image: Image,
    pub evaluation: Evaluation,
}

/// Runs `plan.iterations` read steps from `query`; element 0 is the query itself.
pub fn read_iterations(memory: &dyn AttractorMemory, query: &Image, plan: &ReadPlan) -> Result<Vec<Iterate>, MemoryError> {
    let mut out = Vec::with_capacity(plan.iterations + 1);
    let mut image = query.clone();
    for n in 0..plan.iterations {
        let (evaluation, next) = memory.evaluate_and_step(&image, plan.update, plan.seed.wrapping_add(n as u64))?;
        out.push(Iterate { image, evaluation });
        image = next;
    }
    let evaluation = memory.evaluate(&image)?;
    out.push(Iterate { image, evaluation });
    Ok(out)
}

/// Checks that every image has the model's size.
pub fn check_size(images: &[Image], rows: usize, cols: usize) -> Result<(), MemoryError> {
    for im in images {
        if (im.rows, im.cols) != (rows, cols) {
            return Err(MemoryError::WrongSize {
                rows: im.rows,
                cols: im.cols,
                want_rows: rows,
                want_cols: cols,
            });
        }
    }
    Ok(())
}

/// Image in [0,1] to ±1 spins (x >= 1/2 -> +1).
pub fn to_spins(image: &Image) -> Vec<f32> {
    image.pixels.iter().map(|&v| if v >= 0.5 { 1.0 } else { -1.0 }).collect()
}

/// ±1 spins back to a binary image.
pub fn from_spins(spins: &[f32], rows: usize, cols: usize) -> Image {
    Image::new(rows, cols, spins.iter().map(|&s| if s > 0.0 { 1.0 } else { 0.0 }).collect())
}
