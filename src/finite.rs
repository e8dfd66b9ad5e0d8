//! Results are numbers; a NaN or an infinity in one is a failure to report, not a value.
//! JSON has no NaN, and serde_json quietly writes `null` for it, so every result is walked
//! before it is printed and the first non-finite number is named by its path
//! (`steps[3].energy_nats`).

use serde::Serialize;
use serde::ser;

/// A result held a NaN or an infinity.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{what}: {path} is {value} (not a finite number)")]
pub struct NonFinite {
    pub what: String,
    /// Where in the result: field names and indices.
    pub path: String,
    pub value: f64,
}

/// `Ok` when every number in `value` is finite; otherwise where the first one is not.
/// `what` names the result in the error ("eval", "the denoising report").
pub fn ensure_finite<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<(), NonFinite> {
    let mut walker = Walker { path: Vec::new() };
    match value.serialize(&mut walker) {
        Ok(()) => Ok(()),
        Err(Stop::NonFinite(path, value)) => Err(NonFinite { what: what.to_string(), path: if path.is_empty() { "the value".into() } else { path }, value }),
        // A type that cannot be walked (a custom error while serialising) has no number to check.
        Err(Stop::Other) => Ok(()),
    }
}

#[derive(Debug)]
enum Stop {
    NonFinite(String, f64),
    Other,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop::Other
    }
}

/// Walks a value the way a serializer would, keeping the path to the current number.
struct Walker {
    path: Vec<String>,
}

impl Walker {
    fn number(&self, v: f64) -> Result<(), Stop> {
        if v.is_finite() { Ok(()) } else { Err(Stop::NonFinite(self.joined(), v)) }
    }

    fn joined(&self) -> String {
        let mut out = String::new();
        for part in &self.path {
            if part.starts_with('[') || out.is_empty() {
                out.push_str(part);
            } else {
                out.push('.');
                out.push_str(part);
            }
        }
        out
    }

    fn within<T: Serialize + ?Sized>(&mut self, part: String, value: &T) -> Result<(), Stop> {
        self.path.push(part);
        let result = value.serialize(&mut *self);
        self.path.pop();
        result
    }
}

/// A walker inside a sequence, map or struct: counts elements, remembers the pending key.
struct Compound<'a> {
    walker: &'a mut Walker,
    index: usize,
    key: Option<String>,
}

impl<'a> Compound<'a> {
    fn new(walker: &'a mut Walker) -> Self {
        Self { walker, index: 0, key: None }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let part = format!("[{}]", self.index);
        self.index += 1;
        self.walker.within(part, value)
    }
}

macro_rules! finite_numbers {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<(), Stop> {
            self.number(v as f64)
        })*
    };
}

macro_rules! ignored {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, _: $ty) -> Result<(), Stop> {
            Ok(())
        })*
    };
}

impl<'a> ser::Serializer for &'a mut Walker {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    finite_numbers!(serialize_f32: f32, serialize_f64: f64);
    ignored!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_char: char, serialize_str: &str, serialize_bytes: &[u8]);

    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, variant: &'static str, value: &T) -> Result<(), Stop> {
        self.within(variant.to_string(), value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Stop> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Stop> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Stop> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Compound<'a>, Stop> {
        Ok(Compound::new(self))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Stop> {
        Ok(Compound::new(self))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Stop> {
        Ok(Compound::new(self))
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Compound<'a>, Stop> {
        Ok(Compound::new(self))
    }
}

/// The sequence-like compounds (sequences, tuples, tuple structs and variants): each element
/// is walked at its index.
macro_rules! sequence_compound {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Stop;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
                self.element(value)
            }
            fn end(self) -> Result<(), Stop> {
                Ok(())
            }
        }
    };
}

sequence_compound!(SerializeSeq, serialize_element);
sequence_compound!(SerializeTuple, serialize_element);
sequence_compound!(SerializeTupleStruct, serialize_field);
sequence_compound!(SerializeTupleVariant, serialize_field);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        // Keys are strings or numbers in every result here; JSON text names them.
        self.key = Some(serde_json::to_string(key).map(|k| k.trim_matches('"').to_string()).unwrap_or_else(|_| "?".into()));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let key = self.key.take().unwrap_or_else(|| "?".into());
        self.walker.within(key, value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

/// The struct-like compounds (structs and struct variants): each field is walked at its name.
macro_rules! struct_compound {
    ($trait:ident) => {
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Stop;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Stop> {
                self.walker.within(key.to_string(), value)
            }
            fn end(self) -> Result<(), Stop> {
                Ok(())
            }
        }
    };
}

struct_compound!(SerializeStruct);
struct_compound!(SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Step {
        iteration: usize,
        energy: Option<f64>,
    }

    #[derive(Serialize)]
    struct Report {
        name: String,
        steps: Vec<Step>,
        #[serde(flatten)]
        extra: std::collections::BTreeMap<String, f64>,
    }

    #[test]
    fn the_first_non_finite_number_is_named_by_its_path() {
        let mut report = Report { name: "x".into(), steps: vec![Step { iteration: 0, energy: Some(1.0) }, Step { iteration: 1, energy: None }], extra: Default::default() };
        assert_eq!(ensure_finite(&report, "denoise"), Ok(()));
        report.steps.push(Step { iteration: 2, energy: Some(f64::NAN) });
        let err = ensure_finite(&report, "denoise").unwrap_err();
        assert_eq!(err.path, "steps[2].energy");
        assert!(err.to_string().starts_with("denoise: steps[2].energy is NaN"), "{err}");
        report.steps.pop();
        report.extra.insert("kl_memory_nats".into(), f64::INFINITY);
        assert_eq!(ensure_finite(&report, "eval").unwrap_err().path, "kl_memory_nats");
        assert_eq!(ensure_finite(&f32::NEG_INFINITY, "x").unwrap_err().path, "the value");
        // serde_json would have printed null for both.
        assert!(serde_json::to_string(&report).unwrap().contains("null"));
    }
}
