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
    #[error("{memory} has no {addressing} addressing (it reads without holding an address)")]
    AddressingUnsupported { memory: String, addressing: &'static str },
    #[error(transparent)]
    Settings(#[from] super::limits::SettingsError),
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
    /// Named lines over a common step axis (e.g. each stored item's energy along a write).
    /// `stored_items`: line i is stored item i's, drawn in that item's colour everywhere.
    Curves { title: String, x_label: String, y_label: String, lines: Vec<(String, Vec<f64>)>, stored_items: bool },
}

/// How a read turns the model's output into the next iterate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ReadUpdate {
    /// x <- 1[p >= 1/2]: the pixel step that cannot lower the likelihood (docs/attractor.md).
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

/// How a read chooses the address it holds between iterations, in memories whose energy is a
/// function of an image and an address, F(x, μ) (the DKM). Every iteration is two half-steps:
/// the pixel step makes x' from the held μ (the mode cannot raise F(·, μ)), then the address
/// step chooses the μ' held with x'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Addressing {
    /// μ' = μ(x'), the encoder's amortised address: the read of the paper, not monotone.
    #[default]
    Amortised,
    /// μ(x') when it is no worse than the held μ, else keep μ: monotone, stops at the first
    /// fixed point.
    Guarded,
    /// From the better of the two, descend F(x', ·) through the decoder with a line search:
    /// monotone by construction, and a better address for x' than the encoder's.
    Optimised,
}

impl Addressing {
    pub const ALL: [Addressing; 3] = [Addressing::Amortised, Addressing::Guarded, Addressing::Optimised];

    pub fn name(self) -> &'static str {
        match self {
            Addressing::Amortised => "amortised",
            Addressing::Guarded => "guarded",
            Addressing::Optimised => "optimised",
        }
    }

    /// One sentence for tooltips and help.
    pub fn description(self) -> &'static str {
        match self {
            Addressing::Amortised => "the encoder's address of each new image (the paper's read; the energy can rise)",
            Addressing::Guarded => "the encoder's address only when it is no worse than the one held (never rises; stops at the first rise)",
            Addressing::Optimised => "gradient steps on the energy over the address, through the decoder (never rises; a better address)",
        }
    }
}

impl std::str::FromStr for Addressing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Addressing::ALL.into_iter().find(|a| a.name() == s).ok_or_else(|| format!("unknown addressing {s:?} (amortised, guarded or optimised)"))
    }
}

/// How to read: how many iterations, how each iterate is made, how the address is chosen, and
/// the seed of any randomness (update order, Bernoulli draws). Travels unchanged from the
/// explorer's settings and the command line to every read (denoising, sweeps, basin maps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ReadPlan {
    pub iterations: usize,
    pub update: ReadUpdate,
    pub seed: u64,
    pub addressing: Addressing,
    /// Gradient steps of each optimised address step (at most; it stops when no step of its
    /// line search lowers the energy).
    pub search_steps: usize,
    /// Optimised reads: also optimise the query's own address (iterate 0), not only the
    /// addresses after each pixel step. Holds stored items in place; fits a corrupted query's
    /// noise (docs/attractor.md measures both).
    pub optimise_query: bool,
}

/// Default inner steps of the optimised address step (docs/attractor.md has the trade-off).
pub const DEFAULT_SEARCH_STEPS: usize = 5;

impl Default for ReadPlan {
    fn default() -> Self {
        Self { iterations: 10, update: ReadUpdate::Mode, seed: 0, addressing: Addressing::Amortised, search_steps: DEFAULT_SEARCH_STEPS, optimise_query: true }
    }
}

impl ReadPlan {
    /// The same plan with another seed (each query of an experiment has its own).
    pub fn with_seed(self, seed: u64) -> Self {
        Self { seed, ..self }
    }
}

/// What a memory says of itself: its name, units and size. Together with what it can do
/// ([`Capabilities`]) it is the [`MemoryInfo`] the explorer shows.
#[derive(Debug, Clone, PartialEq)]
pub struct About {
    /// Human-readable name ("Hopfield (Hebbian)", "DKM", ...).
    pub name: String,
    /// Unit of [`Evaluation::energy`] ("nats", "", ...).
    pub energy_unit: &'static str,
    /// What [`Evaluation::weights`] holds: the plot's title and its x axis.
    pub weights_label: (&'static str, &'static str),
    /// The numbers the memory holds for its current episode (its size on a distortion/rate
    /// axis): N² for a Hopfield network, the patterns for a modern one, the counters of an SDM,
    /// K·C + K² for a DKM's or KM's memory, the fast weights of an EBMM. Fixed structure (an
    /// SDM's random addresses, trained networks) is not counted.
    pub floats: usize,
}

