//! The dataset browser: a paged grid of thumbnails, filterable by label, with the episode's
//! items framed in their colours. Returns the image a person clicked; the app decides whether
//! it joins the episode or becomes the query.

use std::sync::Arc;

use eframe::egui;

use crate::app::texture::TextureCache;
use crate::data::{Image, ImageSet};

use super::palette::item_colour;

pub struct DatasetBrowser {
    pub set: Arc<ImageSet>,
    pub label_filter: Option<u32>,
    pub page: usize,
    pub columns: usize,
    pub rows_per_page: usize,
    /// Indices shown under the current filter.
    visible: Vec<usize>,
    labels: Vec<u32>,
}

/// What happened in the browser this frame.
pub enum BrowserAction {
    Clicked { index: usize, image: Image },
}

impl DatasetBrowser {
    pub fn new(set: Arc<ImageSet>) -> Self {
        let mut labels: Vec<u32> = set.labels.clone().unwrap_or_default();
        labels.sort_unstable();
        labels.dedup();
        let mut browser = Self { set, label_filter: None, page: 0, columns: 6, rows_per_page: 10, visible: Vec::new(), labels };
        browser.refilter();
        browser
    }

    fn refilter(&mut self) {
        self.visible = match self.label_filter {
            Some(l) => self.set.indices_with_label(l),
            None => (0..self.set.len()).collect(),
        };
        self.page = 0;
    }

    pub fn per_page(&self) -> usize {
        self.columns * self.rows_per_page
    }

    pub fn pages(&self) -> usize {
        self.visible.len().div_ceil(self.per_page()).max(1)
    }

    /// Indices under the current filter (for "fill random").
    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    /// `episode`: the images in the episode, marked in the grid with their item's colour.
    pub fn ui(&mut self, ui: &mut egui::Ui, episode: &[Image], textures: &mut TextureCache) -> Option<BrowserAction> {
        ui.label(format!("{} · {} images", short_source(&self.set.source), self.set.len()));
        if !self.labels.is_empty() {
            let mut filter = self.label_filter;
            egui::ComboBox::new("label_filter", "filter")
                .selected_text(filter.map_or("all labels".to_string(), |l| format!("label {l}")))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut filter, None, "all labels");
                    for &l in self.labels.iter().take(1000) {
                        ui.selectable_value(&mut filter, Some(l), format!("label {l}"));
                    }
                });
            if filter != self.label_filter {
                self.label_filter = filter;
                self.refilter();
            }
        }
        ui.horizontal(|ui| {
            if ui.button("<").clicked() {
                self.page = self.page.saturating_sub(1);
            }
            ui.label(format!("page {} / {}", self.page + 1, self.pages()));
            if ui.button(">").clicked() && self.page + 1 < self.pages() {
                self.page += 1;
            }
        });
        let mut action = None;
        // Fixed thumbnail size; the number of columns follows the panel width.
        let side = 48.0;
        self.columns = (((ui.available_width() - 16.0) / (side + 4.0)).floor() as usize).clamp(2, 12);
        egui::Grid::new("dataset_grid").spacing([4.0, 4.0]).show(ui, |ui| {
            let start = self.page * self.per_page();
            for (n, &index) in self.visible.iter().skip(start).take(self.per_page()).enumerate() {
                let image = self.set.image(index);
                let response = textures.show(ui, &image, side);
                let item = episode.iter().position(|e| *e == image);
                if let Some(i) = item {
                    ui.painter().rect_stroke(response.rect.expand(1.0), 2.0, egui::Stroke::new(2.5, item_colour(i)), egui::StrokeKind::Outside);
                }
                let label = self.set.label(index).map_or(String::new(), |l| format!(" · label {l}"));
                let in_episode = item.map_or(String::new(), |i| format!("\nin the episode as item {i}"));
                let response = response.on_hover_text(format!("#{index}{label}{in_episode}"));
                if response.clicked() {
                    action = Some(BrowserAction::Clicked { index, image });
                }
                if (n + 1) % self.columns == 0 {
                    ui.end_row();
                }
            }
        });
        action
    }
}

fn short_source(source: &str) -> &str {
    source.rsplit('/').next().unwrap_or(source)
}

/// The data panel: where a click sends an image, and the browser (or a note that nothing is
/// loaded). Returns the image clicked.
pub fn panel(ui: &mut egui::Ui, browser: Option<&mut DatasetBrowser>, click_target: &mut crate::app::settings::ClickTarget, episode: &[Image], textures: &mut TextureCache) -> Option<Image> {
    use crate::app::settings::ClickTarget;
    ui.heading("Data");
    ui.horizontal(|ui| {
        ui.label("click puts image into:");
        ui.selectable_value(click_target, ClickTarget::Episode, "episode");
        ui.selectable_value(click_target, ClickTarget::Query, "query");
    });
    let Some(browser) = browser else {
        ui.label("no data loaded");
        return None;
    };
    match egui::ScrollArea::vertical().show(ui, |ui| browser.ui(ui, episode, textures)).inner {
        Some(BrowserAction::Clicked { image, .. }) => Some(image),
        None => None,
    }
}
