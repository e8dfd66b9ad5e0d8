//! One colour per stored item, the same in every view (episode strip, distance plot, PCA map,
//! basin map): 16 hues evenly apart, bright for items 0-15, deeper and shifted half a step for
//! 16-31 (so 32 items never share a colour), paler again for 32-63.

use eframe::egui::{Color32, ecolor::Hsva};

/// The colour of stored item `i`.
pub fn item_colour(i: usize) -> Color32 {
    let band = (i / 16) % 4;
    // Neighbours in the episode get hues far apart: 16 hues visited 7 steps at a time.
    let hue = (((i % 16) * 7 % 16) as f32 + if band % 2 == 1 { 0.5 } else { 0.0 }) / 16.0;
    let (saturation, value) = [(0.7, 0.95), (0.9, 0.65), (0.4, 1.0), (0.6, 0.8)][band];
    Hsva::new(hue, saturation, value, 1.0).into()
}

/// The colour of a series that is not a stored item (sweep results, in order).
pub fn series_colour(i: usize) -> Color32 {
    item_colour(i + 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_two_items_have_distinct_colours() {
        let colours: Vec<Color32> = (0..32).map(item_colour).collect();
        for (i, a) in colours.iter().enumerate() {
            for b in &colours[i + 1..] {
                let d: i32 = a.to_array().iter().zip(b.to_array()).map(|(x, y)| (*x as i32 - y as i32).abs()).sum();
                assert!(d > 20, "two items look alike: {a:?} {b:?}");
            }
        }
    }
}
