//! Basins: a PCA map of the stored items with the current read's trajectory, and a basin map
//! (start points between two stored items, by noise level, coloured by where they end up).

use eframe::egui::{self, Color32, Rect, Sense, Stroke, StrokeKind, Vec2};
use egui_plot::{ItemId, Line, Plot, PlotPoints, Points, Text};

use super::palette::item_colour;

use crate::app::job::JobState;
use crate::app::texture::TextureCache;
use crate::app::worker::Command;
use crate::data::Image;
use crate::eval::{BasinCell, Projection};
use crate::app::ReadSession;
use crate::memory::ReadPlan;

/// The vectors the PCA map is drawn from: the memory's own space (DKM codes) when every stored
/// item and iterate has an embedding, else pixels.
pub struct MapSpace<'a> {
    pub name: &'static str,
    pub stored: Vec<&'a [f32]>,
    pub trajectory: Vec<&'a [f32]>,
}

impl<'a> MapSpace<'a> {
    pub fn new(stored: &'a [Image], embeddings: Option<&'a [Vec<f32>]>, read: &'a ReadSession) -> Self {
        let embedded_read: Option<Vec<&[f32]>> = read.embeddings.iter().map(|e| e.as_deref()).collect();
        match (embeddings, embedded_read) {
            (Some(e), Some(t)) if e.len() == stored.len() => MapSpace { name: "codes e(x)", stored: e.iter().map(Vec::as_slice).collect(), trajectory: t },
            _ => MapSpace {
                name: "pixel space",
                stored: stored.iter().map(|s| s.pixels.as_slice()).collect(),
                trajectory: read.iterates.iter().map(|it| it.image.pixels.as_slice()).collect(),
            },
        }
    }
}

