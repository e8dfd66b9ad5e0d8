//! The one way a custom op reaches burn: take the f32 inputs' inner backend tensors, run the
//! kernel, and on the training device record the op's backward step with burn's autodiff
//! graph. Every op in this folder goes through [`custom_op`], on flex (the CPU kernels) or, in
//! the `wgpu` build, on burn's cubecl backend (the GPU kernels).

use burn::tensor::{DType, Tensor};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::strategy::NoCheckpointing;
use burn_autodiff::ops::{Backward, OpsKind};
use burn_backend::{Backend, BackendTypes};
use burn_flex::{Flex, FlexTensor};

/// The training device's primitive on backend `B`: the autodiff node around a `B` tensor.
pub(crate) type TrainingPrimitive<B> = <Autodiff<B> as BackendTypes>::FloatTensorPrimitive;

/// A backend the custom ops run on: how its tensors are unwrapped from and wrapped back into
/// burn's device-dispatching [`Tensor`], on the plain device and under autodiff.
pub(crate) trait KernelBackend: Backend {
    /// The plain (inference) primitive of `t`, or None where `t` lives elsewhere.
    fn plain<const D: usize>(t: &Tensor<D>) -> Option<Self::FloatTensorPrimitive>;
    /// The training primitive of `t`, or None where `t` lives elsewhere.
    fn training<const D: usize>(t: &Tensor<D>) -> Option<TrainingPrimitive<Self>>;
    fn wrap_plain<const D: usize>(p: Self::FloatTensorPrimitive) -> Tensor<D>;
    fn wrap_training<const D: usize>(p: TrainingPrimitive<Self>) -> Tensor<D>;
    /// The same values in a contiguous row-major buffer (the kernels index them directly).
    fn contiguous(p: &Self::FloatTensorPrimitive) -> Self::FloatTensorPrimitive;
}

macro_rules! kernel_backend {
    ($backend:ty, $contiguous:expr) => {
        impl KernelBackend for $backend {
            fn plain<const D: usize>(t: &Tensor<D>) -> Option<Self::FloatTensorPrimitive> {
                t.clone().try_into_primitive::<$backend>().ok()
            }
            fn training<const D: usize>(t: &Tensor<D>) -> Option<TrainingPrimitive<Self>> {
                t.clone().try_into_primitive::<Autodiff<$backend>>().ok()
            }
            fn wrap_plain<const D: usize>(p: Self::FloatTensorPrimitive) -> Tensor<D> {
                Tensor::from_primitive::<$backend>(p)
            }
            fn wrap_training<const D: usize>(p: TrainingPrimitive<Self>) -> Tensor<D> {
                Tensor::from_primitive::<Autodiff<$backend>>(p)
            }
            fn contiguous(p: &Self::FloatTensorPrimitive) -> Self::FloatTensorPrimitive {
                $contiguous(p)
            }
        }
    };
}

kernel_backend!(Flex, |p: &FlexTensor| p.to_contiguous());
#[cfg(feature = "wgpu")]
kernel_backend!(burn_cubecl::Cube, |p: &burn_cubecl::tensor::CubeTensor| burn_cubecl::kernel::into_contiguous(p.clone()));

/// An f32 tensor on one of backend `B`'s two devices, unwrapped to its primitive.
pub(crate) enum Input<B: KernelBackend> {
    /// On the training device: the autodiff node around a `B` tensor.
    Training(TrainingPrimitive<B>),
    /// On the plain device (inference).
    Plain(B::FloatTensorPrimitive),
}

/// An input of the CPU kernels.
pub(crate) type FlexInput = Input<Flex>;

impl<B: KernelBackend> Input<B> {
    /// The tensor's primitive, or None where a custom op does not apply (not f32, or not on
    /// one of `B`'s devices: the CPU kernels in the wgpu build, f64 tests).
    pub fn of<const D: usize>(t: &Tensor<D>) -> Option<Self> {
        if t.dtype() != DType::F32 {
            return None;
        }
        if let Some(p) = B::training(t) {
            return Some(Self::Training(p));
        }
        B::plain(t).map(Self::Plain)
    }

    /// Whether gradients flow into this input (false on the plain device).
    pub fn is_tracked(&self) -> bool {
        matches!(self, Self::Training(p) if p.is_tracked())
    }
}

/// Runs a custom op on `inputs`, all on the same device of backend `B` (None otherwise: the
/// caller then takes burn's tensor-op form).
///
/// `forward` gets the inputs' inner tensors, contiguous, and returns the output. On the
/// training device, when any input is tracked, `op`'s backward step is recorded with the state
/// `state` builds from those inputs and the output; on the plain device the forward is all
/// there is.
pub(crate) fn custom_op<B: KernelBackend, const N: usize, const D: usize, Op: Backward<B, N>>(
    op: Op,
    inputs: [Input<B>; N],
    forward: impl FnOnce(&[B::FloatTensorPrimitive; N]) -> B::FloatTensorPrimitive,
    state: impl FnOnce([B::FloatTensorPrimitive; N], &B::FloatTensorPrimitive) -> Op::State,
) -> Option<Tensor<D>> {
    if inputs.iter().all(|i| matches!(i, Input::Plain(_))) {
        let inner = inputs.map(|i| match i {
            Input::Plain(t) => B::contiguous(&t),
            Input::Training(_) => unreachable!("checked above"),
        });
        return Some(B::wrap_plain(forward(&inner)));
    }
    let training: Vec<TrainingPrimitive<B>> = inputs
        .into_iter()
        .filter_map(|i| match i {
            Input::Training(p) => Some(p),
            Input::Plain(_) => None,
        })
        .collect();
    let training: [TrainingPrimitive<B>; N] = training.try_into().ok()?;
    // The node guards keep the input nodes alive until the step is registered.
    let nodes = training.each_ref().map(|t| t.node());
    let inner = training.each_ref().map(|t| B::contiguous(t.primitive()));
    let y = forward(&inner);
    let out = match op.prepare::<NoCheckpointing>(nodes).compute_bound().stateful() {
        OpsKind::Tracked(prep) => {
            let s = state(inner, &y);
            prep.finish(s, y)
        }
        OpsKind::UnTracked(prep) => prep.finish(y),
    };
    Some(B::wrap_training(out))
}

/// The f32 values of a contiguous flex tensor.
pub(crate) fn f32s(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("contiguous f32 (custom ops take f32 inputs only)")
}