impl About {
    /// A memory called `name` whose energy is in `energy_unit`, with addressing weights over
    /// slots (the common case; [`Self::weights`] names others).
    pub fn new(name: impl Into<String>, energy_unit: &'static str, floats: usize) -> Self {
        Self { name: name.into(), energy_unit, weights_label: ("addressing weights", "slot"), floats }
    }

    /// The same, with [`Evaluation::weights`] titled `title` over `axis`.
    pub fn weights(self, title: &'static str, axis: &'static str) -> Self {
        Self { weights_label: (title, axis), ..self }
    }
}

/// The optional abilities of a memory, read off its facets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Reads hold an address ([`AttractorMemory::addressed`]): every [`Addressing`] applies.
    pub holds_address: bool,
    /// It draws samples ([`AttractorMemory::generator`]).
    pub generative: bool,
    /// It has an energy landscape ([`AttractorMemory::landscape`]).
    pub landscape: bool,
    /// It has a space of its own for maps ([`AttractorMemory::embedding`]).
    pub embedding: bool,
}

impl Capabilities {
    pub fn of<M: AttractorMemory + ?Sized>(memory: &M) -> Self {
        Self {
            holds_address: memory.addressed().is_some(),
            generative: memory.generator().is_some(),
            landscape: memory.landscape().is_some(),
            embedding: memory.embedding().is_some(),
        }
    }
}

/// Everything the explorer knows of a loaded memory, as one value sent by the worker.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryInfo {
    pub about: About,
    pub capabilities: Capabilities,
}

impl MemoryInfo {
    pub fn of<M: AttractorMemory + ?Sized>(memory: &M) -> Self {
        Self { about: memory.about(), capabilities: Capabilities::of(memory) }
    }
}

/// A memory that can be explored: write, evaluate, step, inspect; optional abilities come as
/// facets (an address held between iterations, a landscape, samples, a space for maps).
pub trait AttractorMemory: Send {
    /// Its name, units and size.
    fn about(&self) -> About;

    /// Replaces the memory's contents with this episode (images in [0,1], model size).
    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError>;

    /// The images currently stored (for distances and the basin view).
    fn stored(&self) -> &[Image];

    /// Back to the state before any write: zero couplings or counters, no patterns, the prior
    /// memory, the initial fast weights. Reads then answer from what the memory knows without
    /// the episode: the no-write control of a sweep. A memory with nothing to read from after
    /// it (the modern Hopfield network) reads [`MemoryError::Empty`].
    fn forget(&mut self);

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

    /// What to draw in the memory panel.
    fn inspect(&self) -> Vec<Panel>;

    /// Facet: reads that hold an address between iterations. None (the default): the read
    /// is image -> image and only the amortised read exists.
    fn addressed(&self) -> Option<&dyn AddressedRead> {
        None
    }

    /// Facet: an energy landscape over the memory's own state space.
    fn landscape(&self) -> Option<&dyn LandscapeSpace> {
        None
    }

    /// Facet: fresh images from the memory, where the model is generative.
    fn generator(&self) -> Option<&dyn Generator> {
        None
    }

    /// Facet: the space the memory works in, for maps of it (a DKM's codes e(x)). None (the
    /// default) means the pixels themselves.
    fn embedding(&self) -> Option<&dyn Embedding> {
        None
    }
}

/// Reads of a memory whose energy is a function of an image and an address, F(x, μ) (the
/// DKM): every iteration holds an address, and every [`Addressing`] applies.
pub trait AddressedRead {
    /// Iterate 0 of a read from `query`: the query with its evaluation and the address chosen
    /// for it (the optimised read starts by optimising it).
    fn start_read(&self, query: &Image, plan: &ReadPlan) -> Result<Iterate, MemoryError>;

    /// The iterate after `current` (`plan.seed` is ignored: `seed` is this step's), stepping
    /// from the address `current` holds.
    fn read_step(&self, current: &Iterate, plan: &ReadPlan, seed: u64) -> Result<Iterate, MemoryError>;
}

/// An energy landscape: points of the memory's own state space and the energy there.
pub trait LandscapeSpace {
    /// The point of `iterate`: the spins of a Hopfield network, the address a DKM holds, the
    /// KM's address and K++'s key of the image, the EBMM's pixels.
    fn point(&self, iterate: &Iterate) -> Option<Vec<f64>>;

    /// The energy at a point, and the image there (a Hopfield network's relaxed spins clipped
    /// to [−1, 1]; a DKM's F(x*(μ), μ) with x* the most likely image at μ; for the KM and K++
    /// the energy of the image the memory reads at that address or key; the EBMM's E(x) at
    /// pixels clipped to [0, 1]).
    fn energy_at(&self, point: &[f64]) -> Result<(f64, Image), MemoryError>;
}

/// A generative memory: a fresh image from what it holds.
pub trait Generator {
    fn sample(&self, seed: u64) -> Result<Image, MemoryError>;
}

