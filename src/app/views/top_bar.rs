//! The top bar: the memory picker (with the modern Hopfield network's β), the comparison
//! picker, the file buttons and the help toggle.

use eframe::egui;

use crate::app::lesson_run::MenuEntry;
use crate::catalog::MemorySpec;

/// What the person asked for in the top bar.
#[derive(Debug, Clone, PartialEq)]
pub enum TopBarAction {
    /// Load this memory (a new β is a new memory).
    Select(MemorySpec),
    /// Read side by side with this memory (None: stop comparing).
    Compare(Option<MemorySpec>),
    OpenData,
    OpenFolder,
    LoadCheckpoint,
    /// Type a path (no dialog needed).
    TypePath,
    OpenScene,
    /// Play the lesson at this index of the list shown.
    StartLesson(usize),
}

/// Draws the bar. `current`: the memory in use (its β is edited in place while dragging);
/// `compare`: the comparison memory, if any.
/// `lessons`: the Lessons menu's entries.
pub fn ui(ui: &mut egui::Ui, models: &[MemorySpec], current: &mut Option<MemorySpec>, compare: Option<&MemorySpec>, lessons: &[MenuEntry], show_help: &mut bool) -> Option<TopBarAction> {
    let mut action = None;
    // Wrapped, so that at a large scale (or with the β slider) nothing falls off the bar.
    // Narrower pickers in a narrow window (a large UI scale), so the bar keeps to one line.
    let narrow = ui.available_width() < 1300.0;
    let (picker_width, compare_width) = if narrow { (190.0, 140.0) } else { (260.0, 200.0) };
    ui.horizontal_wrapped(|ui| {
        ui.heading("Kanerva Explorer");
        ui.separator();
        egui::ComboBox::new("model_picker", "memory").width(picker_width).selected_text(current.as_ref().map_or("...".into(), MemorySpec::label)).show_ui(ui, |ui| {
            for m in models {
                let entry = ui.selectable_label(current.as_ref() == Some(m), m.label());
                let entry = match m.name() {
                    Some(name) => entry.on_hover_text(crate::catalog::cards::card(name).text()),
                    None => entry,
                };
                if entry.clicked() {
                    action = Some(TopBarAction::Select(m.clone()));
                }
            }
        });
        if let Some(MemorySpec::ModernHopfield { beta }) = current.clone() {
            let mut b = beta;
            let slider = ui.add(egui::Slider::new(&mut b, 0.5..=200.0).logarithmic(true).text("β")).on_hover_text("inverse temperature (default 100): lower β blends the stored patterns into metastable mixtures (below about 50 digits drift into blends), higher β retrieves the nearest one");
            // A drag applies when released; a typed value (or a click on the track) at once, so
            // the memory, its label and the value shown always agree.
            if slider.drag_stopped() || (slider.changed() && !slider.dragged()) {
                action = Some(TopBarAction::Select(MemorySpec::ModernHopfield { beta: b }));
            }
            if b != beta {
                *current = Some(MemorySpec::ModernHopfield { beta: b });
            }
        }
        ui.separator();
        egui::ComboBox::new("compare_picker", if narrow { "compare" } else { "compare with" }).width(compare_width).selected_text(compare.map_or("nothing".into(), MemorySpec::label)).show_ui(ui, |ui| {
            if ui.selectable_label(compare.is_none(), "nothing").clicked() {
                action = Some(TopBarAction::Compare(None));
            }
            for m in models {
                if ui.selectable_label(compare == Some(m), m.label()).clicked() {
                    action = Some(TopBarAction::Compare(Some(m.clone())));
                }
            }
        });
        ui.separator();
        // The file commands in one menu, so the bar fits at 1500 points whatever is picked.
        ui.menu_button("File", |ui| {
            let items = [
                ("Open data...", "IMG1, MNIST IDX, PNG/JPEG or a folder; or drop a file on the window", TopBarAction::OpenData),
                ("Open folder...", "a folder of pictures (PNG, JPEG, GIF...), each resized to 28x28", TopBarAction::OpenFolder),
                ("Load checkpoint...", "a checkpoint (.ckpt) of any model kind, written by `kanerva train` or the train panel", TopBarAction::LoadCheckpoint),
                ("Open scene...", "a scene file (kanerva scene save, or Save scene in the read panel): its memory, episode, query and read settings", TopBarAction::OpenScene),
                ("Type a path...", "open data by typing its path, with the recent paths (where no file dialog can open)", TopBarAction::TypePath),
            ];
            for (label, hint, chosen) in items {
                if ui.button(label).on_hover_text(hint).clicked() {
                    action = Some(chosen);
                    ui.close();
                }
            }
        });
        ui.menu_button("Lessons", |ui| {
            for (i, entry) in lessons.iter().enumerate() {
                let button = ui.add_enabled(entry.lacks.is_none(), egui::Button::new(&entry.title));
                let button = button.on_hover_text(format!("kanerva gui --lesson {}", entry.name));
                if let Some(lacks) = &entry.lacks {
                    button.on_disabled_hover_text(lacks);
                } else if button.clicked() {
                    action = Some(TopBarAction::StartLesson(i));
                    ui.close();
                }
            }
        });
        ui.menu_button("View", crate::app::ui_scale::menu);
        ui.toggle_value(show_help, "Help");
    });
    action
}
