//! One colour per stored item, the same in every view (episode strip, distance plot, PCA map,
//! basin map), and distinct for any episode the explorer writes (hues a golden angle apart,
//! two lightness levels, so 32 items never share a colour).

use eframe::egui::{Color32, ecolor::Hsva};

/// The colour of stored item `i`.
pub fn item_colour(i: usize) -> Color32 {
    const GOLDEN: f32 = 0.381_966;
    let hue = (i as f32 * GOLDEN).fract();
    let value = if (i / 16) % 2 == 0 { 0.95 } else { 0.7 };
    Hsva::new(hue, 0.65, value, 1.0).into()
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
