//! A DKM trained by the PyTorch reference (`train.py`: `torch.save({"model": state_dict,
//! "args": ..., "arch": ..., "steps": ...})`), read with burn's own PyTorch reader (no Python),
//! each tensor mapped to ours by name and shape (docs/import.md has the table), and turned
//! into a normal checkpoint whose card says where it came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::store::pytorch_reader::{self, PickleValue, PytorchReader};
use burn::store::{ModuleSnapshot, bridge};
use burn::tensor::{Device, TensorData};

use crate::catalog::ModelKind;
use crate::memory::dkm::{MemoryConfig, WriteMode};
use crate::model::dkm::{Dkm, DkmConfig};
use crate::model::networks::Arch;
use crate::train::{CheckpointCard, save_checkpoint};

/// A reference checkpoint larger than this is not one (the ResNet DKM is about 3 MB).
const MAX_BYTES: u64 = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path}: not a PyTorch checkpoint ({problem})")]
    NotPytorch { path: PathBuf, problem: String },
    #[error("{path}: not a DKM of the PyTorch reference: {problem}")]
    NotReferenceDkm { path: PathBuf, problem: String },
    #[error("{path}: tensor {name} is {found:?}, the {arch} DKM's is {expected:?}")]
    WrongShape { path: PathBuf, name: String, arch: &'static str, found: Vec<usize>, expected: Vec<usize> },
    #[error("{path}: the {arch} DKM needs tensors the file lacks: {names}")]
    Missing { path: PathBuf, arch: &'static str, names: String },
    #[error("{path}: tensors the {arch} DKM does not have (a checkpoint of another model?): {names}")]
    Unexpected { path: PathBuf, arch: &'static str, names: String },
    #[error("{path}: tensor {name}: {problem}")]
    BadTensor { path: PathBuf, name: String, problem: String },
    #[error("{0}")]
    Write(String),
}

/// How a reference tensor becomes ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The same layout (convolutions: [out, in, kh, kw]; transposed ones: [in, out, kh, kw]).
    Same,
    /// A linear layer's weight: torch [out, in], ours [in, out].
    Transpose,
    /// A scalar parameter (torch shape []) held as shape [1].
    Scalar,
}

/// One row of the mapping: the reference's name, ours, the layout change, and the shape in
/// the reference for a DKM of K rows and code size C.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorMap {
    pub torch: String,
    pub ours: String,
    pub layout: Layout,
    pub torch_shape: Vec<usize>,
}

/// Where the reference's modules sit in its `nn.Sequential`s (index in the Sequential, which
/// counts the ReLUs and the Flatten), and the name of ours.
fn modules(arch: Arch) -> Vec<(&'static str, &'static str, Layer)> {
    use Layer::*;
    match arch {
        Arch::Simple => vec![
            ("encoder.0", "encoder.conv1", Conv(32, 1, 4)),
            ("encoder.2", "encoder.conv2", Conv(64, 32, 4)),
            ("encoder.5", "encoder.fc", Linear(3136)),
            ("dec_fc", "decoder.fc", LinearOut(3136)),
            ("dec_conv.0", "decoder.deconv1", Deconv(64, 32)),
            ("dec_conv.2", "decoder.deconv2", Deconv(32, 1)),
        ],
        Arch::Resnet => vec![
            ("encoder.0", "encoder.conv1", Conv(32, 1, 4)),
            ("encoder.2", "encoder.blocks.0", Res(32)),
            ("encoder.3", "encoder.conv2", Conv(64, 32, 4)),
            ("encoder.5", "encoder.blocks.1", Res(64)),
            ("encoder.6", "encoder.conv3", Conv(64, 64, 3)),
            ("encoder.9", "encoder.fc", Linear(1024)),
            ("dec_fc", "decoder.fc", LinearOut(3136)),
            ("dec_conv.0", "decoder.blocks.0", Res(64)),
            ("dec_conv.1", "decoder.deconv1", Deconv(64, 32)),
            ("dec_conv.3", "decoder.blocks.1", Res(32)),
            ("dec_conv.4", "decoder.deconv2", Deconv(32, 1)),
        ],
    }
}

