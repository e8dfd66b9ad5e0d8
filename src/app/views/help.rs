//! The "how to use" panel.

use eframe::egui;

pub const HOW_TO: &str = "\
1. Pick a memory in the top bar (a trained DKM, Kanerva Machine, K++, Product KM or energy-based memory; Hopfield (Hebbian, Storkey, pseudo-inverse, covariance), modern Hopfield or SDM); \"compare with\" reads the same episode and query in a second memory beside it. \"Inside the memory\" (right) shows what each kind holds: R and U, the stored items under their PKM machines and the gates, K++'s spatial memory and read windows, the EBMM's write step by step (each stored item's energy) and the rows it moved.
2. Build an episode: click dataset thumbnails (left; File opens other data, checkpoints and scenes) or press \"Fill random\", then \"Write to memory\".
3. Make a query: draw on the canvas, or pick a thumbnail with \"click puts image into: query\".
4. Corrupt it (noise, bit flips, occlusion: drag a rectangle on the canvas with the occlude tool).
5. Read: \"Step\" runs one attractor iteration, \"Play\" keeps going. Watch the filmstrip, the energy plot (and its terms), the distance to every stored image, and the memory's addressing weights.
6. Below: basins of attraction, samples, sweeps (capacity and corruption level, beside the errors of returning the query and the blank page; \"control\" re-runs a sweep with nothing or another episode written), training.

Lessons (top bar) walk through the ideas step by step. View sets the UI scale (for a projector).

Keys: S step · P play/pause · R reset the read · C clear the canvas · Ctrl+Z undo on the canvas · Page Down or the right arrow, Page Up or the left arrow: a lesson's next and previous step · Ctrl+plus / Ctrl+minus / Ctrl+0 the UI scale · F10 projector (150% and full screen) · F11 full screen.";

pub fn ui(ui: &mut egui::Ui) {
    ui.label(HOW_TO);
}
