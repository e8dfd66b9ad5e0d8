//! The episode: its size and fill buttons, the write button, the stale-memory warning, and the
//! strip of its images (each in its colour of every plot).

use eframe::egui;

use crate::app::episode::Episode;
use crate::app::settings::{ClickTarget, Settings};
use crate::app::texture::TextureCache;
use crate::memory::limits::MAX_EXPLORER_EPISODE;

use super::palette;

/// What the person asked for in the episode strip (edits that stay in the episode are made in
/// place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpisodeAction {
    FillRandom,
    FillPatterns,
    AddDrawing,
    Write,
    /// Make item i the query.
    ToQuery(usize),
}

/// `stale`: the memory holds an older episode than the one shown.
pub fn ui(ui: &mut egui::Ui, episode: &mut Episode, settings: &mut Settings, stale: bool, textures: &mut TextureCache) -> Option<EpisodeAction> {
    let mut action = None;
    // The stale warning sits in the heading's row: a line that came and went moved everything
    // below it (a model switch showed it for a frame, and the next click hit another button).
    ui.horizontal(|ui| {
        ui.heading(format!("Episode ({} images)", episode.items.len()));
        if stale {
            ui.colored_label(egui::Color32::from_rgb(255, 190, 90), "changed since the last write: press \"Write to memory\"")
                .on_hover_text("The memory (and the plots of distances and basins) still hold the older episode.");
        }
    });
    // Wrapped: at a large UI scale the buttons take two lines instead of running off the edge.
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::DragValue::new(&mut settings.episode_size).range(1..=MAX_EXPLORER_EPISODE).prefix("T = "));
        if ui.button("Fill random").on_hover_text("T random items of the data shown (its label filter applies)").clicked() {
            action = Some(EpisodeAction::FillRandom);
        }
        if ui.button("Random patterns").on_hover_text("T unbiased random binary images, the classical capacity theory's patterns (a trained memory can only store what its decoder draws)").clicked() {
            action = Some(EpisodeAction::FillPatterns);
        }
        if ui.button("Add drawing").on_hover_text("add the query canvas's image to the episode").clicked() {
            action = Some(EpisodeAction::AddDrawing);
        }
        if ui.button("Clear").clicked() {
            episode.items.clear();
        }
        if ui.add_enabled(!episode.items.is_empty(), egui::Button::new("Write to memory")).clicked() {
            action = Some(EpisodeAction::Write);
        }
    });
    let (hint, to_query) = match settings.click_target {
        ClickTarget::Query => ("click to make it the query", true),
        ClickTarget::Episode => ("click to remove it from the episode", false),
    };
    // Strips scroll sideways instead of wrapping, so the layout below never jumps. Each item
    // keeps its colour in every plot (views/palette.rs); the strip's height leaves room for
    // the scroll bar so no thumbnail is clipped. Thumbnails shrink (to 24 points) before the
    // strip has to scroll.
    let side = ((ui.available_width() - 8.0) / episode.items.len().max(1) as f32 - ui.spacing().item_spacing.x).clamp(24.0, 40.0);
    let mut clicked = None;
    egui::ScrollArea::horizontal().id_salt("episode_strip").min_scrolled_height(side + 22.0).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.set_min_height(side + 16.0);
            for (i, image) in episode.items.iter().enumerate() {
                ui.vertical(|ui| {
                    if textures.show(ui, image, side).on_hover_text(format!("item {i}: {hint}")).clicked() {
                        clicked = Some(i);
                    }
                    ui.label(egui::RichText::new(format!("{i}")).small().strong().color(palette::item_colour(i)));
                });
            }
        });
    });
    match clicked {
        // A stored item becomes the query, to read it back (corrupt it first, or not).
        Some(i) if to_query => action = Some(EpisodeAction::ToQuery(i)),
        Some(i) => {
            episode.items.remove(i);
        }
        None => {}
    }
    action
}
