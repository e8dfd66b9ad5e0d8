//! The encoder's and decoder's layers as shapes, and the floating-point operations each one
//! costs: what `kanerva bench` divides by a layer's time to say how close it runs to the
//! hardware. A test checks these shapes against the networks' parameters, so the two cannot
//! drift apart.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::Device;

use super::networks::Arch;

/// What a layer does to its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerOp {
    /// A square convolution: `kernel` x `kernel`, `stride`, `padding` on every side.
    Conv { kernel: usize, stride: usize, padding: usize },
    /// The decoders' 4 x 4, stride 2, padding 1 transposed convolution (doubles the side).
    ConvTranspose,
    /// A dense layer on the flattened input.
    Linear,
}

/// One layer with the shapes of its input and output for a single image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerShape {
    /// Where it sits, e.g. `encoder.block1.conv_a`.
    pub name: String,
    pub op: LayerOp,
    pub in_channels: usize,
    pub out_channels: usize,
    /// Side of the input's square feature map (1 for a dense layer's input vector).
    pub in_side: usize,
    /// Side of the output's square feature map (1 for a dense layer).
    pub out_side: usize,
    /// Whether training needs the gradient with respect to this layer's input (not for the
    /// encoder's first layer, whose input is the data).
    pub needs_input_gradient: bool,
}

impl LayerShape {
    fn conv(name: &str, [cin, cout]: [usize; 2], kernel: usize, stride: usize, padding: usize, in_side: usize) -> Self {
        let out_side = (in_side + 2 * padding - kernel) / stride + 1;
        Self { name: name.into(), op: LayerOp::Conv { kernel, stride, padding }, in_channels: cin, out_channels: cout, in_side, out_side, needs_input_gradient: true }
    }

    fn conv_transpose(name: &str, [cin, cout]: [usize; 2], in_side: usize) -> Self {
        Self { name: name.into(), op: LayerOp::ConvTranspose, in_channels: cin, out_channels: cout, in_side, out_side: 2 * in_side, needs_input_gradient: true }
    }

    fn linear(name: &str, inputs: usize, outputs: usize) -> Self {
        Self { name: name.into(), op: LayerOp::Linear, in_channels: inputs, out_channels: outputs, in_side: 1, out_side: 1, needs_input_gradient: true }
    }

    /// Multiply-adds of the forward pass for one image: every output cell of a convolution
    /// takes `in · k²` of them; every input cell of a transposed convolution scatters into
    /// `out · 4²` outputs (padding's taps included, as the kernels compute them).
    pub fn forward_multiply_adds(&self) -> u64 {
        let (cin, cout) = (self.in_channels as u64, self.out_channels as u64);
        match self.op {
            LayerOp::Conv { kernel, .. } => (self.out_side * self.out_side) as u64 * cout * cin * (kernel * kernel) as u64,
            LayerOp::ConvTranspose => (self.in_side * self.in_side) as u64 * cin * cout * 16,
            LayerOp::Linear => cin * cout,
        }
    }

    /// Floating-point operations of the forward pass for one image (2 per multiply-add; bias
    /// adds and activations are not counted).
    pub fn forward_flops(&self) -> u64 {
        2 * self.forward_multiply_adds()
    }

    /// Floating-point operations of the backward pass for one image: the weight gradient costs
    /// what the forward does, and so does the input gradient where one is needed.
    pub fn backward_flops(&self) -> u64 {
        self.forward_flops() * if self.needs_input_gradient { 2 } else { 1 }
    }

    /// Weights and biases.
    pub fn parameters(&self) -> usize {
        let taps = match self.op {
            LayerOp::Conv { kernel, .. } => kernel * kernel,
            LayerOp::ConvTranspose => 16,
            LayerOp::Linear => 1,
        };
        self.in_channels * self.out_channels * taps + self.out_channels
    }

    /// Elements of one image's input.
    pub fn input_len(&self) -> usize {
        self.in_channels * self.in_side * self.in_side
    }

    /// A freshly initialised layer of this shape (for timing it alone).
    pub fn init(&self, device: &Device) -> Layer {
        let channels = [self.in_channels, self.out_channels];
        match self.op {
            LayerOp::Conv { kernel, stride, padding } => Layer::Conv(Conv2dConfig::new(channels, [kernel, kernel]).with_stride([stride, stride]).with_padding(PaddingConfig2d::Explicit(padding, padding, padding, padding)).init(device)),
            LayerOp::ConvTranspose => Layer::ConvTranspose(ConvTranspose2dConfig::new(channels, [4, 4]).with_stride([2, 2]).with_padding([1, 1]).init(device)),
            LayerOp::Linear => Layer::Linear(LinearConfig::new(self.in_channels, self.out_channels).init(device)),
        }
    }
}

/// A layer built from a [`LayerShape`].
#[derive(Debug)]
pub enum Layer {
    Conv(Conv2d),
    ConvTranspose(ConvTranspose2d),
    Linear(Linear),
}

