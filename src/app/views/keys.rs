//! The keyboard: what each key asks for (none while a text field has the keyboard).

use eframe::egui::{self, Key, Modifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// Ctrl+Z: undo the last stroke on the canvas.
    Undo,
    /// S: one read step.
    Step,
    /// P: play or pause.
    TogglePlay,
    /// R: restart the read from the query.
    Reset,
    /// C: clear the canvas.
    ClearCanvas,
    /// Page Down or →: the lesson's next step (a presenter's clicker sends Page Down).
    NextStep,
    /// Page Up or ←: the lesson's step before.
    PreviousStep,
    /// F10: projector mode (150% and full screen, or back).
    Projector,
    /// F11: full screen or back.
    FullScreen,
}

/// The keys pressed this frame, consumed.
pub fn pressed(ctx: &egui::Context) -> Vec<KeyAction> {
    if ctx.egui_wants_keyboard_input() {
        return Vec::new();
    }
    let bindings = [
        (Modifiers::COMMAND, Key::Z, KeyAction::Undo),
        (Modifiers::NONE, Key::S, KeyAction::Step),
        (Modifiers::NONE, Key::P, KeyAction::TogglePlay),
        (Modifiers::NONE, Key::R, KeyAction::Reset),
        (Modifiers::NONE, Key::C, KeyAction::ClearCanvas),
        (Modifiers::NONE, Key::PageDown, KeyAction::NextStep),
        (Modifiers::NONE, Key::ArrowRight, KeyAction::NextStep),
        (Modifiers::NONE, Key::PageUp, KeyAction::PreviousStep),
        (Modifiers::NONE, Key::ArrowLeft, KeyAction::PreviousStep),
        (Modifiers::NONE, Key::F10, KeyAction::Projector),
        (Modifiers::NONE, Key::F11, KeyAction::FullScreen),
    ];
    bindings.into_iter().filter(|&(modifiers, key, _)| ctx.input_mut(|i| i.consume_key(modifiers, key))).map(|(_, _, action)| action).collect()
}
