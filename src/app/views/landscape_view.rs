//! The energy landscape view: a heat map of the energy on the plane through two or three stored
//! items (eval::landscape), the items marked in their colours, the read's trajectory on top,
//! a colour key, and the image at the cell under the pointer.

use eframe::egui::{self, Color32, Rect, Sense, Stroke, Vec2};

use crate::app::job::JobState;
use crate::catalog::ModelKind;
use crate::app::texture::TextureCache;
use crate::app::worker::Command;
use crate::eval::{Landscape, LandscapeRequest};
use crate::memory::Iterate;

use super::palette::item_colour;

pub struct LandscapeView {
    pub items: [usize; 3],
    /// Through three items (else two, and the origin).
    pub three: bool,
    pub resolution: usize,
    pub extent: f64,
    pub result: Option<Landscape>,
    pub job: JobState,
}

impl Default for LandscapeView {
    fn default() -> Self {
        Self { items: [0, 1, 2], three: true, resolution: 31, extent: 0.5, result: None, job: JobState::default() }
    }
}

/// Low energy dark blue, high energy yellow (a perceptually ordered ramp).
fn ramp(t: f64) -> Color32 {
    let t = t.clamp(0.0, 1.0) as f32;
    let stops = [(0.0, [30.0, 20.0, 90.0]), (0.35, [40.0, 110.0, 160.0]), (0.7, [90.0, 190.0, 110.0]), (1.0, [250.0, 230.0, 60.0])];
    let k = stops.iter().rposition(|(s, _)| *s <= t).unwrap_or(0).min(stops.len() - 2);
    let ((s0, c0), (s1, c1)) = (stops[k], stops[k + 1]);
    let f = ((t - s0) / (s1 - s0)).clamp(0.0, 1.0);
    Color32::from_rgb((c0[0] + f * (c1[0] - c0[0])) as u8, (c0[1] + f * (c1[1] - c0[1])) as u8, (c0[2] + f * (c1[2] - c0[2])) as u8)
}

impl LandscapeView {
    /// Forget a landscape of another memory content.
    pub fn reset(&mut self) {
        self.result = None;
    }

    /// The command for the landscape through `items` at the view's resolution and extent,
    /// with `read` on it; the view's Cancel button stops it.
    pub fn start(&mut self, items: Vec<usize>, read: &[Iterate]) -> Command {
        let cancel = self.job.start();
        let request = LandscapeRequest { items, resolution: self.resolution, extent: self.extent };
        Command::Landscape { request, read: read.to_vec(), cancel }
    }

