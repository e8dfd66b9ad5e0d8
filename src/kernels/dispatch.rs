//! The one way a custom op reaches burn: take the f32 inputs' inner flex tensors, run the
//! kernel, and on the training device record the op's backward step with burn's autodiff
//! graph. Every op in this folder goes through [`custom_op`].

use burn::tensor::{DType, Tensor};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::strategy::NoCheckpointing;
use burn_autodiff::ops::{Backward, OpsKind};
use burn_flex::{Flex, FlexTensor};

/// The training device's backend (flex under autodiff).
pub(crate) type TrainingBackend = Autodiff<Flex>;

type TrainingPrimitive = <TrainingBackend as burn_backend::BackendTypes>::FloatTensorPrimitive;

/// An f32 tensor on one of the two flex devices, unwrapped to its backend primitive.
pub(crate) enum FlexInput {
    /// On the training device: the autodiff node around a flex tensor.
    Training(TrainingPrimitive),
    /// On the plain flex device (inference).
    Plain(FlexTensor),
}

impl FlexInput {
    /// The tensor's primitive, or None where a custom op does not apply (not f32, or not on a
    /// flex device: the wgpu build, f64 tests).
    pub fn of<const D: usize>(t: &Tensor<D>) -> Option<Self> {
        if t.dtype() != DType::F32 {
            return None;
        }
        if let Ok(p) = t.clone().try_into_primitive::<TrainingBackend>() {
            return Some(Self::Training(p));
        }
        t.clone().try_into_primitive::<Flex>().ok().map(Self::Plain)
    }

    /// Whether gradients flow into this input (false on the plain device).
    pub fn is_tracked(&self) -> bool {
        matches!(self, Self::Training(p) if p.is_tracked())
    }
}

/// Runs a custom op on `inputs`, all on the same flex device (None otherwise: the caller then
/// takes burn's tensor-op form).
///
/// `forward` gets the inputs' inner flex tensors, contiguous, and returns the output. On the
/// training device, when any input is tracked, `op`'s backward step is recorded with the state
/// `state` builds from those inputs and the output; on the plain device the forward is all
/// there is.
pub(crate) fn custom_op<const N: usize, const D: usize, Op: Backward<Flex, N>>(
    op: Op,
    inputs: [FlexInput; N],
    forward: impl FnOnce(&[FlexTensor; N]) -> FlexTensor,
    state: impl FnOnce([FlexTensor; N], &FlexTensor) -> Op::State,
) -> Option<Tensor<D>> {
    if inputs.iter().all(|i| matches!(i, FlexInput::Plain(_))) {
        let inner = inputs.map(|i| match i {
            FlexInput::Plain(t) => t.to_contiguous(),
            FlexInput::Training(_) => unreachable!("checked above"),
        });
        return Some(Tensor::from_primitive::<Flex>(forward(&inner)));
    }
    let training: Vec<TrainingPrimitive> = inputs
        .into_iter()
        .filter_map(|i| match i {
            FlexInput::Training(p) => Some(p),
            FlexInput::Plain(_) => None,
        })
        .collect();
    let training: [TrainingPrimitive; N] = training.try_into().ok()?;
    // The node guards keep the input nodes alive until the step is registered.
    let nodes = training.each_ref().map(|t| t.node());
    let inner = training.each_ref().map(|t| t.primitive().to_contiguous());
    let y = forward(&inner);
    let out = match op.prepare::<NoCheckpointing>(nodes).compute_bound().stateful() {
        OpsKind::Tracked(prep) => {
            let s = state(inner, &y);
            prep.finish(s, y)
        }
        OpsKind::UnTracked(prep) => prep.finish(y),
    };
    Some(Tensor::from_primitive::<TrainingBackend>(out))
}

/// The f32 values of a contiguous flex tensor.
pub(crate) fn f32s(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("contiguous f32 (custom ops take f32 inputs only)")
}
