//! Pieces shared by the trained memories' explorable forms (DKM and Kanerva Machine): tensors
//! in and out, the pixel update of a read step, the panels that show a written q(M), and the
//! energy landscape over a latent point.

use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor, TensorData};

use crate::data::{Image, PIXELS, SIDE};
use crate::memory::attractor::{MemoryError, Panel, ReadUpdate, Term, WriteReport, check_size};
use crate::memory::dkm::MemoryState;
use crate::rng::SplitMix64;

use super::explorable::TrainedAttractor;
use super::networks::{Decoder, Encoder};

pub(crate) fn to_f32<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().expect("float tensor")
}

pub(crate) fn to_f64_scalar(t: Tensor<1>) -> f64 {
    t.into_data().convert::<f64>().try_into_vec::<f64>().expect("float tensor")[0]
}

/// # Shapes
/// - returns [N, 784]
pub(crate) fn images_tensor(images: &[Image], device: &Device) -> Tensor<2> {
    let values: Vec<f32> = images.iter().flat_map(|im| im.pixels.iter().copied()).collect();
    Tensor::from_data(TensorData::new(values, [images.len(), PIXELS]), device)
}

/// The encoder's codes e(x) of `images`, one vector each: a trained memory's own space (the
/// basin map's PCA). None for no images or a wrong size.
pub(crate) fn encoder_embeddings(encoder: &Encoder, images: &[Image], device: &Device) -> Option<Vec<Vec<f32>>> {
    if images.is_empty() || check_size(images, SIDE, SIDE).is_err() {
        return None;
    }
    let codes = encoder.forward(images_tensor(images, device));
    let c = codes.dims()[1];
    Some(to_f32(codes).chunks(c).map(<[f32]>::to_vec).collect())
}

/// Bernoulli means of the decoded codes, as images.
///
/// # Shapes
/// - codes: [N, C]
pub(crate) fn decode_probabilities(decoder: &Decoder, codes: Tensor<2>) -> Vec<Image> {
    probability_images(decoder.forward(codes))
}

/// The Bernoulli means of decoder logits, as images.
///
/// # Shapes
/// - logits: [M, 784] -> M images
pub(crate) fn probability_images(logits: Tensor<2>) -> Vec<Image> {
    let n = logits.dims()[0];
    let p = to_f32(sigmoid(logits));
    (0..n).map(|i| Image::new(SIDE, SIDE, p[i * PIXELS..(i + 1) * PIXELS].to_vec())).collect()
}

/// The next iterate from decoder logits of one image: the mode, the means, or a sample.
///
/// # Shapes
/// - logits: [1, 784]
pub(crate) fn next_iterate(logits: Tensor<2>, update: ReadUpdate, seed: u64) -> Image {
    iterate_from_logits(&to_f32(logits), update, seed)
}

/// [`next_iterate`] from logits already on the host. The mode is `l >= 0` exactly, so that it
/// minimises −ln p(x | l) pixel by pixel in the same arithmetic as the read's energies.
///
/// # Shapes
/// - logits: [784]
pub(crate) fn iterate_from_logits(logits: &[f32], update: ReadUpdate, seed: u64) -> Image {
    let probability = |l: f32| (1.0 / (1.0 + (-(l as f64)).exp())) as f32;
    let mut rng = SplitMix64::new(seed);
    let pixels = match update {
        ReadUpdate::Mode => logits.iter().map(|&l| if l >= 0.0 { 1.0 } else { 0.0 }).collect(),
        ReadUpdate::Mean => logits.iter().map(|&l| probability(l)).collect(),
        ReadUpdate::Sample => logits.iter().map(|&l| if rng.next_f32() < probability(l) { 1.0 } else { 0.0 }).collect(),
    };
    Image::new(SIDE, SIDE, pixels)
}

/// A trained memory's episode: not empty, every image 28x28.
pub(crate) fn check_episode(episode: &[Image]) -> Result<(), MemoryError> {
    if episode.is_empty() {
        return Err(MemoryError::EmptyEpisode);
    }
    check_size(episode, SIDE, SIDE)
}

/// What a write of `stored` items reports: KL(q(M)‖p(M)), in all and per item.
pub(crate) fn write_report(kl_memory: f64, stored: usize) -> WriteReport {
    WriteReport {
        stored,
        terms: vec![Term::new("KL(M) nats", kl_memory), Term::new("KL(M) per image", kl_memory / stored as f64)],
    }
}

/// R, U and the decoded rows of a single written memory.
pub(crate) fn memory_panels(state: &MemoryState, decoder: &Decoder) -> Vec<Panel> {
    let [_, k, c] = state.mean.dims();
    let r = state.mean.clone().reshape([k, c]);
    vec![
        Panel::Heatmap { title: "memory mean R (K × C)".into(), rows: k, cols: c, values: to_f32(r.clone()) },
        Panel::Heatmap { title: "row covariance U (K × K)".into(), rows: k, cols: k, values: to_f32(state.cov.clone().reshape([k, k])) },
        Panel::Images { title: "decoded memory rows d(R_k)".into(), images: decode_probabilities(decoder, r) },
    ]
}

/// A latent point (an address or a key) as landscape coordinates.
///
/// # Shapes
/// - latent: [1, L]
pub(crate) fn latent_point(latent: Tensor<2>) -> Vec<f64> {
    to_f32(latent).into_iter().map(f64::from).collect()
}

/// A landscape point back as a latent tensor, checked against the latent's size.
///
/// # Shapes
/// - returns [1, size]
pub(crate) fn latent_tensor(point: &[f64], size: usize, what: &str, device: &Device) -> Result<Tensor<2>, MemoryError> {
    if point.len() != size {
        return Err(MemoryError::Model(format!("a landscape point of {} values for a {size}-dimensional {what}", point.len())));
    }
    Ok(Tensor::from_data(TensorData::new(point.iter().map(|&v| v as f32).collect::<Vec<f32>>(), [1, size]), device))
}

/// The landscape of a memory whose state is a latent point (the KM's address, K++'s key): at
/// the point, the image the memory returns there (the decoder's mode at the code it reads,
/// `code`) and that image's energy as the memory evaluates it, the quantity the energy plot
/// shows. A stored item that the memory recalls sits where its own address reads it back.
///
/// # Shapes
/// - code: [1, C]
pub(crate) fn landscape_at_code(memory: &impl TrainedAttractor, decoder: &Decoder, code: Tensor<2>) -> Result<(f64, Image), MemoryError> {
    let image = next_iterate(decoder.forward(code), ReadUpdate::Mode, 0);
    let energy = memory.evaluate(&image)?.energy.ok_or_else(|| MemoryError::Model("this memory reports no energy".into()))?;
    Ok((energy, image))
}
