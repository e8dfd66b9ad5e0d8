//! How each series of an experiment's plot is drawn, the same in the PNG and in the explorer:
//! the memories in distinct colours, each memory's controls in its colour but dashed (the
//! no-write control's points hollow, the other-episode control's crosses), the trivial answers (names ending "(reference)") grey and dashed.

/// Distinct colours for up to 10 memories (then they repeat).
pub const COLOURS: [[u8; 3]; 10] = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    Memory,
    /// A memory's control (`NAME (no-write control)`): nothing, or another episode, written.
    Control,
    /// A trivial answer: return the query, return the blank page.
    Reference,
}

/// A point's mark: the measurement filled, the no-write control hollow, the other-episode
/// control a cross (the two controls of one memory share its colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Filled,
    Hollow,
    Cross,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesStyle {
    pub rgb: [u8; 3],
    pub kind: SeriesKind,
    pub marker: Marker,
}

impl SeriesStyle {
    /// Drawn dashed (controls and references).
    pub fn dashed(self) -> bool {
        self.kind != SeriesKind::Memory
    }
}

/// The memory a control belongs to: `dkm (no-write control)` → `dkm`.
fn controlled(name: &str) -> Option<&str> {
    name.strip_suffix(" control)").and_then(|rest| rest.rfind(" (").map(|i| &rest[..i]))
}

/// The styles of a plot's series, in order.
pub fn series_styles(names: &[&str]) -> Vec<SeriesStyle> {
    let memories: Vec<&str> = names.iter().copied().filter(|n| !n.ends_with("(reference)") && controlled(n).is_none()).collect();
    let colour_of = |memory: &str| memories.iter().position(|m| *m == memory).map(|i| COLOURS[i % COLOURS.len()]);
    names
        .iter()
        .map(|name| {
            if name.ends_with("(reference)") {
                SeriesStyle { rgb: if name.contains("blank") { [90, 90, 90] } else { [160, 160, 160] }, kind: SeriesKind::Reference, marker: Marker::None }
            } else if let Some(memory) = controlled(name) {
                let marker = if name.ends_with("(no-write control)") { Marker::Hollow } else { Marker::Cross };
                SeriesStyle { rgb: colour_of(memory).unwrap_or([127, 127, 127]), kind: SeriesKind::Control, marker }
            } else {
                SeriesStyle { rgb: colour_of(name).expect("a memory series is in the list"), kind: SeriesKind::Memory, marker: Marker::Filled }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_takes_its_memorys_colour_and_references_are_grey() {
        let names = ["dkm", "ebmm", "dkm (no-write control)", "ebmm (other-episode control)", "return the query (reference)"];
        let styles = series_styles(&names);
        assert_eq!(styles[0].rgb, COLOURS[0]);
        assert_eq!(styles[1].rgb, COLOURS[1]);
        assert_eq!((styles[2].rgb, styles[2].kind), (COLOURS[0], SeriesKind::Control));
        assert_eq!((styles[3].rgb, styles[3].kind), (COLOURS[1], SeriesKind::Control));
        assert_eq!(styles[4].kind, SeriesKind::Reference);
        assert!(!styles[0].dashed() && styles[2].dashed() && styles[4].dashed());
        assert_eq!([styles[0].marker, styles[2].marker, styles[3].marker, styles[4].marker], [Marker::Filled, Marker::Hollow, Marker::Cross, Marker::None]);
        // A memory whose own name has parentheses is not taken for a control.
        assert_eq!(series_styles(&["dkm (dkm_omniglot.ckpt)"])[0].kind, SeriesKind::Memory);
    }
}