/// The kinds of module in the reference's networks, with their sizes.
#[derive(Debug, Clone, Copy)]
enum Layer {
    /// Conv2d(in → out, k × k).
    Conv(usize, usize, usize),
    /// ConvTranspose2d(in → out, 4 × 4).
    Deconv(usize, usize),
    /// Linear(inputs → C).
    Linear(usize),
    /// Linear(C → outputs).
    LinearOut(usize),
    /// A residual block of two 3 × 3 convolutions of c channels.
    Res(usize),
}

/// Every tensor of the reference's DKM of `arch` with K rows and code size C, mapped to ours.
pub fn mapping(arch: Arch, k: usize, c: usize) -> Vec<TensorMap> {
    let row = |torch: String, ours: String, layout: Layout, torch_shape: Vec<usize>| TensorMap { torch, ours, layout, torch_shape };
    let mut rows = Vec::new();
    for (torch, ours, module) in modules(arch) {
        let mut conv = |t: &str, o: &str, cout: usize, cin: usize, k: usize| {
            rows.push(row(format!("{t}.weight"), format!("{o}.weight"), Layout::Same, vec![cout, cin, k, k]));
            rows.push(row(format!("{t}.bias"), format!("{o}.bias"), Layout::Same, vec![cout]));
        };
        match module {
            Layer::Conv(cout, cin, k) => conv(torch, ours, cout, cin, k),
            Layer::Res(ch) => {
                conv(&format!("{torch}.conv1"), &format!("{ours}.first"), ch, ch, 3);
                conv(&format!("{torch}.conv2"), &format!("{ours}.second"), ch, ch, 3);
            }
            Layer::Deconv(cin, cout) => {
                rows.push(row(format!("{torch}.weight"), format!("{ours}.weight"), Layout::Same, vec![cin, cout, 4, 4]));
                rows.push(row(format!("{torch}.bias"), format!("{ours}.bias"), Layout::Same, vec![cout]));
            }
            Layer::Linear(inputs) => {
                rows.push(row(format!("{torch}.weight"), format!("{ours}.weight"), Layout::Transpose, vec![c, inputs]));
                rows.push(row(format!("{torch}.bias"), format!("{ours}.bias"), Layout::Same, vec![c]));
            }
            Layer::LinearOut(outputs) => {
                rows.push(row(format!("{torch}.weight"), format!("{ours}.weight"), Layout::Transpose, vec![outputs, c]));
                rows.push(row(format!("{torch}.bias"), format!("{ours}.bias"), Layout::Same, vec![outputs]));
            }
        }
    }
    rows.push(row("R0".into(), "prior_mean".into(), Layout::Same, vec![k, c]));
    rows.push(row("log_u0".into(), "prior_log_var".into(), Layout::Scalar, vec![]));
    rows.push(row("log_sw".into(), "log_w_std".into(), Layout::Scalar, vec![]));
    rows
}

/// What the reference's checkpoint says of itself, beside its tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceInfo {
    pub arch: Arch,
    pub steps: u64,
    /// `train.py`'s arguments, as JSON.
    pub args: serde_json::Value,
    pub sha256: String,
}

/// An imported model, its card, and what the file said of itself.
pub struct Imported {
    pub model: Dkm,
    pub card: CheckpointCard,
    pub info: ReferenceInfo,
}