    pub fn on_finished(&mut self, result: Option<Landscape>) {
        self.job.finish();
        if result.is_some() {
            self.result = result;
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, stored: usize, holds_state: bool, read: &[Iterate], textures: &mut TextureCache) -> Option<Command> {
        let mut command = None;
        // "addresses for the DKM and KM, keys for the K++, ...": the kinds grouped by space.
        let mut spaces: Vec<(&str, Vec<&str>)> = Vec::new();
        for kind in ModelKind::ALL {
            let Some(space) = kind.landscape_space() else { continue };
            match spaces.iter_mut().find(|(s, _)| *s == space) {
                Some((_, kinds)) => kinds.push(kind.label()),
                None => spaces.push((space, vec![kind.label()])),
            }
        }
        let spaces: Vec<String> = spaces.into_iter().map(|(space, kinds)| format!("{space} for the {}", kinds.join(" and "))).collect();
        ui.label(format!("Energy landscape: the energy on the plane through stored items in the memory's own state space ({}, relaxed spins for a Hopfield network), with the read's trajectory", spaces.join(", ")));
        if !holds_state {
            let with: Vec<&str> = ModelKind::ALL.into_iter().filter(|k| k.landscape_space().is_some()).map(ModelKind::label).collect();
            ui.small(format!("this memory has no state space to draw (the Hopfield networks and the {} have)", with.join(", ")));
            return None;
        }
        ui.horizontal(|ui| {
            let max = stored.saturating_sub(1);
            ui.add(egui::DragValue::new(&mut self.items[0]).range(0..=max).prefix("a "));
            ui.add(egui::DragValue::new(&mut self.items[1]).range(0..=max).prefix("b "));
            ui.checkbox(&mut self.three, "");
            ui.add_enabled(self.three, egui::DragValue::new(&mut self.items[2]).range(0..=max).prefix("c "));
            ui.add(egui::DragValue::new(&mut self.resolution).range(5..=81).prefix("cells "));
            ui.add(egui::DragValue::new(&mut self.extent).range(0.0..=3.0).speed(0.05).prefix("beyond "));
        });
        let items: Vec<usize> = if self.three { self.items.to_vec() } else { self.items[..2].to_vec() };
        let distinct = items.iter().enumerate().all(|(i, a)| items[i + 1..].iter().all(|b| a != b));
        ui.horizontal(|ui| {
            if ui.add_enabled(!self.job.is_running() && distinct && stored >= items.len(), egui::Button::new("Compute landscape")).clicked() {
                command = Some(self.start(items.clone(), read));
            }
            if ui.add_enabled(self.job.is_running(), egui::Button::new("Cancel")).clicked() {
                self.job.cancel();
            }
            self.job.status_ui(ui, "rows");
        });
        if let Some(map) = &self.result {
            self.draw(ui, map, textures);
        }
        command
    }

    fn draw(&self, ui: &mut egui::Ui, map: &Landscape, textures: &mut TextureCache) {
        let n = map.axis.len();
        let side = (ui.available_width() - 20.0).clamp(120.0, 360.0);
        let (rect, response) = ui.allocate_exact_size(Vec2::splat(side), Sense::hover());
        let painter = ui.painter_at(rect);
        let (lo, hi) = map.energies.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &e| (a.min(e), b.max(e)));
        let cell = side / n as f32;
        let (first, last) = (map.axis[0], map.axis[n - 1]);
        // Plane coordinates to screen: u to the right, v upward.
        let to_screen = |[u, v]: [f64; 2]| {
            let x = ((u - first) / (last - first)) as f32;
            let y = ((v - first) / (last - first)) as f32;
            egui::pos2(rect.left() + cell / 2.0 + x * (side - cell), rect.bottom() - cell / 2.0 - y * (side - cell))
        };
        for j in 0..n {
            for i in 0..n {
                let e = map.energies[j * n + i];
                let min = egui::pos2(rect.left() + i as f32 * cell, rect.bottom() - (j + 1) as f32 * cell);
                painter.rect_filled(Rect::from_min_size(min, Vec2::splat(cell + 0.5)), 0.0, ramp((e - lo) / (hi - lo).max(1e-12)));
            }
        }
        let path: Vec<egui::Pos2> = map.trajectory.iter().map(|&p| to_screen(p)).collect();
        painter.add(egui::Shape::line(path.clone(), Stroke::new(2.0, Color32::WHITE)));
        for p in &path {
            painter.circle_filled(*p, 2.5, Color32::WHITE);
        }
        for (&item, &coord) in map.items.iter().zip(&map.item_coords) {
            let p = to_screen(coord);
            painter.circle_stroke(p, 6.0, Stroke::new(2.5, item_colour(item)));
            painter.text(p + Vec2::new(8.0, -8.0), egui::Align2::LEFT_BOTTOM, format!("{item}"), egui::FontId::proportional(13.0), item_colour(item));
        }
        if let Some(pos) = response.hover_pos() {
            let i = (((pos.x - rect.left()) / cell) as usize).min(n - 1);
            let j = (((rect.bottom() - pos.y) / cell) as usize).min(n - 1);
            let (energy, image) = (map.energies[j * n + i], &map.images[j * n + i]);
            response.on_hover_ui_at_pointer(|ui| {
                ui.horizontal(|ui| {
                    textures.show(ui, image, 56.0);
                    ui.label(format!("u {:.2}, v {:.2}\nenergy {energy:.2}", map.axis[i], map.axis[j]));
                });
            });
        }
        // The key: the ramp from the lowest to the highest energy on the grid.
        ui.horizontal(|ui| {
            ui.small(format!("energy {lo:.1}"));
            let (key, _) = ui.allocate_exact_size(Vec2::new(140.0, 10.0), Sense::hover());
            for k in 0..28 {
                let r = Rect::from_min_size(egui::pos2(key.left() + k as f32 * 5.0, key.top()), Vec2::new(5.5, 10.0));
                ui.painter().rect_filled(r, 0.0, ramp(k as f64 / 27.0));
            }
            ui.small(format!("{hi:.1}"));
            ui.small("· circles: the stored items · white: the read");
        });
    }
}
