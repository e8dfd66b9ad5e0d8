//! The query canvas: a 28x28 image drawn with the mouse (brush, erase), with undo. The strokes
//! live in the image itself; painting converts pointer positions with one transform.

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

use crate::data::{Corruption, Image, Rect as PixelRect, Region};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tool {
    Brush,
    Erase,
    /// Drag a rectangle; on release it is filled with ink (occlusion).
    Occlude,
}

pub struct Canvas {
    pub image: Image,
    pub tool: Tool,
    /// The clean item the query was made from (an episode or data item, before it was drawn
    /// on or corrupted); None for a drawing from scratch. A saved scene's pixel errors are
    /// measured against it.
    pub clean: Option<Image>,
    /// Brush radius in pixels of the 28x28 image.
    pub brush_radius: f32,
    /// Earlier (image, clean item) pairs, newest last.
    undo: Vec<(Image, Option<Image>)>,
    /// Occlusion rectangle being dragged, in pixel coordinates (start, current).
    drag_rect: Option<(Pos2, Pos2)>,
    /// Bumped on every change, so others can tell the query changed.
    pub version: u64,
    /// Where the current stroke's last dab landed (pixel coordinates).
    last_dab: Option<Pos2>,
}

impl Default for Canvas {
    fn default() -> Self {
        Self { image: Image::blank(), tool: Tool::Brush, clean: None, brush_radius: 1.3, undo: Vec::new(), drag_rect: None, version: 0, last_dab: None }
    }
}

/// Maps between screen points and 28x28 pixel coordinates.
struct PixelTransform {
    rect: Rect,
    rows: usize,
    cols: usize,
}

impl PixelTransform {
    fn to_pixel(&self, p: Pos2) -> Pos2 {
        let v = (p - self.rect.min) / self.rect.size();
        Pos2::new(v.x * self.cols as f32, v.y * self.rows as f32)
    }
    fn cell(&self, row: usize, col: usize) -> Rect {
        let size = Vec2::new(self.rect.width() / self.cols as f32, self.rect.height() / self.rows as f32);
        Rect::from_min_size(self.rect.min + Vec2::new(col as f32 * size.x, row as f32 * size.y), size)
    }
}

impl Canvas {
    /// Makes `image` the query, with no clean item known (undoable).
    pub fn set_image(&mut self, image: Image) {
        self.set_query(image, None);
    }

    /// Makes `item` the query: it is its own clean item until edited (undoable).
    pub fn set_item(&mut self, item: Image) {
        self.set_query(item.clone(), Some(item));
    }

    /// Makes `image` the query, made from the clean item `clean` if any (undoable).
    pub fn set_query(&mut self, image: Image, clean: Option<Image>) {
        self.push_undo();
        self.image = image;
        self.clean = clean;
        self.version += 1;
    }

    /// An edit of the query: the clean item it was made from stays.
    fn edit(&mut self, image: Image) {
        let clean = self.clean.take();
        self.set_query(image, clean);
    }

    pub fn clear(&mut self) {
        self.set_query(Image::blank(), None);
    }

    pub fn invert(&mut self) {
        let inverted = Image::new(self.image.rows, self.image.cols, self.image.pixels.iter().map(|v| 1.0 - v).collect());
        self.edit(inverted);
    }

    pub fn apply(&mut self, corruption: &Corruption, seed: u64) {
        let corrupted = corruption.apply(&self.image, seed);
        self.edit(corrupted);
    }

