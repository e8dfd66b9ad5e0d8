//! Showing model images: a small cache of GPU textures keyed by image content, so views can
//! draw any [`Image`] every frame without re-uploading it.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use eframe::egui::{self, ColorImage, Response, Sense, TextureHandle, TextureOptions, Vec2};

use crate::data::Image;

/// Grey ink-on-black rendering of an image (1 = white ink, as MNIST).
pub fn to_color_image(image: &Image) -> ColorImage {
    let bytes: Vec<u8> = image.pixels.iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect();
    ColorImage::from_gray([image.cols, image.rows], &bytes)
}

fn content_key(image: &Image) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (image.rows, image.cols).hash(&mut h);
    for &v in &image.pixels {
        ((v.clamp(0.0, 1.0) * 255.0).round() as u8).hash(&mut h);
    }
    h.finish()
}

#[derive(Default)]
pub struct TextureCache {
    textures: HashMap<u64, TextureHandle>,
}

impl TextureCache {
    /// Keeps memory bounded: a dataset page and a few filmstrips fit easily.
    const CAPACITY: usize = 2048;

    pub fn texture(&mut self, ctx: &egui::Context, image: &Image) -> &TextureHandle {
        if self.textures.len() > Self::CAPACITY {
            self.textures.clear();
        }
        let key = content_key(image);
        self.textures
            .entry(key)
            .or_insert_with(|| ctx.load_texture(format!("img{key:x}"), to_color_image(image), TextureOptions::NEAREST))
    }

    /// Draws the image at `side` points square; returns a clickable response.
    pub fn show(&mut self, ui: &mut egui::Ui, image: &Image, side: f32) -> Response {
        let texture = self.texture(ui.ctx(), image).clone();
        ui.add(egui::Image::new((texture.id(), Vec2::splat(side))).sense(Sense::click()))
    }
}
