//! An experiment is data, like a lesson: which memories (and whose weights), which data, the
//! protocol (stored counts, episode sizes, noises, iterations, seeds), the paper's claim and
//! which parts of the protocol are the paper's and which are ours. `quick` holds the fields
//! that change for the reduced protocol (merged over the full one): about a minute on two
//! cores, for tests and classrooms. Built-in experiments live in `assets/experiments/`.

use serde::{Deserialize, Serialize};

use crate::catalog::MemoryName;
use crate::data::Corruption;
use crate::eval::SweepControl;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentSpec {
    /// Short name (`kanerva experiment run NAME`).
    pub name: String,
    pub title: String,
    /// The paper and its figure or table this reproduces.
    pub paper: String,
    /// What the paper claims.
    pub claim: String,
    /// Which parts of the protocol are the paper's, and which are ours.
    pub protocol_paper: String,
    pub protocol_ours: String,
    pub protocol: Protocol,
    /// The reduced protocol: these fields replace the full protocol's.
    #[serde(default)]
    pub quick: serde_json::Map<String, serde_json::Value>,
}

/// What an experiment measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Iterative reading: pixel error and energy per iteration of stored items read back from
    /// corrupted copies (`eval::denoise`), and the share of steps whose energy did not rise.
    Reading(ReadingProtocol),
    /// Recall: the recall error of every stored pattern read back from a corrupted copy, as
    /// the number stored grows (`eval::sweep`), against the stored count, the load (stored / N)
    /// or the numbers the memory holds.
    Recall(RecallProtocol),
    /// The bound per image of test episodes as the episode grows (`eval::evaluate_bound`).
    Bound(BoundProtocol),
}

