//! Checks a checkpoint's records against the model its card describes before any tensor is
//! loaded: burn loads a record's tensors verbatim (an I32 parameter, or an optimizer moment of
//! another rank, is only noticed by a panic in the first operation that uses it). Reads the
//! burnpack headers only: names, dtypes, shapes and parameter ids.

use std::collections::BTreeMap;

use burn::tensor::Bytes;
use burn_pack::{DType, Reader, Scalar};

/// A tensor as a record describes it.
#[derive(Debug, Clone, PartialEq)]
struct Descriptor {
    dtype: DType,
    shape: Vec<usize>,
    param_id: Option<u64>,
}

impl Descriptor {
    fn describe(&self) -> String {
        format!("{:?} {:?}", self.dtype, self.shape)
    }
}

/// The burnpack record in `bytes`: its tensors by name, and its scalars.
fn read(bytes: &[u8], what: &str) -> Result<(BTreeMap<String, Descriptor>, BTreeMap<String, Scalar>), String> {
    let reader = Reader::from_bytes(Bytes::from_bytes_vec(bytes.to_vec())).map_err(|e| format!("{what}: {e}"))?;
    let scalars = reader.scalars().clone();
    let tensors = reader
        .into_tensors()
        .map_err(|e| format!("{what}: {e}"))?
        .into_iter()
        .map(|t| (t.name, Descriptor { dtype: t.dtype, shape: t.shape.to_vec(), param_id: t.param_id }))
        .collect();
    Ok((tensors, scalars))
}

/// Checks that the model record `record` holds exactly the tensors of `reference` (the record
/// of a model built from the card's config), each with the same dtype and shape.
pub fn check_model_record(record: &[u8], reference: &[u8]) -> Result<(), String> {
    let (found, _) = read(record, "the parameter record")?;
    let (wanted, _) = read(reference, "the model's own record")?;
    for (name, want) in &wanted {
        match found.get(name) {
            None => return Err(format!("parameter {name} is missing")),
            Some(got) if got.dtype != want.dtype || got.shape != want.shape => {
                return Err(format!("parameter {name} is {} where the card's model has {}", got.describe(), want.describe()));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = found.keys().find(|name| !wanted.contains_key(*name)) {
        return Err(format!("parameter {extra} is not part of the card's model"));
    }
    Ok(())
}

/// Checks that the optimizer record `optimizer` only holds state for parameters of the model
/// record `model`, each state tensor with its parameter's dtype and shape, and each recorded
/// rank its parameter's rank.
pub fn check_optimizer_record(optimizer: &[u8], model: &[u8]) -> Result<(), String> {
    let (params, _) = read(model, "the parameter record")?;
    let by_id: BTreeMap<u64, (&String, &Descriptor)> = params.iter().filter_map(|(name, d)| Some((d.param_id?, (name, d)))).collect();
    let (state, scalars) = read(optimizer, "the optimizer record")?;
    for (name, d) in &state {
        let id = d.param_id.ok_or_else(|| format!("optimizer state {name} names no parameter"))?;
        let (param, want) = by_id.get(&id).ok_or_else(|| format!("optimizer state {name} is for parameter id {id}, which the model does not have"))?;
        if d.dtype != want.dtype || d.shape != want.shape {
            return Err(format!("optimizer state {name} is {} where parameter {param} is {}", d.describe(), want.describe()));
        }
    }
    for (key, value) in &scalars {
        let Some((id, field)) = key.split_once('.') else { continue };
        let Ok(id) = id.parse::<u64>() else { continue };
        let (param, want) = by_id.get(&id).ok_or_else(|| format!("optimizer entry {key} is for parameter id {id}, which the model does not have"))?;
        if field == "__rank" {
            let rank = match value {
                Scalar::Int(r) => usize::try_from(*r).ok(),
                Scalar::UInt(r) => usize::try_from(*r).ok(),
                _ => None,
            };
            if rank != Some(want.shape.len()) {
                return Err(format!("optimizer entry {key} gives rank {value:?} where parameter {param} has rank {}", want.shape.len()));
            }
        }
    }
    Ok(())
}
