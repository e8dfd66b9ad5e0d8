//! The names of the trainable model kinds: what a checkpoint card's `model_kind` says, what
//! `--model` takes, what the explorer's pickers list. The catalog (`crate::catalog`) maps each
//! kind to its model type; this enum sits here, below it, so that a model can name its own kind.

use serde::{Deserialize, Serialize};

/// A trainable model kind. Serialised lowercase ("dkm", "km"), as checkpoint cards have
/// always spelled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// The Dynamic Kanerva Machine (Wu, Wayne, Gregor, Lillicrap, NeurIPS 2018).
    Dkm,
    /// The Kanerva Machine (Wu, Wayne, Graves, Lillicrap, ICLR 2018).
    Km,
    /// Kanerva++ (Ramapuram, Wu, Kalousis, ICLR 2021), our small form.
    Kpp,
    /// The Product Kanerva Machine (Marblestone, Wu, Wayne, 2020), in our exact form.
    Pkm,
    /// An energy-based memory model (Bartunov, Rae, Osindero, Lillicrap, ICLR 2020), our
    /// closed-form version.
    Ebmm,
}

impl ModelKind {
    /// Every kind, in the enum's order (what `--model`'s help lists; a test keeps them equal).
    pub const ALL: [ModelKind; 5] = [ModelKind::Dkm, ModelKind::Km, ModelKind::Kpp, ModelKind::Pkm, ModelKind::Ebmm];

    /// The lowercase name of cards and command lines ("dkm").
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Dkm => "dkm",
            ModelKind::Km => "km",
            ModelKind::Pkm => "pkm",
            ModelKind::Ebmm => "ebmm",
            ModelKind::Kpp => "kpp",
        }
    }

    /// The short name for people ("DKM").
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Dkm => "DKM",
            ModelKind::Km => "KM",
            ModelKind::Pkm => "PKM",
            ModelKind::Ebmm => "EBMM",
            ModelKind::Kpp => "K++",
        }
    }

    /// The full name ("Dynamic Kanerva Machine").
    pub fn title(self) -> &'static str {
        match self {
            ModelKind::Dkm => "Dynamic Kanerva Machine",
            ModelKind::Km => "Kanerva Machine",
            ModelKind::Pkm => "Product Kanerva Machine",
            ModelKind::Ebmm => "Energy-based memory model",
            ModelKind::Kpp => "Kanerva++",
        }
    }

    /// The state space its energy landscape is drawn in ("addresses"), None where it has no
    /// landscape (the PKM: its state is one address per machine).
    pub fn landscape_space(self) -> Option<&'static str> {
        match self {
            ModelKind::Dkm | ModelKind::Km => Some("addresses"),
            ModelKind::Kpp => Some("keys"),
            ModelKind::Ebmm => Some("pixels"),
            ModelKind::Pkm => None,
        }
    }

    /// "dkm, km, kpp, pkm, ebmm": every kind's name, in the declared order.
    pub fn names() -> String {
        Self::ALL.map(ModelKind::name).join(", ")
    }

    /// The kind a card's `model_kind` names, if any.
    pub fn from_name(name: &str) -> Option<ModelKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::ModelKind;

    #[test]
    fn all_lists_the_kinds_in_the_enums_order() {
        assert_eq!(<ModelKind as clap::ValueEnum>::value_variants(), &ModelKind::ALL);
    }
}