/// Reads the reference's checkpoint at `path` into a DKM on `device`.
pub fn import_torch_dkm(path: &Path, device: &Device) -> Result<Imported, ImportError> {
    let bytes = crate::data::read_bounded(path, MAX_BYTES).map_err(|e| match e {
        crate::data::BoundedReadError::Io(error) => ImportError::Io { path: path.into(), error },
        crate::data::BoundedReadError::TooLarge => ImportError::NotPytorch { path: path.into(), problem: format!("over {} MB", MAX_BYTES >> 20) },
    })?;
    let not_pytorch = |e: pytorch_reader::PytorchError| ImportError::NotPytorch { path: path.into(), problem: one_line(&e.to_string()) };
    let not_reference = |problem: String| ImportError::NotReferenceDkm { path: path.into(), problem };
    let root = PytorchReader::read_pickle_data(path, None).map_err(not_pytorch)?;
    let PickleValue::Dict(top) = &root else {
        return Err(not_reference("its top level is not a dictionary (train.py saves {\"model\", \"args\", \"arch\", \"steps\"})".into()));
    };
    if !matches!(top.get("model"), Some(PickleValue::Dict(_))) {
        let mut keys: Vec<&String> = top.keys().collect();
        keys.sort();
        return Err(not_reference(format!("no \"model\" state dict (its keys: {})", keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))));
    }
    let args = top.get("args").map(to_json).unwrap_or(serde_json::Value::Null);
    let arch_name = match (top.get("arch"), args.get("arch")) {
        (Some(PickleValue::String(a)), _) => a.clone(),
        (_, Some(serde_json::Value::String(a))) => a.clone(),
        // train.py before the arch existed: the simple arch.
        _ => "simple".into(),
    };
    let arch = match arch_name.as_str() {
        "simple" => Arch::Simple,
        "resnet" => Arch::Resnet,
        other => return Err(not_reference(format!("arch {other:?} (this program knows simple and resnet)"))),
    };
    let steps = match top.get("steps") {
        Some(PickleValue::Int(s)) if *s >= 0 => *s as u64,
        _ => 0,
    };
    let reader = PytorchReader::with_top_level_key(path, "model").map_err(not_pytorch)?;
    let tensors = reader.tensors();
    let arch_label = if arch == Arch::Simple { "simple" } else { "resnet" };
    // Names no DKM of this arch has, whatever its sizes: another model's checkpoint.
    let known = mapping(arch, 1, 1);
    let mut foreign: Vec<&str> = tensors.keys().filter(|name| !known.iter().any(|r| &r.torch == *name)).map(String::as_str).collect();
    foreign.sort();
    if !tensors.contains_key("R0") && !foreign.is_empty() {
        return Err(ImportError::Unexpected { path: path.into(), arch: arch_label, names: foreign.join(", ") });
    }
    // K and C from R0, then every shape follows.
    let r0 = tensors.get("R0").ok_or_else(|| ImportError::Missing { path: path.into(), arch: arch_label, names: "R0".into() })?;
    let [k, c] = r0.shape() else {
        return Err(ImportError::WrongShape { path: path.into(), name: "R0".into(), arch: arch_label, found: r0.shape().to_vec(), expected: vec![32, 100] });
    };
    let (k, c) = (*k, *c);
    let rows = mapping(arch, k, c);
    let missing: Vec<&str> = rows.iter().filter(|r| !tensors.contains_key(&r.torch)).map(|r| r.torch.as_str()).collect();
    if !missing.is_empty() {
        return Err(ImportError::Missing { path: path.into(), arch: arch_label, names: missing.join(", ") });
    }
    let mut unexpected: Vec<&str> = tensors.keys().filter(|name| !rows.iter().any(|r| &r.torch == *name)).map(String::as_str).collect();
    unexpected.sort();
    if !unexpected.is_empty() {
        return Err(ImportError::Unexpected { path: path.into(), arch: arch_label, names: unexpected.join(", ") });
    }
    let mut packs = Vec::with_capacity(rows.len());
    for row in &rows {
        let tensor = &tensors[&row.torch];
        if tensor.shape() != row.torch_shape.as_slice() {
            return Err(ImportError::WrongShape { path: path.into(), name: row.torch.clone(), arch: arch_label, found: tensor.shape().to_vec(), expected: row.torch_shape.clone() });
        }
        let values = read_f32(tensor).map_err(|problem| ImportError::BadTensor { path: path.into(), name: row.torch.clone(), problem })?;
        if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
            return Err(ImportError::BadTensor { path: path.into(), name: row.torch.clone(), problem: format!("element {bad} is {}", values[bad]) });
        }
        let data = match row.layout {
            Layout::Same => TensorData::new(values, row.torch_shape.clone()),
            Layout::Scalar => TensorData::new(values, [1]),
            Layout::Transpose => {
                let (rows_, cols) = (row.torch_shape[0], row.torch_shape[1]);
                let mut t = vec![0.0f32; values.len()];
                for i in 0..rows_ {
                    for j in 0..cols {
                        t[j * rows_ + i] = values[i * cols + j];
                    }
                }
                TensorData::new(t, [cols, rows_])
            }
        };
        packs.push(bridge::from_data(data, row.ours.clone(), None));
    }
    let config = config_from_args(arch, k, c, &args);
    let mut model = config.init(device);
    let result = model.apply(packs, None, None, false);
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        // The mapping and our module disagree: a bug of this program, said in full.
        return Err(ImportError::Write(format!("the mapping does not fit this program's DKM: errors {:?}, missing {:?}, unused {:?}", result.errors, result.missing, result.unused)));
    }
    let sha256 = crate::scene::sha256_hex(&bytes);
    let info = ReferenceInfo { arch, steps, args: args.clone(), sha256: sha256.clone() };
    let data = args.get("data").and_then(|d| d.as_str()).unwrap_or("unknown (the reference's args do not say)").to_string();
    let card = CheckpointCard {
        format_version: crate::train::checkpoint::FORMAT_VERSION,
        model_kind: ModelKind::Dkm,
        config: serde_json::to_value(&config).expect("a config always serialises"),
        train: None,
        data,
        steps,
        train_seconds: 0.0,
        cpu_seconds: None,
        cpu_seconds_from_step: 0,
        metrics: None,
        crate_version: env!("CARGO_PKG_VERSION").into(),
        origin: Some(serde_json::json!({
            "imported_from": "the PyTorch reference (train.py)",
            "file": path.file_name().map(|n| n.to_string_lossy().into_owned()),
            "sha256": sha256,
            "arch": arch_name,
            "steps": steps,
            "args": args,
        })),
    };
    Ok(Imported { model, card, info })
}

