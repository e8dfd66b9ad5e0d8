//! A dense layer on a few rows (one query being read) on the plain flex device, as AVX-512
//! multiply-adds with the outputs held in registers.
//!
//! Why: a one-query read step spends a third of its time in the encoder's and decoder's dense
//! layers, matrix-vector products over 1.25 MB of weights; flex's matmul took 28 µs for the
//! encoder's (3136 -> 100) on two threads and 19 µs on one (`cargo run --release --example
//! read_timing`), where streaming the weights once takes a few. Training (autodiff tensors),
//! batches of more than [`MAX_ROWS`] rows, the wgpu backend and CPUs without AVX-512 take the
//! layer's own `forward`, which this equals up to float rounding (tested).

use burn::nn::Linear;
use burn::tensor::{Tensor, TensorData};
use burn_flex::FlexTensor;

use super::dispatch::{FlexInput, f32s};

/// Rows up to which the kernel runs; beyond, a GEMM (burn's matmul) reuses the weights better.
pub const MAX_ROWS: usize = 4;

/// Whether [`linear`] of `x` takes the kernel (tests check that they test what they claim).
pub fn takes_kernel_path(layer: &Linear, x: &Tensor<2>) -> bool {
    x.dims()[0] <= MAX_ROWS && layer.bias.is_some() && avx512() && matches!(FlexInput::of(x), Some(FlexInput::Plain(_)))
}

/// Same as `layer.forward(x)`.
///
/// # Shapes
/// - x: [N, inputs] -> [N, outputs]
pub fn linear(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    if !takes_kernel_path(layer, &x) {
        return layer.forward(x);
    }
    let plain = |t: Tensor<2>| match FlexInput::of(&t) {
        Some(FlexInput::Plain(p)) => Some(p.to_contiguous()),
        _ => None,
    };
    let bias = layer.bias.as_ref().map(|b| b.val().unsqueeze_dim::<2>(0));
    let (Some(xs), Some(weight), Some(bias)) = (plain(x.clone()), plain(layer.weight.val()), bias.and_then(plain)) else { return layer.forward(x) };
    let ([rows, inputs], [_, outputs]) = (x.dims(), layer.weight.dims());
    let mut out = vec![0.0f32; rows * outputs];
    dense_rows(f32s(&xs), f32s(&weight), f32s(&bias), [rows, inputs, outputs], &mut out);
    Tensor::from_primitive::<burn_flex::Flex>(FlexTensor::from_data(TensorData::new(out, [rows, outputs])))
}

fn avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `out = x · weight + bias`.
///
/// # Shapes
/// - x: [rows, inputs]; weight: [inputs, outputs] (burn's `Linear` layout); bias: [outputs]
/// - out: [rows, outputs] (overwritten)
fn dense_rows(x: &[f32], weight: &[f32], bias: &[f32], [rows, inputs, outputs]: [usize; 3], out: &mut [f32]) {
    assert!(x.len() == rows * inputs && weight.len() == inputs * outputs && bias.len() == outputs && out.len() == rows * outputs, "dense_rows: sizes do not fit");
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: avx512f present; the sizes were checked above.
        unsafe { avx512::dense_rows(x, weight, bias, [rows, inputs, outputs], out) };
        return;
    }
    for (xr, yr) in x.chunks_exact(inputs).zip(out.chunks_exact_mut(outputs)) {
        yr.copy_from_slice(bias);
        for (xi, wrow) in xr.iter().zip(weight.chunks_exact(outputs)) {
            yr.iter_mut().zip(wrow).for_each(|(y, w)| *y += xi * w);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// Outputs per block: eight 16-lane accumulators, all in registers through the inputs.
    const BLOCK: usize = 128;

    /// # Safety
    /// avx512f; x [rows, inputs], weight [inputs, outputs], bias [outputs], out [rows, outputs]
    /// (checked by the caller).
    #[target_feature(enable = "avx512f")]
    pub unsafe fn dense_rows(x: &[f32], weight: &[f32], bias: &[f32], [rows, inputs, outputs]: [usize; 3], out: &mut [f32]) {
        for r in 0..rows {
            for start in (0..outputs).step_by(BLOCK) {
                let width = BLOCK.min(outputs - start);
                // Lanes of accumulator v that are real outputs; the others are masked off in
                // every load and store (masked lanes are never touched).
                let masks: [__mmask16; 8] = std::array::from_fn(|v| {
                    let lanes = width.saturating_sub(16 * v).min(16);
                    ((1u32 << lanes) - 1) as __mmask16
                });
                // SAFETY: every access is at `start + 16·v + lane` of a row of `outputs`
                // floats with lane < the mask's count, i.e. < outputs; pointers past a row are
                // formed with wrapping arithmetic and only read under an empty mask.
                unsafe {
                    let mut acc: [__m512; 8] = std::array::from_fn(|v| _mm512_maskz_loadu_ps(masks[v], bias.as_ptr().wrapping_add(start + 16 * v)));
                    for i in 0..inputs {
                        let xi = _mm512_set1_ps(*x.get_unchecked(r * inputs + i));
                        let row = weight.as_ptr().wrapping_add(i * outputs + start);
                        for v in 0..8 {
                            acc[v] = _mm512_fmadd_ps(xi, _mm512_maskz_loadu_ps(masks[v], row.wrapping_add(16 * v)), acc[v]);
                        }
                    }
                    let y = out.as_mut_ptr().wrapping_add(r * outputs + start);
                    for v in 0..8 {
                        _mm512_mask_storeu_ps(y.wrapping_add(16 * v), masks[v], acc[v]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::Distribution;

    /// The encoder's and decoder's shapes and odd ones (a partial last block, one input, one
    /// output), 1..=MAX_ROWS rows, against the layer's own forward.
    #[test]
    fn equals_the_layers_forward() {
        let device = crate::backend::inference_device();
        for [inputs, outputs] in [[3136, 100], [100, 3136], [17, 33], [1, 5], [40, 1], [256, 128]] {
            let layer = LinearConfig::new(inputs, outputs).init(&device);
            for rows in 1..=MAX_ROWS {
                let x = Tensor::<2>::random([rows, inputs], Distribution::Normal(0.0, 1.0), &device);
                if avx512() {
                    assert!(takes_kernel_path(&layer, &x), "{inputs} -> {outputs}: the kernel runs");
                }
                let (ours, theirs) = (linear(&layer, x.clone()).into_data().try_to_vec::<f32>().unwrap(), layer.forward(x).into_data().try_to_vec::<f32>().unwrap());
                assert_eq!(ours.len(), theirs.len());
                for (k, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                    assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{inputs} -> {outputs}, {rows} rows, [{k}]: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn more_rows_or_training_tensors_take_the_layers_forward() {
        let device = crate::backend::inference_device();
        let layer = LinearConfig::new(8, 4).init(&device);
        assert!(!takes_kernel_path(&layer, &Tensor::<2>::zeros([MAX_ROWS + 1, 8], &device)));
        let training = crate::backend::training_device();
        let tracked = LinearConfig::new(8, 4).init(&training);
        assert!(!takes_kernel_path(&tracked, &Tensor::<2>::zeros([1, 8], &training)));
    }
}
