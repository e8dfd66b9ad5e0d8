//! Encoder e(x) -> z and decoder d(z) -> Bernoulli logits for 28x28x1 images (docs/model.md and
//! the PyTorch reference's `--arch simple|resnet`, so the two can be compared layer for layer).

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::Device;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::data::{PIXELS, SIDE};

use crate::kernels::dense_rows;
use crate::kernels::fast_conv::FusedForward;
use crate::kernels::parallel_relu::relu;

/// Which encoder/decoder pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Arch {
    /// 2 strided convs + linear; mirror with transposed convs (the reference's default).
    #[default]
    Simple,
    /// Strided convolutions interleaved with residual blocks.
    Resnet,
}

impl std::str::FromStr for Arch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "simple" => Ok(Arch::Simple),
            "resnet" => Ok(Arch::Resnet),
            _ => Err(format!("unknown arch {s:?} (simple or resnet)")),
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Arch::Simple => "simple",
            Arch::Resnet => "resnet",
        })
    }
}

fn conv(cin: usize, cout: usize, kernel: usize, stride: usize, pad: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .init(device)
}

fn conv_transpose(cin: usize, cout: usize, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([cin, cout], [4, 4])
        .with_stride([2, 2])
        .with_padding([1, 1])
        .init(device)
}

/// conv3x3 -> ReLU -> conv3x3, + input, ReLU.
#[derive(Module, Debug)]
pub struct ResBlock {
    first: Conv2d,
    second: Conv2d,
}

impl ResBlock {
    pub fn new(channels: usize, device: &Device) -> Self {
        Self {
            first: conv(channels, channels, 3, 1, 1, device),
            second: conv(channels, channels, 3, 1, 1, device),
        }
    }

    /// # Shapes
    /// - x: [N, ch, h, w] -> [N, ch, h, w]
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self.second.forward_fused(self.first.forward_fused_relu(x.clone()));
        relu(y + x)
    }
}

#[derive(Config, Debug)]
pub struct EncoderConfig {
    pub code_size: usize,
    #[config(default = "Arch::Simple")]
    pub arch: Arch,
}

/// e: 1x28x28 -> C (deterministic, no activation on z).
#[derive(Module, Debug)]
pub struct Encoder {
    conv1: Conv2d,
    conv2: Conv2d,
    /// Resnet only: the blocks and the third conv.
    blocks: Vec<ResBlock>,
    conv3: Option<Conv2d>,
    fc: Linear,
}

impl EncoderConfig {
    pub fn init(&self, device: &Device) -> Encoder {
        match self.arch {
            Arch::Simple => Encoder {
                conv1: conv(1, 32, 4, 2, 1, device),
                conv2: conv(32, 64, 4, 2, 1, device),
                blocks: vec![],
                conv3: None,
                fc: LinearConfig::new(64 * 7 * 7, self.code_size).init(device),
            },
            Arch::Resnet => Encoder {
                conv1: conv(1, 32, 4, 2, 1, device),
                conv2: conv(32, 64, 4, 2, 1, device),
                blocks: vec![ResBlock::new(32, device), ResBlock::new(64, device)],
                conv3: Some(conv(64, 64, 3, 2, 1, device)),
                fc: LinearConfig::new(64 * 4 * 4, self.code_size).init(device),
            },
        }
    }
}

impl Encoder {
    /// # Shapes
    /// - images: [N, 784] (values in [0,1]) -> codes [N, C]
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let n = images.dims()[0];
        let x = images.reshape([n, 1, SIDE, SIDE]);
        let mut h = self.conv1.forward_fused_relu(x);
        if let Some(block) = self.blocks.first() {
            h = block.forward(h);
        }
        h = self.conv2.forward_fused_relu(h);
        if let Some(block) = self.blocks.get(1) {
            h = block.forward(h);
        }
        if let Some(conv3) = &self.conv3 {
            h = conv3.forward_fused_relu(h);
        }
        dense_rows::linear(&self.fc, h.flatten::<2>(1, 3))
    }
}

#[derive(Config, Debug)]
pub struct DecoderConfig {
    pub code_size: usize,
    #[config(default = "Arch::Simple")]
    pub arch: Arch,
}

/// d: C -> 1x28x28 Bernoulli logits (no sigmoid).
#[derive(Module, Debug)]
pub struct Decoder {
    fc: Linear,
    blocks: Vec<ResBlock>,
    deconv1: ConvTranspose2d,
    deconv2: ConvTranspose2d,
}

impl DecoderConfig {
    pub fn init(&self, device: &Device) -> Decoder {
        Decoder {
            fc: LinearConfig::new(self.code_size, 64 * 7 * 7).init(device),
            blocks: match self.arch {
                Arch::Simple => vec![],
                Arch::Resnet => vec![ResBlock::new(64, device), ResBlock::new(32, device)],
            },
            deconv1: conv_transpose(64, 32, device),
            deconv2: conv_transpose(32, 1, device),
        }
    }
}

impl Decoder {
    /// # Shapes
    /// - codes: [N, C] -> logits [N, 784]
    pub fn forward(&self, codes: Tensor<2>) -> Tensor<2> {
        let n = codes.dims()[0];
        let mut h = relu(dense_rows::linear(&self.fc, codes)).reshape([n, 64, 7, 7]);
        if let Some(block) = self.blocks.first() {
            h = block.forward(h);
        }
        h = self.deconv1.forward_fused_relu(h);
        if let Some(block) = self.blocks.get(1) {
            h = block.forward(h);
        }
        self.deconv2.forward_fused(h).reshape([n, PIXELS])
    }
}

/// Σ_pixels ln Bern(x; sigmoid(l)) = Σ x·l − softplus(l), computed stably (never the log of a
/// sigmoid output). One fused pass on the flex backend ([`crate::kernels::fused_bernoulli`]), the
/// tensor-op form elsewhere.
///
/// # Shapes
/// - targets, logits: [N, D] -> [N]
pub fn bernoulli_log_likelihood(targets: Tensor<2>, logits: Tensor<2>) -> Tensor<1> {
    crate::kernels::fused_bernoulli::bernoulli_log_likelihood(&targets, &logits).unwrap_or_else(|| bernoulli_log_likelihood_generic(targets, logits))
}

/// [`bernoulli_log_likelihood`] as tensor ops, on any backend (and the fused path's reference).
///
/// # Shapes
/// - targets, logits: [N, D] -> [N]
pub fn bernoulli_log_likelihood_generic(targets: Tensor<2>, logits: Tensor<2>) -> Tensor<1> {
    let n = logits.dims()[0];
    // softplus(l) = max(l, 0) + ln(1 + e^{−|l|})
    let softplus = logits.clone().clamp_min(0.0) + logits.clone().abs().neg().exp().log1p();
    (targets * logits - softplus).sum_dim(1).reshape([n])
}

/// ln N(x; μ, σ² I) summed over the last axis, with ln σ given.
///
/// # Shapes
/// - x, mean, log_std: [M, D] (log_std broadcastable) -> [M]
pub(crate) fn gaussian_log_density(x: Tensor<2>, mean: Tensor<2>, log_std: Tensor<2>) -> Tensor<1> {
    let [m, d] = x.dims();
    let z = (x - mean) / log_std.clone().exp();
    (z.square().mul_scalar(-0.5) - log_std).sum_dim(1).reshape([m]).sub_scalar(0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln())
}