/// Imports `path` and writes it as a checkpoint at `out` (its card beside it).
pub fn import_to_checkpoint(path: &Path, out: &Path, device: &Device) -> Result<Imported, ImportError> {
    let imported = import_torch_dkm(path, device)?;
    save_checkpoint(out, &imported.card, &imported.model, None).map_err(|e| ImportError::Write(e.to_string()))?;
    Ok(imported)
}

/// Our config for the reference's model: its arch and sizes, its write mode and whether it
/// sampled w in training; the reference's fixed σξ = σp = 1 (ours too).
fn config_from_args(arch: Arch, k: usize, c: usize, args: &serde_json::Value) -> DkmConfig {
    let write_mode = match args.get("write_mode").and_then(|w| w.as_str()) {
        Some("sequential") => WriteMode::Sequential,
        _ => WriteMode::StaticBatched,
    };
    let sample_w = !args.get("no_sample_w").and_then(|v| v.as_bool()).unwrap_or(false);
    let seed = args.get("seed").and_then(|s| s.as_u64()).unwrap_or(0);
    DkmConfig::new()
        .with_arch(arch)
        .with_memory(MemoryConfig { slots: k, code_size: c, write_mode, ..MemoryConfig::default() })
        .with_sample_w_in_training(sample_w)
        .with_seed(seed)
}

/// A tensor's values as f32 (f32 as stored; f64 and f16 converted).
fn read_f32(tensor: &pytorch_reader::Tensor) -> Result<Vec<f32>, String> {
    let bytes = tensor.read().map_err(|e| e.to_string())?;
    match tensor.dtype() {
        pytorch_reader::DType::F32 => Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()),
        pytorch_reader::DType::F64 => Ok(bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32).collect()),
        other => Err(format!("holds {other:?} values (the reference saves f32)")),
    }
}

/// A pickled value as JSON (what a card can hold; anything else by its Python type's name).
fn to_json(value: &PickleValue) -> serde_json::Value {
    match value {
        PickleValue::None => serde_json::Value::Null,
        PickleValue::Bool(b) => (*b).into(),
        PickleValue::Int(i) => (*i).into(),
        PickleValue::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number),
        PickleValue::String(s) => s.clone().into(),
        PickleValue::List(items) => items.iter().map(to_json).collect(),
        PickleValue::Dict(map) => map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect::<BTreeMap<_, _>>().into_iter().collect(),
        PickleValue::Bytes(b) => format!("{} bytes", b.len()).into(),
        PickleValue::Unsupported(kind) => format!("<{kind}>").into(),
    }
}

/// The first line of a message (the reader's errors can span several).
fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).trim().to_string()
}
