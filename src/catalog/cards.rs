//! A short card for each memory, shown in the explorer's picker and above its panels: what it
//! is, where it comes from (and how much of it is the paper's), what to look for, and what it
//! does badly. The claims about behaviour are the findings in `docs/family.md` and
//! `docs/capacity.md`, measured with this project's weights.

use crate::memory::hopfield::LearningRule;

use super::{MemoryName, ModelKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryCard {
    /// What it is, in a sentence.
    pub what: &'static str,
    /// Its paper, and which parts here are ours.
    pub source: &'static str,
    /// What to look for in the explorer.
    pub look_for: &'static str,
    /// What it does badly.
    pub weak: &'static str,
}

impl MemoryCard {
    /// The card as one text (a tooltip).
    pub fn text(&self) -> String {
        format!("{}\n\nFrom: {}\n\nLook for: {}\n\nDoes badly: {}", self.what, self.source, self.look_for, self.weak)
    }
}

pub fn card(name: MemoryName) -> MemoryCard {
    match name {
        MemoryName::Hopfield(LearningRule::Hebbian) => MemoryCard {
            what: "A Hopfield network: ±1 units coupled by W = Σ x x^T (Hebb's rule); each update sets every unit to the sign of its field.",
            source: "Hopfield 1982.",
            look_for: "The energy never rises. About 0.138 N random patterns (108 for 784 pixels) are recalled; past that, recall collapses.",
            weak: "Correlated patterns such as digits share one mixture state from about 10 stored: reads end on a blend that is none of them.",
        },
        MemoryName::Hopfield(LearningRule::Storkey) => MemoryCard {
            what: "A Hopfield network with Storkey's rule: Hebb's update minus the cross-talk each pattern's local field already holds; local and incremental.",
            source: "Storkey 1997.",
            look_for: "More random patterns than Hebb's rule before recall breaks; the energy never rises.",
            weak: "Digits still interfere: far below the pseudo-inverse rule on correlated data.",
        },
        MemoryName::Hopfield(LearningRule::PseudoInverse) => MemoryCard {
            what: "A Hopfield network whose couplings project onto the span of the stored patterns (W = X X^+): every stored pattern is a fixed point.",
            source: "Personnaz, Guyon and Dreyfus 1985; Kanter and Sompolinsky 1987.",
            look_for: "Digits recalled exactly where Hebb's rule blends them; the strongest classical baseline here.",
            weak: "Not local (the whole episode at once), N² couplings that hold the patterns nearly verbatim; basins shrink as the load nears N.",
        },
        MemoryName::Hopfield(LearningRule::Covariance) => MemoryCard {
            what: "A Hopfield network of 0/1 units with the covariance rule: Hebb's rule on patterns minus their mean activity, for sparse patterns.",
            source: "Tsodyks and Feigel'man 1988; each unit's threshold, fitted to the stored patterns, is ours (docs/family.md).",
            look_for: "Sparse images (a few percent ink) recalled where the ±1 Hebbian network answers the blank page.",
            weak: "Correlated strokes: occluded Omniglot characters are recalled at 16 stored and no longer at 32.",
        },
        MemoryName::ModernHopfield => MemoryCard {
            what: "A modern (dense) Hopfield network: the read is ξ := X softmax(β X^T ξ), one attention step over the stored patterns X.",
            source: "Ramsauer et al. 2020 (after Krotov and Hopfield 2016).",
            look_for: "Exact recall in one step at high β; lower β (the slider) blends patterns into metastable mixtures.",
            weak: "Its memory is the patterns themselves (T × N numbers): it stores, it does not compress or generalise.",
        },
        MemoryName::Sdm => MemoryCard {
            what: "Kanerva's sparse distributed memory: random hard locations; a write adds the pattern to the counters of every location within a Hamming radius; a read sums them and thresholds.",
            source: "Kanerva 1988.",
            look_for: "Iterated reads converge when the query is within the critical distance of a stored pattern.",
            weak: "Needs many locations; correlated data (digits) activate the same locations and blur together.",
        },
        MemoryName::Trained(kind) => trained_card(kind),
    }
}

fn trained_card(kind: ModelKind) -> MemoryCard {
    match kind {
        ModelKind::Dkm => MemoryCard {
            what: "The Dynamic Kanerva Machine: a Gaussian matrix memory written by Bayesian updates; a read addresses it, decodes an image and reads again, descending the negative ELBO (the energy).",
            source: "Wu, Wayne, Gregor and Lillicrap 2018 (NeurIPS).",
            look_for: "Noisy queries cleaned up over iterations; the energy through both half-steps (the pixel step never raises it); the memory gain (a memory from another episode scores worse).",
            weak: "The amortised address step can raise the energy (marked in red); a lower energy is not a better recall: near a noisy query there are minima as deep as the stored item's.",
        },
        ModelKind::Km => MemoryCard {
            what: "The Kanerva Machine, the DKM's predecessor: the same Gaussian memory, but a read mixes the query's own evidence into the code.",
            source: "Wu, Wayne, Graves and Lillicrap 2018 (ICLR).",
            look_for: "One read denoises a little; compare it with the DKM on the same query.",
            weak: "Iterated reads keep much of the noise and drift to another item; its memory barely helps its bound.",
        },
        ModelKind::Kpp => MemoryCard {
            what: "Kanerva++: a spatial memory written feed-forward, read in local windows chosen by a sampled key; the memory sets the prior over an image's code.",
            source: "Ramapuram, Wu and Kalousis 2021 (ICLR); the architecture here is ours from the abstract and a figure (docs/kpp.md).",
            look_for: "The best bound of the family here; the read windows on the spatial memory (Inside the memory).",
            weak: "It is not an attractor: reading again drifts into prototypes (a noisy 6 can become a 9) and the energy rises in about a third of the steps.",
        },
        ModelKind::Pkm => MemoryCard {
            what: "A Product Kanerva Machine: several small DKM memories; gates spread each item over the machines, and a read combines their reads.",
            source: "Marblestone, Wu and Wayne 2020; only the abstract was available, so the design and its objective are ours (docs/pkm.md).",
            look_for: "Each machine's read and the gates (Inside the memory): which machine holds which items.",
            weak: "Without a usage balance every item went to one machine; here it does not beat the single DKM.",
        },
        ModelKind::Ebmm => MemoryCard {
            what: "An energy-based memory: a write moves fast weights so the stored images become minima of a learned energy; a read descends the energy by gradient steps.",
            source: "Bartunov, Rae, Osindero and Lillicrap 2020 (ICLR); the energy and the write here are ours (docs/ebmm.md).",
            look_for: "Its energy never rises in a read; each stored item's energy as the write proceeds (Inside the memory).",
            weak: "Slow to settle: 10 read steps can stop short of the stored item, and many more can slide past it into another digit's minimum, below the stored item's energy.",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::card;
    use crate::catalog::MemoryName;

    /// Every memory the pickers offer has a card with every part filled in.
    #[test]
    fn every_memory_has_a_full_card() {
        for name in MemoryName::all() {
            let c = card(name);
            for (part, text) in [("what", c.what), ("source", c.source), ("look_for", c.look_for), ("weak", c.weak)] {
                assert!(text.len() >= 10 && text.ends_with('.'), "{name}: {part} is {text:?}");
            }
        }
    }
}