pub struct BasinView {
    pub a: usize,
    pub b: usize,
    pub columns: usize,
    pub noises: Vec<f32>,
    pub result: Option<(usize, usize, Vec<f32>, Vec<f32>, Vec<BasinCell>)>,
    pub job: JobState,
    /// The fitted map, with what it was fitted on (item count, space name).
    projection: Option<((usize, &'static str), Projection)>,
}

impl Default for BasinView {
    fn default() -> Self {
        Self { a: 0, b: 1, columns: 21, noises: vec![0.0, 0.05, 0.1, 0.2, 0.3], result: None, job: JobState::default(), projection: None }
    }
}

impl BasinView {
    /// Forget results that belong to another memory content.
    pub fn reset(&mut self) {
        self.result = None;
        self.projection = None;
        self.job.finish();
    }

    /// A basin map came back: (a, b, alphas, noises, cells).
    pub fn on_finished(&mut self, result: (usize, usize, Vec<f32>, Vec<f32>, Vec<BasinCell>)) {
        self.job.finish();
        self.result = Some(result);
    }

    /// The command for a basin map between stored items `a` and `b`, read with `plan`; the
    /// view waits for its answer.
    pub fn start(&mut self, a: usize, b: usize, plan: ReadPlan) -> Command {
        (self.a, self.b) = (a, b);
        self.job.start();
        let alphas = (0..self.columns).map(|i| i as f32 / (self.columns - 1) as f32).collect();
        Command::BasinMap { a, b, alphas, noises: self.noises.clone(), plan }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, stored: &[Image], space: &MapSpace<'_>, plan: ReadPlan, textures: &mut TextureCache) -> Option<Command> {
        if stored.len() < 2 {
            ui.label("Write an episode of at least two images to see its basins.");
            return None;
        }
        // PCA map: stored items and the current trajectory.
        let key = (space.stored.len(), space.name);
        if self.projection.as_ref().is_none_or(|(k, _)| *k != key) {
            self.projection = Projection::fit_vectors(&space.stored).map(|p| (key, p));
        }
        if let Some((_, projection)) = &self.projection {
            ui.label(format!("PCA of the stored items ({}) with the read's trajectory", space.name));
            let response = Plot::new("pca_plot").height(200.0).data_aspect(1.0).allow_scroll(false).show(ui, |plot| {
                for (i, s) in space.stored.iter().enumerate() {
                    let p = projection.project_vector(s);
                    plot.points(Points::new(format!("item {i}"), vec![p]).id(ItemId::new(("pca", i))).radius(5.0).color(item_colour(i)));
                    let label = egui::RichText::new(format!(" {i}")).size(13.0).strong().color(item_colour(i));
                    plot.text(Text::new(format!("label {i}"), p.into(), label).anchor(egui::Align2::LEFT_CENTER));
                }
                if !space.trajectory.is_empty() {
                    let path: Vec<[f64; 2]> = space.trajectory.iter().map(|v| projection.project_vector(v)).collect();
                    plot.line(Line::new("trajectory", PlotPoints::from(path.clone())).color(Color32::WHITE).width(1.5));
                    plot.points(Points::new("iterates", path).radius(2.5).color(Color32::WHITE));
                }
            });
            // Hovering an item's dot shows the item.
            if let Some(i) = response.hovered_plot_item.and_then(|id| (0..stored.len()).find(|&i| ItemId::new(("pca", i)) == id)) {
                response.response.on_hover_ui_at_pointer(|ui| {
                    ui.horizontal(|ui| {
                        textures.show(ui, &stored[i], 40.0);
                        ui.colored_label(item_colour(i), format!("item {i}"));
                    });
                });
            }
        }
        // Basin map controls.
        let mut command = None;
        ui.horizontal(|ui| {
            let max = stored.len() - 1;
            ui.add(egui::DragValue::new(&mut self.a).range(0..=max).prefix("from item "));
            ui.add(egui::DragValue::new(&mut self.b).range(0..=max).prefix("to item "));
            ui.add(egui::DragValue::new(&mut self.columns).range(3..=41).prefix("steps "));
            let label = if self.job.is_running() { "Computing..." } else { "Compute basin map" };
            if ui.add_enabled(!self.job.is_running() && self.a != self.b, egui::Button::new(label)).clicked() {
                command = Some(self.start(self.a, self.b, plan));
            }
        });
        self.job.status_ui(ui, "");
        if let Some((a, b, alphas, noises, cells)) = &self.result {
            ui.horizontal(|ui| {
                textures.show(ui, &stored[*a], 32.0);
                ui.label(format!("item {a}  ->  item {b}"));
                textures.show(ui, &stored[*b], 32.0);
            });
            ui.label("rows: bit-flip noise of the start (top 0); columns: mix from a to b; colour: the item the read ends at");
            let cell = Vec2::new((ui.available_width() - 50.0).min(420.0) / alphas.len() as f32, 18.0);
            let (rect, _) = ui.allocate_exact_size(Vec2::new(cell.x * alphas.len() as f32 + 50.0, cell.y * noises.len() as f32), Sense::hover());
            let painter = ui.painter_at(rect);
            for (row, noise) in noises.iter().enumerate() {
                painter.text(rect.min + Vec2::new(0.0, row as f32 * cell.y + 2.0), egui::Align2::LEFT_TOP, format!("{noise:.2}"), egui::FontId::monospace(11.0), Color32::GRAY);
                for col in 0..alphas.len() {
                    let c = &cells[row * alphas.len() + col];
                    let min = rect.min + Vec2::new(50.0 + col as f32 * cell.x, row as f32 * cell.y);
                    let r = Rect::from_min_size(min, cell - Vec2::splat(1.0));
                    // Dim cells that end far from every stored item (spurious attractors).
                    let colour = item_colour(c.attractor).gamma_multiply(if c.distance < 0.05 { 1.0 } else { 0.35 });
                    painter.rect_filled(r, 2.0, colour);
                }
            }
            painter.rect_stroke(rect, 0.0, Stroke::new(1.0, Color32::DARK_GRAY), StrokeKind::Outside);
            ui.small("faded cells: the read ended more than 5% of pixels away from every stored item");
            // The key: every item some cell ended at, with its colour and its image.
            let mut ends: Vec<usize> = cells.iter().map(|c| c.attractor).collect();
            ends.sort_unstable();
            ends.dedup();
            ui.horizontal_wrapped(|ui| {
                ui.label("ends at:");
                for i in ends.into_iter().filter(|&i| i < stored.len()) {
                    let (swatch, _) = ui.allocate_exact_size(Vec2::splat(12.0), Sense::hover());
                    ui.painter().rect_filled(swatch, 2.0, item_colour(i));
                    textures.show(ui, &stored[i], 28.0).on_hover_text(format!("item {i}"));
                    ui.small(format!("{i}"));
                }
            });
        }
        command
    }
}
