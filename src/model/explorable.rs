//! One explorable form for every trained kind: [`Explorable`] implements [`AttractorMemory`]
//! once (the name, the stored images, the checks of every image, the encoder's space) and each
//! model's form implements the small [`TrainedAttractor`]: its write, its read step and what
//! its memory panel shows, with its optional facets.

use burn::tensor::Device;

use crate::data::{Image, SIDE};
use crate::memory::attractor::{About, AddressedRead, AttractorMemory, Embedding, Evaluation, Generator, LandscapeSpace, MemoryError, Panel, ReadUpdate, WriteReport, check_size};

use super::networks::Encoder;
use super::reading::{check_episode, encoder_embeddings};

/// What a trained model's explorable form does; [`Explorable`] adds the rest. Every image it is
/// given has been checked to be 28×28, every episode to be non-empty.
pub trait TrainedAttractor: Send + 'static {
    /// Its units and size, under the name `name` (see [`About`]).
    fn about(&self, name: String) -> About;

    /// Writes the episode into the model's memory.
    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError>;

    /// The memory as before any write (the no-write control).
    fn forget(&mut self);

    /// The energy, terms and weights at `image`, and the next iterate from it
    /// ([`MemoryError::Empty`] before a write).
    fn evaluate_and_step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<(Evaluation, Image), MemoryError>;

    /// The evaluation alone (by default the first half of [`Self::evaluate_and_step`]).
    fn evaluate(&self, image: &Image) -> Result<Evaluation, MemoryError> {
        self.evaluate_and_step(image, ReadUpdate::Mode, 0).map(|(evaluation, _)| evaluation)
    }

    /// The next iterate alone (by default the second half of [`Self::evaluate_and_step`]).
    fn step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<Image, MemoryError> {
        self.evaluate_and_step(image, update, seed).map(|(_, next)| next)
    }

    /// The memory panel's pictures, `stored` being what was last written.
    fn inspect(&self, stored: &[Image]) -> Vec<Panel>;

    /// Its optional abilities (none by default).
    fn facets(&self) -> Facets<'_> {
        Facets::default()
    }
}

/// The optional abilities of a trained form (see the facets of [`AttractorMemory`]).
#[derive(Default)]
pub struct Facets<'a> {
    /// Reads that hold an address.
    pub addressed: Option<&'a dyn AddressedRead>,
    /// An energy landscape.
    pub landscape: Option<&'a dyn LandscapeSpace>,
    /// Samples.
    pub generator: Option<&'a dyn Generator>,
    /// The encoder whose codes e(x) are the model's own space, and its device (None: the
    /// pixels are).
    pub encoder: Option<(&'a Encoder, &'a Device)>,
}

/// A trained model's form with a name and the episode it holds: the [`AttractorMemory`] of
/// every trained kind.
pub struct Explorable<M> {
    name: String,
    form: M,
    stored: Vec<Image>,
}

impl<M: TrainedAttractor> Explorable<M> {
    pub fn new(name: &str, form: M) -> Self {
        Self { name: name.to_string(), form, stored: Vec::new() }
    }

    /// The model's own form (its addresses, its optimised address step, ...).
    pub fn form(&self) -> &M {
        &self.form
    }
}

impl<M: TrainedAttractor> AttractorMemory for Explorable<M> {
    fn about(&self) -> About {
        self.form.about(self.name.clone())
    }

    fn write(&mut self, episode: &[Image]) -> Result<WriteReport, MemoryError> {
        check_episode(episode)?;
        let report = self.form.write(episode)?;
        self.stored = episode.to_vec();
        Ok(report)
    }

    fn stored(&self) -> &[Image] {
        &self.stored
    }

    fn forget(&mut self) {
        self.form.forget();
        self.stored.clear();
    }

    fn evaluate(&self, image: &Image) -> Result<Evaluation, MemoryError> {
        check_size(std::slice::from_ref(image), SIDE, SIDE)?;
        self.form.evaluate(image)
    }

    fn step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<Image, MemoryError> {
        check_size(std::slice::from_ref(image), SIDE, SIDE)?;
        self.form.step(image, update, seed)
    }

    fn evaluate_and_step(&self, image: &Image, update: ReadUpdate, seed: u64) -> Result<(Evaluation, Image), MemoryError> {
        check_size(std::slice::from_ref(image), SIDE, SIDE)?;
        self.form.evaluate_and_step(image, update, seed)
    }

    fn inspect(&self) -> Vec<Panel> {
        self.form.inspect(&self.stored)
    }

    fn addressed(&self) -> Option<&dyn AddressedRead> {
        self.form.facets().addressed
    }

    fn landscape(&self) -> Option<&dyn LandscapeSpace> {
        self.form.facets().landscape
    }

    fn generator(&self) -> Option<&dyn Generator> {
        self.form.facets().generator
    }

    fn embedding(&self) -> Option<&dyn Embedding> {
        self.form.facets().encoder.map(|_| self as &dyn Embedding)
    }
}

impl<M: TrainedAttractor> Embedding for Explorable<M> {
    fn embed(&self, images: &[Image]) -> Option<Vec<Vec<f32>>> {
        let (encoder, device) = self.form.facets().encoder?;
        encoder_embeddings(encoder, images, device)
    }
}
