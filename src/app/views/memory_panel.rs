//! Inside the memory: the addressing weights of the current iterate as bars, and the panels
//! the memory offers (heat maps of R and U, decoded rows, stored patterns).

use eframe::egui::{self, Color32, ColorImage, TextureOptions, Vec2};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};

use crate::app::texture::TextureCache;
use crate::app::views::palette::item_colour;
use crate::memory::Panel;

/// `axis`: what the bars are (the memory's slots, patterns, hidden units or window).
pub fn weights_plot(ui: &mut egui::Ui, weights: &[f32], axis: &str, height: f32) {
    Plot::new("weights_plot")
        .height(height)
        .x_axis_label(axis)
        .y_axis_label("value")
        .allow_scroll(false)
        .show(ui, |plot| {
            let bars = weights.iter().enumerate().map(|(k, &w)| Bar::new(k as f64, w as f64).width(0.8)).collect();
            plot.bar_chart(BarChart::new("addressing weights", bars));
        });
}

/// Diverging colour map: blue (negative) - black - orange (positive), scaled to max |v|.
fn heat_image(rows: usize, cols: usize, values: &[f32]) -> ColorImage {
    let scale = values.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    let pixels = values
        .iter()
        .map(|&v| {
            let t = (v / scale).clamp(-1.0, 1.0);
            if t >= 0.0 {
                Color32::from_rgb((255.0 * t) as u8, (150.0 * t) as u8, (40.0 * t) as u8)
            } else {
                Color32::from_rgb((40.0 * -t) as u8, (120.0 * -t) as u8, (255.0 * -t) as u8)
            }
        })
        .collect();
    ColorImage::new([cols, rows], pixels)
}

pub fn panels_ui(ui: &mut egui::Ui, panels: &[Panel], textures: &mut TextureCache, heatmaps: &mut Vec<egui::TextureHandle>) {
    if heatmaps.len() != panels.len() {
        // Rebuilt when the memory is rewritten (the app clears `heatmaps` then).
        heatmaps.clear();
        for (i, p) in panels.iter().enumerate() {
            let image = match p {
                Panel::Heatmap { rows, cols, values, .. } => heat_image(*rows, *cols, values),
                Panel::Images { .. } | Panel::Curves { .. } => ColorImage::filled([1, 1], Color32::BLACK),
            };
            heatmaps.push(ui.ctx().load_texture(format!("panel{i}"), image, TextureOptions::NEAREST));
        }
    }
    for (panel, texture) in panels.iter().zip(heatmaps.iter()) {
        match panel {
            Panel::Heatmap { title, rows, cols, values } => {
                ui.label(title);
                let width = ui.available_width().min(360.0);
                let height = (width * *rows as f32 / *cols as f32).clamp(40.0, 360.0);
                let response = ui.add(egui::Image::new((texture.id(), Vec2::new(width, height))).sense(egui::Sense::hover()));
                // Hovering a cell shows its row, column and value.
                if let Some(pos) = response.hover_pos() {
                    let rect = response.rect;
                    let c = (((pos.x - rect.left()) / rect.width() * *cols as f32) as usize).min(cols - 1);
                    let r = (((pos.y - rect.top()) / rect.height() * *rows as f32) as usize).min(rows - 1);
                    response.on_hover_text_at_pointer(format!("row {r}, column {c}: {:.4}", values[r * cols + c]));
                }
                let scale = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                ui.horizontal(|ui| {
                    ui.small("colour:");
                    ui.colored_label(Color32::from_rgb(40, 120, 255), egui::RichText::new(format!("{:.3}", -scale)).small());
                    ui.small("· black 0 ·");
                    ui.colored_label(Color32::from_rgb(255, 150, 40), egui::RichText::new(format!("+{scale:.3}")).small());
                });
            }
            Panel::Curves { title, x_label, y_label, lines, stored_items } => curves_plot(ui, title, x_label, y_label, lines, *stored_items),
            Panel::Images { title, images } => {
                ui.label(format!("{title} ({})", images.len()));
                ui.horizontal_wrapped(|ui| {
                    for image in images.iter().take(64) {
                        textures.show(ui, image, 36.0);
                    }
                });
            }
        }
    }
}

/// Lines over a step axis. The stored items' lines take the items' colours (no legend: the
/// episode strip is the key); other lines get a legend in a corner.
fn curves_plot(ui: &mut egui::Ui, title: &str, x_label: &str, y_label: &str, lines: &[(String, Vec<f64>)], stored_items: bool) {
    ui.label(title);
    if stored_items {
        ui.small("colours: the stored items' (as in the episode strip)");
    }
    let mut plot = Plot::new(("panel_curves", title)).height(160.0).x_axis_label(x_label).y_axis_label(y_label).allow_scroll(false);
    if !stored_items {
        plot = plot.legend(Legend::default().position(egui_plot::Corner::RightTop));
    }
    plot.show(ui, |plot| {
        for (i, (name, values)) in lines.iter().enumerate() {
            let points: PlotPoints = values.iter().enumerate().map(|(k, &v)| [k as f64, v]).collect();
            let line = Line::new(name.as_str(), points);
            plot.line(if stored_items { line.color(item_colour(i)) } else { line });
        }
    });
}