    pub fn undo(&mut self) -> bool {
        match self.undo.pop() {
            Some((image, clean)) => {
                self.image = image;
                self.clean = clean;
                self.version += 1;
                true
            }
            None => false,
        }
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    fn push_undo(&mut self) {
        self.undo.push((self.image.clone(), self.clean.clone()));
        if self.undo.len() > 50 {
            self.undo.remove(0);
        }
    }

    /// Paints a soft round dab at pixel coordinates `at`.
    pub fn dab(&mut self, at: Pos2, erase: bool) {
        let r = self.brush_radius;
        for row in 0..self.image.rows {
            for col in 0..self.image.cols {
                let d = Pos2::new(col as f32 + 0.5, row as f32 + 0.5).distance(at);
                let strength = (1.0 - (d - r * 0.5).max(0.0) / (r * 0.75)).clamp(0.0, 1.0);
                if strength > 0.0 {
                    let v = self.image.get(row, col);
                    self.image.set(row, col, if erase { v.min(1.0 - strength) } else { v.max(strength) });
                }
            }
        }
        self.version += 1;
    }

    /// Dabs along the segment from the previous dab to `to`, so fast strokes have no gaps.
    fn stroke_to(&mut self, to: Pos2, erase: bool) {
        let from = self.last_dab.unwrap_or(to);
        let steps = (from.distance(to) / 0.35).ceil().max(1.0) as usize;
        for i in 1..=steps {
            self.dab(from.lerp(to, i as f32 / steps as f32), erase);
        }
        self.last_dab = Some(to);
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, side: f32) -> egui::Response {
        // In a horizontal layout the response is exactly the square (no justified stretching),
        // so the screen-to-pixel transform and the accessibility rect agree.
        ui.horizontal(|ui| self.square_ui(ui, side)).inner
    }

    fn square_ui(&mut self, ui: &mut egui::Ui, side: f32) -> egui::Response {
        let (rect, response) = ui.allocate_exact_size(Vec2::splat(side), Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "query canvas"));
        let transform = PixelTransform { rect, rows: self.image.rows, cols: self.image.cols };
        if response.drag_started() || (response.clicked() && self.tool != Tool::Occlude) {
            self.push_undo();
        }
        if let Some(pos) = response.interact_pointer_pos() {
            let at = transform.to_pixel(pos);
            match self.tool {
                Tool::Brush | Tool::Erase if response.drag_started() || response.clicked() => {
                    // The stroke starts where the button went down, not where the drag was
                    // recognised a few pixels later.
                    let origin = ui.input(|i| i.pointer.press_origin()).unwrap_or(pos);
                    self.last_dab = Some(transform.to_pixel(origin));
                    self.stroke_to(at, self.tool == Tool::Erase);
                }
                Tool::Brush | Tool::Erase if response.dragged() => self.stroke_to(at, self.tool == Tool::Erase),
                Tool::Occlude if response.drag_started() => self.drag_rect = Some((at, at)),
                Tool::Occlude if response.dragged() => {
                    if let Some((start, _)) = self.drag_rect {
                        self.drag_rect = Some((start, at));
                    }
                }
                _ => {}
            }
        }
        if response.drag_stopped() && self.tool == Tool::Occlude {
            if let Some((a, b)) = self.drag_rect.take() {
                let (r0, r1) = (a.y.min(b.y).floor().max(0.0) as usize, a.y.max(b.y).ceil() as usize);
                let (c0, c1) = (a.x.min(b.x).floor().max(0.0) as usize, a.x.max(b.x).ceil() as usize);
                let region = Region::At(PixelRect { row: r0, col: c0, height: r1.saturating_sub(r0), width: c1.saturating_sub(c0) });
                // The undo entry was pushed when the drag started.
                self.image = Corruption::Occlude { region }.apply(&self.image, 0);
                self.version += 1;
            }
        }
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, Color32::BLACK);
        for row in 0..self.image.rows {
            for col in 0..self.image.cols {
                let v = (self.image.get(row, col).clamp(0.0, 1.0) * 255.0) as u8;
                if v > 0 {
                    painter.rect_filled(transform.cell(row, col), 0.0, Color32::from_gray(v));
                }
            }
        }
        if let Some((a, b)) = self.drag_rect {
            let to_screen = |p: Pos2| rect.min + Vec2::new(p.x / self.image.cols as f32 * rect.width(), p.y / self.image.rows as f32 * rect.height());
            painter.rect_stroke(Rect::from_two_pos(to_screen(a), to_screen(b)), 0.0, Stroke::new(2.0, Color32::YELLOW), StrokeKind::Inside);
        }
        painter.rect_stroke(rect, 0.0, Stroke::new(1.0, Color32::GRAY), StrokeKind::Inside);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::Canvas;
    use crate::data::{Corruption, Image};

    /// The clean item follows the query through edits and undo, and goes with a clear.
    #[test]
    fn the_clean_item_stays_through_edits_and_goes_with_a_clear() {
        let item = Corruption::BitFlip { p: 0.5 }.apply(&Image::blank(), 3);
        let mut canvas = Canvas::default();
        canvas.set_item(item.clone());
        canvas.apply(&Corruption::BitFlip { p: 0.2 }, 1);
        canvas.invert();
        assert_ne!(canvas.image, item);
        assert_eq!(canvas.clean.as_ref(), Some(&item));
        canvas.clear();
        assert_eq!(canvas.clean, None);
        assert!(canvas.undo());
        assert_eq!(canvas.clean.as_ref(), Some(&item), "undo brings the clean item back with the image");
        canvas.set_image(Image::blank());
        assert_eq!(canvas.clean, None, "an image from elsewhere has no clean item");
    }
}