/// The encoder's layers in the order they run (networks.rs's `Encoder::forward`).
pub fn encoder_layers(arch: Arch, code_size: usize) -> Vec<LayerShape> {
    let mut first = LayerShape::conv("encoder.conv1", [1, 32], 4, 2, 1, 28);
    first.needs_input_gradient = false;
    match arch {
        Arch::Simple => vec![first, LayerShape::conv("encoder.conv2", [32, 64], 4, 2, 1, 14), LayerShape::linear("encoder.fc", 64 * 7 * 7, code_size)],
        Arch::Resnet => vec![
            first,
            LayerShape::conv("encoder.block1.first", [32, 32], 3, 1, 1, 14),
            LayerShape::conv("encoder.block1.second", [32, 32], 3, 1, 1, 14),
            LayerShape::conv("encoder.conv2", [32, 64], 4, 2, 1, 14),
            LayerShape::conv("encoder.block2.first", [64, 64], 3, 1, 1, 7),
            LayerShape::conv("encoder.block2.second", [64, 64], 3, 1, 1, 7),
            LayerShape::conv("encoder.conv3", [64, 64], 3, 2, 1, 7),
            LayerShape::linear("encoder.fc", 64 * 4 * 4, code_size),
        ],
    }
}

/// The decoder's layers in the order they run (networks.rs's `Decoder::forward`).
pub fn decoder_layers(arch: Arch, code_size: usize) -> Vec<LayerShape> {
    let fc = LayerShape::linear("decoder.fc", code_size, 64 * 7 * 7);
    let deconv1 = LayerShape::conv_transpose("decoder.deconv1", [64, 32], 7);
    let deconv2 = LayerShape::conv_transpose("decoder.deconv2", [32, 1], 14);
    match arch {
        Arch::Simple => vec![fc, deconv1, deconv2],
        Arch::Resnet => vec![
            fc,
            LayerShape::conv("decoder.block1.first", [64, 64], 3, 1, 1, 7),
            LayerShape::conv("decoder.block1.second", [64, 64], 3, 1, 1, 7),
            deconv1,
            LayerShape::conv("decoder.block2.first", [32, 32], 3, 1, 1, 14),
            LayerShape::conv("decoder.block2.second", [32, 32], 3, 1, 1, 14),
            deconv2,
        ],
    }
}

/// Floating-point operations of the networks in one DKM training step of `images` images:
/// the encoder once, the decoder twice (the read's reconstruction and the autoencoder term),
/// forward and backward. The memory maths (K x K factors, K = 32) are left out: under 1% here.
pub fn training_step_flops(arch: Arch, code_size: usize, images: usize) -> u64 {
    let pass = |layers: Vec<LayerShape>| layers.iter().map(|l| l.forward_flops() + l.backward_flops()).sum::<u64>();
    images as u64 * (pass(encoder_layers(arch, code_size)) + 2 * pass(decoder_layers(arch, code_size)))
}

/// Floating-point operations of one reading step of one query (encode, decode; forward only).
pub fn read_step_flops(arch: Arch, code_size: usize) -> u64 {
    let pass = |layers: Vec<LayerShape>| layers.iter().map(LayerShape::forward_flops).sum::<u64>();
    pass(encoder_layers(arch, code_size)) + pass(decoder_layers(arch, code_size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::networks::{DecoderConfig, EncoderConfig};
    use burn::module::Module;

    /// The shapes hold exactly the networks' parameters, arch by arch: a layer added to one and
    /// not the other fails here.
    #[test]
    fn layer_shapes_account_for_every_parameter_of_the_networks() {
        let device = crate::backend::inference_device();
        for arch in [Arch::Simple, Arch::Resnet] {
            let encoder = EncoderConfig::new(100).with_arch(arch).init(&device);
            let decoder = DecoderConfig::new(100).with_arch(arch).init(&device);
            let count = |layers: Vec<LayerShape>| layers.iter().map(LayerShape::parameters).sum::<usize>();
            assert_eq!(count(encoder_layers(arch, 100)), encoder.num_params(), "{arch} encoder");
            assert_eq!(count(decoder_layers(arch, 100)), decoder.num_params(), "{arch} decoder");
        }
    }

    /// Each layer's input is the previous layer's output, and the ends are an image and a code.
    #[test]
    fn layer_shapes_chain() {
        for arch in [Arch::Simple, Arch::Resnet] {
            for (layers, input, output) in [(encoder_layers(arch, 100), 784, 100), (decoder_layers(arch, 100), 100, 784)] {
                assert_eq!(layers[0].input_len(), input, "{arch}");
                let last = layers.last().unwrap();
                assert_eq!(last.out_channels * last.out_side * last.out_side, output, "{arch}");
                for pair in layers.windows(2) {
                    assert_eq!(pair[0].out_channels * pair[0].out_side * pair[0].out_side, pair[1].input_len(), "{arch}: {} -> {}", pair[0].name, pair[1].name);
                }
            }
        }
    }

    /// The simple arch's step by hand: per image, conv1 14²·32·16, conv2 7²·64·32·16, fc
    /// 3136·100 multiply-adds; the decoder mirrors them; the first layer has no input gradient.
    #[test]
    fn the_simple_steps_flops_match_a_hand_count() {
        let (conv1, conv2, fc) = (14 * 14 * 32 * 16u64, 7 * 7 * 64 * 32 * 16u64, 3136 * 100u64);
        let encoder = 2 * (conv1 * 2 + (conv2 + fc) * 3);
        let decoder = 2 * 3 * (fc + conv2 + conv1);
        assert_eq!(training_step_flops(Arch::Simple, 100, 512), 512 * (encoder + 2 * decoder));
        // About 18.5 GFLOP a step.
        assert!((18.0e9..19.0e9).contains(&(training_step_flops(Arch::Simple, 100, 512) as f64)));
    }
}