/// A space of the memory's own for maps of it (a DKM's codes e(x)).
pub trait Embedding {
    /// # Shapes
    /// - images: M images -> M vectors (None when an image does not fit the model)
    fn embed(&self, images: &[Image]) -> Option<Vec<Vec<f32>>>;
}

/// An error unless `memory` can read with `addressing`.
pub fn check_addressing<M: AttractorMemory + ?Sized>(memory: &M, addressing: Addressing) -> Result<(), MemoryError> {
    if addressing == Addressing::Amortised || memory.addressed().is_some() {
        Ok(())
    } else {
        Err(MemoryError::AddressingUnsupported { memory: memory.about().name, addressing: addressing.name() })
    }
}

/// Iterate 0 of a read from `query`: the query with its evaluation (and, for memories that
/// hold an address, the address chosen for it).
pub fn start_read<M: AttractorMemory + ?Sized>(memory: &M, query: &Image, plan: &ReadPlan) -> Result<Iterate, MemoryError> {
    if let Some(addressed) = memory.addressed() {
        return addressed.start_read(query, plan);
    }
    check_addressing(memory, plan.addressing)?;
    Ok(Iterate::new(query.clone(), memory.evaluate(query)?))
}

/// The iterate after `current` (`seed` is this step's): `step` then `evaluate`, or the
/// addressed read's step from the address `current` holds.
pub fn read_step<M: AttractorMemory + ?Sized>(memory: &M, current: &Iterate, plan: &ReadPlan, seed: u64) -> Result<Iterate, MemoryError> {
    if let Some(addressed) = memory.addressed() {
        return addressed.read_step(current, plan, seed);
    }
    check_addressing(memory, plan.addressing)?;
    let next = memory.step(&current.image, plan.update, seed)?;
    let evaluation = memory.evaluate(&next)?;
    Ok(Iterate::new(next, evaluation))
}

/// The address a read holds with its image, and the decoder's output there, so that the next
/// pixel step needs no second decode.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldAddress {
    /// μ, the addressing weights (f64: every energy comparison of a read is exact). [K]
    pub weights: Vec<f64>,
    /// Decoder logits at μ. [784]
    pub logits: Vec<f32>,
}

/// How an iterate's address was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressStep {
    /// The encoder's address of this image.
    Amortised,
    /// The previous address, kept because the encoder's was worse (guarded read).
    Kept,
    /// Descended from the better of the two with `steps` accepted gradient steps.
    Optimised { steps: usize },
}

/// One iterate of a read with what the memory said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Iterate {
    pub image: Image,
    pub evaluation: Evaluation,
    /// The address held with `image` (memories that hold one).
    pub held: Option<HeldAddress>,
    /// F(x_n, μ_{n-1}): the energy after this iteration's pixel step and before its address
    /// step. `evaluation.energy - pixel_step_energy` is what the address step did. None for the
    /// query and for memories without a held address.
    pub pixel_step_energy: Option<f64>,
    /// How `held` was chosen.
    pub address_step: Option<AddressStep>,
}

impl Iterate {
    /// An iterate of a read that holds no address.
    pub fn new(image: Image, evaluation: Evaluation) -> Self {
        Self { image, evaluation, held: None, pixel_step_energy: None, address_step: None }
    }

    /// (pixel step, address step) energy changes that led to this iterate from `previous`:
    /// they sum to the whole step. None without both energies.
    pub fn half_steps(&self, previous: &Iterate) -> Option<(f64, f64)> {
        let (before, after, middle) = (previous.evaluation.energy?, self.evaluation.energy?, self.pixel_step_energy?);
        Some((middle - before, after - middle))
    }
}

/// Runs `plan.iterations` read steps from `query`; element 0 is the query itself.
pub fn read_iterations(memory: &dyn AttractorMemory, query: &Image, plan: &ReadPlan) -> Result<Vec<Iterate>, MemoryError> {
    plan.validate()?;
    let mut out = Vec::with_capacity(plan.iterations + 1);
    if let Some(addressed) = memory.addressed() {
        out.push(addressed.start_read(query, plan)?);
        for n in 0..plan.iterations {
            let next = addressed.read_step(out.last().expect("iterate 0"), plan, plan.seed.wrapping_add(n as u64))?;
            out.push(next);
        }
        return Ok(out);
    }
    // Stateless memories: the evaluation and the step share one pass.
    check_addressing(memory, plan.addressing)?;
    let mut image = query.clone();
    for n in 0..plan.iterations {
        let (evaluation, next) = memory.evaluate_and_step(&image, plan.update, plan.seed.wrapping_add(n as u64))?;
        out.push(Iterate::new(image, evaluation));
        image = next;
    }
    let evaluation = memory.evaluate(&image)?;
    out.push(Iterate::new(image, evaluation));
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
