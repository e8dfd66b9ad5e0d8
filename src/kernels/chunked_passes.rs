//! How the convolution kernels split a batch: over the threads (equal shares of the images)
//! and, within a thread's share, over chunks of images small enough for one GEMM in cache.
//! Backward passes sum each thread's weight and bias gradients at the end; forward passes
//! write each chunk's outputs in place.
//!
//! A layer followed by a ReLU takes it here too: the forward adds the bias and clamps in one
//! pass ([`add_bias`]), and the backward masks each chunk's output gradient with the output's
//! sign into a scratch buffer while it is in cache ([`ChunkPlan::relu_output`]). Run as a
//! separate op, the ReLU's two passes over the activations took about 7% of a training step
//! (docs/speed.md).

use rayon::prelude::*;

use super::parallel_relu::relu_gradient;
use super::thread_buffers::{with_scratch, zeroed_by_threads};

/// Gradients of one convolution-like layer, flat and row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerGrads {
    /// Same shape as the layer's input; None when it was not asked for.
    pub input: Option<Vec<f32>>,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// What one chunk's backward step works on: its images, their output gradient (masked by
/// the ReLU where there is one), its slot of the input gradient (if asked for), its thread's
/// weight- and bias-gradient accumulators, and three scratch matrices of
/// `ChunkPlan::scratch_per_image` floats an image each.
pub(super) struct ChunkStep<'a> {
    pub images: std::ops::Range<usize>,
    /// [b, output image] for the chunk's b images.
    pub grad_out: &'a [f32],
    pub input_grad: Option<&'a mut [f32]>,
    pub weight_grad: &'a mut [f32],
    pub bias_grad: &'a mut [f32],
    pub scratch: [&'a mut [f32]; 3],
}

/// What [`over_chunks`] splits.
pub(super) struct ChunkPlan<'a> {
    pub images: usize,
    /// The layer's output gradient [N, output image].
    pub grad_out: &'a [f32],
    /// The layer's output after a ReLU that belongs to it (same shape as `grad_out`): the
    /// gradient passes where it is positive. None: no ReLU.
    pub relu_output: Option<&'a [f32]>,
    /// Floats of one image's input gradient.
    pub input_len: usize,
    pub want_input: bool,
    pub weight_len: usize,
    pub bias_len: usize,
    /// Floats per image of each scratch matrix.
    pub scratch_per_image: usize,
}

/// Images per GEMM: enough columns for the matrix kernels to run near their peak, few enough
/// that a chunk's patch matrix (`per_image` floats an image) stays around 1 MB, in cache.
pub(super) fn images_per_chunk(per_image: usize) -> usize {
    (262_144 / per_image.max(1)).clamp(1, 64)
}

/// Splits the batch over the threads and each thread's share into chunks of
/// [`images_per_chunk`] images, runs `per_chunk` on each, then sums the threads'
/// accumulators.
pub(super) fn over_chunks(plan: ChunkPlan, per_chunk: impl Fn(ChunkStep) + Sync) -> LayerGrads {
    let ChunkPlan { images: n, grad_out, relu_output, input_len, want_input, weight_len, bias_len, scratch_per_image } = plan;
    let out_len = grad_out.len() / n.max(1);
    assert!(out_len * n == grad_out.len() && relu_output.is_none_or(|y| y.len() == grad_out.len()), "over_chunks: output gradient size");
    let share = n.div_ceil(rayon::current_num_threads().max(1)).max(1);
    let chunk = images_per_chunk(scratch_per_image);
    let mut input = want_input.then(|| zeroed_by_threads(n * input_len));
    let slots: Vec<Option<&mut [f32]>> = match input.as_mut() {
        Some(buf) => buf.chunks_mut(share * input_len.max(1)).map(Some).collect(),
        None => (0..n.div_ceil(share)).map(|_| None).collect(),
    };
    let partials: Vec<(Vec<f32>, Vec<f32>)> = slots
        .into_par_iter()
        .enumerate()
        .map(|(t, mut slot)| {
            let (mut weight, mut bias) = (vec![0.0f32; weight_len], vec![0.0f32; bias_len]);
            let (start, end) = (t * share, n.min((t + 1) * share));
            let chunk = chunk.min(end - start);
            let masked_len = if relu_output.is_some() { chunk * out_len } else { 0 };
            with_scratch([chunk * scratch_per_image, chunk * scratch_per_image, chunk * scratch_per_image, masked_len], |[a, b, c, masked]| {
                for first in (start..end).step_by(chunk) {
                    let images = first..end.min(first + chunk);
                    let local = (first - start) * input_len..(images.end - start) * input_len;
                    let outputs = images.start * out_len..images.end * out_len;
                    let grad_out = match relu_output {
                        Some(y) => {
                            let masked = &mut masked[..outputs.len()];
                            masked.iter_mut().zip(&grad_out[outputs.clone()]).zip(&y[outputs]).for_each(|((m, &g), &y)| *m = relu_gradient(g, y));
                            &*masked
                        }
                        None => &grad_out[outputs],
                    };
                    per_chunk(ChunkStep {
                        grad_out,
                        input_grad: slot.as_deref_mut().map(|s| &mut s[local]),
                        images,
                        weight_grad: &mut weight,
                        bias_grad: &mut bias,
                        scratch: [&mut *a, &mut *b, &mut *c],
                    });
                }
            });
            (weight, bias)
        })
        .collect();
    let mut parts = partials.into_iter();
    let (mut weight, mut bias) = parts.next().unwrap_or_else(|| (vec![0.0; weight_len], vec![0.0; bias_len]));
    for (w, b) in parts {
        weight.iter_mut().zip(&w).for_each(|(acc, v)| *acc += v);
        bias.iter_mut().zip(&b).for_each(|(acc, v)| *acc += v);
    }
    LayerGrads { input, weight, bias }
}

/// Runs `per_chunk(first image, its outputs, two scratch buffers)` over the batch's outputs
/// (`out_len` floats an image) in chunks of `chunk` images, the threads taking equal shares;
/// returns the outputs (zeroed before).
pub(super) fn over_output_chunks(n: usize, out_len: usize, chunk: usize, scratch_per_image: [usize; 2], per_chunk: impl Fn(usize, &mut [f32], [&mut [f32]; 2]) + Sync) -> Vec<f32> {
    let mut out = zeroed_by_threads(n * out_len);
    if out.is_empty() {
        return out;
    }
    let share = n.div_ceil(rayon::current_num_threads().max(1)).max(1);
    out.par_chunks_mut(share * out_len).enumerate().for_each(|(t, part)| {
        // Scratch for the chunk size actually used: a single image (a query being read) must
        // not pay for zeroing a 64-image chunk on the thread's first call.
        let images = chunk.min(part.len() / out_len);
        with_scratch(scratch_per_image.map(|len| len * images), |[a, b]| {
            for (c, images) in part.chunks_mut(chunk * out_len).enumerate() {
                per_chunk(t * share + c * chunk, images, [&mut *a, &mut *b]);
            }
        });
    });
    out
}

/// Adds `bias[c]` to every channel plane (`plane` floats) of the images in `images`, then
/// (`relu`) clamps at 0.
pub(super) fn add_bias(images: &mut [f32], plane: usize, bias: &[f32], relu: bool) {
    for (channel, b) in images.chunks_exact_mut(plane).zip(bias.iter().cycle()) {
        match relu {
            true => channel.iter_mut().for_each(|v| *v = (*v + b).max(0.0)),
            false => channel.iter_mut().for_each(|v| *v += b),
        }
    }
}

