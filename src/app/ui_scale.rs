//! The UI scale and full screen, for a projector: the View menu, F10 (projector: 150% and
//! full screen) and F11 (full screen), besides egui's own Ctrl+plus / Ctrl+minus / Ctrl+0.
//! The layout keeps its proportions at any scale: the side panels start at fixed fractions
//! of the window (each scale has its own panel widths), and the centre stacks the read under
//! the query when the two no longer fit side by side.

use eframe::egui;

/// The scales the View menu offers.
pub const SCALES: [f32; 5] = [1.0, 1.25, 1.5, 1.75, 2.0];
/// The projector's scale (F10).
pub const PROJECTOR_SCALE: f32 = 1.5;
/// Smallest and largest scale kept in the settings.
pub const SCALE_RANGE: std::ops::RangeInclusive<f32> = 0.5..=3.0;

/// The data panel's and the plots panel's starting widths, as fractions of the window.
const DATA_PANEL_FRACTION: f32 = 0.225;
const PLOTS_PANEL_FRACTION: f32 = 0.28;
/// Below this width (points) the centre shows the read under the query, not beside it.
pub const SIDE_BY_SIDE_WIDTH: f32 = 600.0;

/// A side panel's id and starting width at the context's current scale: a new scale starts
/// from the fractions (a width dragged at 100% would crowd the centre at 150%). eframe's first
/// passes, before the window is there, lay out on a huge canvas (6667 points wide at 150%):
/// panels laid out then get ids of their own, so the window's first real frame starts from the
/// fractions of its real width.
pub fn side_panel(ctx: &egui::Context, name: &'static str) -> ((&'static str, u32, bool), f32) {
    let fraction = if name == "dataset_panel" { DATA_PANEL_FRACTION } else { PLOTS_PANEL_FRACTION };
    let width = ctx.content_rect().width();
    let window = ctx.input(|i| i.viewport().inner_rect);
    let real = window.is_none_or(|w| (w.width() - width).abs() < 1.0);
    ((name, scale_percent(ctx.zoom_factor()), real), width * fraction)
}

/// The scale as a whole percentage (how it is named in ids and in the menu).
pub fn scale_percent(scale: f32) -> u32 {
    (scale * 100.0).round() as u32
}

/// Sets the scale (clamped to [`SCALE_RANGE`]).
pub fn set_scale(ctx: &egui::Context, scale: f32) {
    ctx.set_zoom_factor(scale.clamp(*SCALE_RANGE.start(), *SCALE_RANGE.end()));
}

/// Whether the window is full screen (false where the platform does not say).
pub fn is_full_screen(ctx: &egui::Context) -> bool {
    ctx.input(|i| i.viewport().fullscreen.unwrap_or(false))
}

pub fn set_full_screen(ctx: &egui::Context, on: bool) {
    ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(on));
}

/// Projector mode: 150% and full screen; again: back to 100% and a window.
pub fn toggle_projector(ctx: &egui::Context) {
    let on = scale_percent(ctx.zoom_factor()) != scale_percent(PROJECTOR_SCALE);
    set_scale(ctx, if on { PROJECTOR_SCALE } else { 1.0 });
    set_full_screen(ctx, on);
}

/// The View menu's items.
pub fn menu(ui: &mut egui::Ui) {
    let ctx = ui.ctx().clone();
    let current = scale_percent(ctx.zoom_factor());
    ui.label(egui::RichText::new("UI scale (Ctrl+plus / Ctrl+minus / Ctrl+0)").small().weak());
    for scale in SCALES {
        let percent = scale_percent(scale);
        if ui.selectable_label(current == percent, format!("{percent}%")).clicked() {
            set_scale(&ctx, scale);
            ui.close();
        }
    }
    ui.separator();
    if ui.button("Projector: 150% and full screen (F10)").clicked() {
        toggle_projector(&ctx);
        ui.close();
    }
    let full = is_full_screen(&ctx);
    if ui.selectable_label(full, "Full screen (F11)").clicked() {
        set_full_screen(&ctx, !full);
        ui.close();
    }
}