/// A memory of the experiment: a name of `kanerva sweep --model`, and for a trained kind the
/// shipped checkpoint's file name (default `KIND_mnist.ckpt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryRef {
    pub memory: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    /// The read's addressing for memories that hold an address (the DKM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addressing: Option<String>,
    /// The modern Hopfield network's β.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// The series' name in plots and tables (default: made from the fields above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Memories of one family (the same training at several sizes) join one curve where a
    /// plot's x is a property of the memory (the clustering against the machine count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingProtocol {
    pub memories: Vec<MemoryRef>,
    pub data: String,
    pub episodes: usize,
    pub episode_size: usize,
    pub noises: Vec<String>,
    pub iterations: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecallAxis {
    Stored,
    /// Stored / N, N the pixels (784): the classical capacity's axis (0.138 N).
    Load,
    /// The numbers the memory holds (log scale): distortion against rate.
    Floats,
    /// The corruption's level (`levels`), at the first stored count.
    NoiseLevel,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecallProtocol {
    pub memories: Vec<MemoryRef>,
    /// `random` (unbiased binary patterns) or a data argument (`embedded:mnist-test`, ...);
    /// each is run.
    pub patterns: Vec<String>,
    pub stored: Vec<usize>,
    pub noises: Vec<String>,
    pub iterations: usize,
    pub seed: u64,
    pub x: RecallAxis,
    /// Controls run beside each memory's measurement (`no-write`, `other-episode`): the
    /// same queries with nothing written or another episode written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<SweepControl>,
    /// The corruption levels of a `noise_level` axis (each noise kind at each level).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundKind {
    /// The model's own bound: joint (KL(M)/T included) for the DKM, KM and PKM.
    Joint,
    /// The memory-conditional bound, memory written from the item's own episode.
    Conditional,
    /// The memory-conditional importance-weighted bound.
    ImportanceWeighted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundProtocol {
    pub memories: Vec<MemoryRef>,
    pub data: String,
    pub episode_sizes: Vec<usize>,
    /// Test episodes per size (each of `episode_size` images; the same seeded order).
    pub episodes: usize,
    pub bounds: Vec<BoundKind>,
    /// Samples of the importance-weighted bound.
    #[serde(default = "default_samples")]
    pub samples: usize,
    /// Seeds the latents' samples (each point from the same seed).
    #[serde(default)]
    pub seed: u64,
    /// For memories that allocate items to parts (the PKM's machines): how the first this
    /// many images of the data (which need labels) spread over the parts, against their
    /// classes (normalized mutual information, beside shuffled labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clustering: Option<usize>,
}

impl BoundKind {
    /// The id of the plot this bound's points go to.
    pub fn plot_id(self) -> &'static str {
        match self {
            BoundKind::Joint => "joint",
            BoundKind::Conditional => "conditional",
            BoundKind::ImportanceWeighted => "importance-weighted",
        }
    }
}

fn default_samples() -> usize {
    10
}

/// The built-in experiments' files.
const BUILT_IN: &[(&str, &str)] = &[
    ("iterative-reading", include_str!("../../assets/experiments/iterative-reading.json")),
    ("capacity-bound", include_str!("../../assets/experiments/capacity-bound.json")),
    ("distortion-rate", include_str!("../../assets/experiments/distortion-rate.json")),
    ("classical-capacity", include_str!("../../assets/experiments/classical-capacity.json")),
    ("product-machines", include_str!("../../assets/experiments/product-machines.json")),
    ("conditional-likelihood", include_str!("../../assets/experiments/conditional-likelihood.json")),
    ("corruption", include_str!("../../assets/experiments/corruption.json")),
];

/// Every built-in experiment, parsed and checked.
pub fn built_in() -> Vec<ExperimentSpec> {
    BUILT_IN.iter().map(|(name, text)| ExperimentSpec::parse(text).unwrap_or_else(|e| panic!("built-in experiment {name}: {e}"))).collect()
}

/// The built-in experiment called `name`.
pub fn find(name: &str) -> Result<ExperimentSpec, String> {
    let all = built_in();
    let names: Vec<String> = all.iter().map(|e| e.name.clone()).collect();
    all.into_iter().find(|e| e.name == name).ok_or_else(|| format!("no experiment {name:?} (there are {})", names.join(", ")))
}

impl ExperimentSpec {
    /// Parses and checks an experiment (its quick protocol too).
    pub fn parse(text: &str) -> Result<ExperimentSpec, String> {
        let spec: ExperimentSpec = serde_json::from_str(text).map_err(|e| e.to_string())?;
        spec.protocol.check().map_err(|e| format!("protocol: {e}"))?;
        spec.protocol_for(true)?.check().map_err(|e| format!("quick: {e}"))?;
        Ok(spec)
    }

    /// The protocol to run: the full one, or with the quick fields merged over it.
    pub fn protocol_for(&self, quick: bool) -> Result<Protocol, String> {
        if !quick || self.quick.is_empty() {
            return Ok(self.protocol.clone());
        }
        let mut value = serde_json::to_value(&self.protocol).map_err(|e| e.to_string())?;
        let inner = value.as_object_mut().and_then(|o| o.values_mut().next()).and_then(|v| v.as_object_mut()).ok_or("a protocol is an object")?;
        for (key, field) in &self.quick {
            if !inner.contains_key(key) {
                return Err(format!("quick.{key}: the protocol has no such field"));
            }
            inner.insert(key.clone(), field.clone());
        }
        serde_json::from_value(value).map_err(|e| format!("quick: {e}"))
    }
}

/// Most points of one experiment's protocol (a guard against a typo of 10⁶ stored counts).
const MAX_SETTINGS: usize = 64;

impl Protocol {
    fn check(&self) -> Result<(), String> {
        let memories = |m: &[MemoryRef]| -> Result<(), String> {
            if m.is_empty() {
                return Err("no memories".into());
            }
            for r in m {
                r.memory.parse::<MemoryName>()?;
                if let Some(a) = &r.addressing {
                    a.parse::<crate::memory::Addressing>()?;
                }
            }
            Ok(())
        };
        let noises = |n: &[String]| n.iter().try_for_each(|s| s.parse::<Corruption>().map(drop).map_err(|e| format!("noise {s:?}: {e}")));
        let list = |what: &str, n: usize| {
            if (1..=MAX_SETTINGS).contains(&n) { Ok(()) } else { Err(format!("{what}: {n} entries (1 to {MAX_SETTINGS})")) }
        };
        match self {
            Protocol::Reading(p) => {
                memories(&p.memories)?;
                noises(&p.noises)?;
                list("noises", p.noises.len())?;
                crate::memory::limits::check_count("iterations", p.iterations, crate::memory::limits::MAX_ITERATIONS).map_err(|e| e.to_string())?;
                list("episodes", p.episodes)?;
                list("episode_size", p.episode_size)
            }
            Protocol::Recall(p) => {
                memories(&p.memories)?;
                noises(&p.noises)?;
                list("stored", p.stored.len())?;
                list("patterns", p.patterns.len())?;
                list("noises", p.noises.len())?;
                if p.stored.iter().any(|&n| n == 0 || n > 4096) {
                    return Err("stored: counts from 1 to 4096".into());
                }
                if p.x == RecallAxis::NoiseLevel {
                    list("levels", p.levels.len())?;
                    if p.levels.iter().any(|l| !(0.0..=28.0).contains(l)) {
                        return Err("levels: from 0 (a share of pixels, or an occluder's side up to 28)".into());
                    }
                }
                crate::memory::limits::check_count("iterations", p.iterations, crate::memory::limits::MAX_ITERATIONS).map_err(|e| e.to_string())
            }
            Protocol::Bound(p) => {
                memories(&p.memories)?;
                list("episode_sizes", p.episode_sizes.len())?;
                list("bounds", p.bounds.len())?;
                if p.episode_sizes.iter().any(|&t| t == 0 || t > 1024) {
                    return Err("episode_sizes: from 1 to 1024".into());
                }
                if p.episodes == 0 || p.episodes > 10_000 {
                    return Err("episodes: from 1 to 10000".into());
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_experiments_parse_with_their_quick_protocols() {
        let all = built_in();
        assert!(all.len() >= 6);
        for spec in &all {
            assert_ne!(spec.protocol_for(true).unwrap(), spec.protocol, "{}: a quick protocol", spec.name);
        }
    }

    #[test]
    fn a_quick_field_the_protocol_lacks_is_refused() {
        let text = r#"{"name": "t", "title": "T", "paper": "p", "claim": "c", "protocol_paper": "a", "protocol_ours": "b",
            "protocol": {"recall": {"memories": [{"memory": "hopfield"}], "patterns": ["random"], "stored": [4], "noises": ["flip:0.1"], "iterations": 5, "seed": 1, "x": "stored"}},
            "quick": {"stord": [2]}}"#;
        assert!(ExperimentSpec::parse(text).unwrap_err().contains("stord"));
        let ok = text.replace("stord", "stored");
        assert!(ExperimentSpec::parse(&ok).is_ok());
        let bad = text.replace(r#""hopfield""#, r#""hopfeld""#);
        assert!(ExperimentSpec::parse(&bad).unwrap_err().contains("hopfeld"));
    }
}
