//! An experiment's plot as a PNG, drawn by plotters into a pixel buffer and encoded by
//! `image`: every series of the plot styled as `style.rs` says, the key beside the plot (never over a
//! curve), axes labelled. The text is egui's own font, so the PNGs need no system fonts.

use std::sync::Once;

use plotters::prelude::*;

use super::record::{ExperimentRecord, PlotSpec};
use super::style::{Marker, SeriesKind, series_styles};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 540;
/// The share of the width the plot takes; the key takes the rest.
const PLOT_SHARE: f64 = 0.68;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are egui's Ubuntu Light; it always parses.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT);
    });
}

/// The PNG bytes of `plot` of `record`.
pub fn png(record: &ExperimentRecord, plot: &PlotSpec) -> Result<Vec<u8>, String> {
    register_font();
    let mut pixels = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    draw(record, plot, &mut pixels).map_err(|e| format!("plot {}: {e}", plot.id))?;
    let image = image::RgbImage::from_raw(WIDTH, HEIGHT, pixels).ok_or("plot buffer of the wrong size")?;
    let mut bytes = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).map_err(|e| e.to_string())?;
    Ok(bytes)
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(record: &ExperimentRecord, plot: &PlotSpec, pixels: &mut [u8]) -> DrawResult {
    let root = BitMapBackend::with_buffer(pixels, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let (chart_area, key_area) = root.split_horizontally((WIDTH as f64 * PLOT_SHARE) as u32);
    let x_of = |x: f64| if plot.log_x { x.max(1e-300).log10() } else { x };
    let series: Vec<(&str, Vec<(f64, f64)>)> =
        record.series_of(&plot.id).map(|s| (s.name.as_str(), s.points.iter().filter(|p| p[0].is_finite() && p[1].is_finite()).map(|p| (x_of(p[0]), p[1])).collect())).collect();
    let all: Vec<(f64, f64)> = series.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    let (x0, x1) = padded(all.iter().map(|p| p.0));
    let (y0, y1, clipped) = fitted_y_range(&all);
    let first_x = all.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let series: Vec<(&str, Vec<(f64, f64)>)> = series.into_iter().map(|(name, points)| (name, points.into_iter().map(|(x, y)| (x, y.min(y1))).collect())).collect();
    let mut chart = ChartBuilder::on(&chart_area).caption(&plot.title, ("sans-serif", 20)).margin(12).x_label_area_size(44).y_label_area_size(64).build_cartesian_2d(x0..x1, y0..y1)?;
    let log_x = plot.log_x;
    // A log axis's ticks read as the numbers themselves (10^3.5 as 3.16e3, never "1e3.5").
    let x_format = move |v: &f64| {
        if !log_x {
            tick(*v)
        } else if v.fract() == 0.0 {
            format!("1e{}", *v as i64)
        } else {
            format!("{:.2e}", 10f64.powf(*v))
        }
    };
    let y_format = |v: &f64| tick(*v);
    chart.configure_mesh().x_desc(&plot.x_label).y_desc(&plot.y_label).x_label_formatter(&x_format).y_label_formatter(&y_format).label_style(("sans-serif", 14)).draw()?;
    // The memories in colour; their controls in the same colour, dashed with hollow points;
    // the trivial answers grey and dashed.
    let names: Vec<&str> = series.iter().map(|(name, _)| *name).collect();
    let styles = series_styles(&names);
    for ((_, points), style) in series.iter().zip(&styles) {
        let colour = RGBColor(style.rgb[0], style.rgb[1], style.rgb[2]);
        if style.dashed() {
            let (dash, gap) = if style.kind == SeriesKind::Reference { (8, 5) } else { (6, 4) };
            chart.draw_series(DashedLineSeries::new(points.iter().copied(), dash, gap, colour.stroke_width(2)))?;
        } else {
            chart.draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))?;
        }
        match style.marker {
            Marker::Filled => chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?,
            Marker::Hollow => chart.draw_series(points.iter().map(|&p| Circle::new(p, 5, colour.stroke_width(2))))?,
            Marker::Cross => chart.draw_series(points.iter().map(|&p| Cross::new(p, 5, colour.stroke_width(2))))?,
            Marker::None => continue,
        };
    }
    // The key, beside the plot: memories first, then the references.
    let line_height = 20;
    let mut order: Vec<usize> = (0..series.len()).collect();
    order.sort_by_key(|&i| styles[i].kind == SeriesKind::Reference);
    for (row, &i) in order.iter().enumerate() {
        let colour = RGBColor(styles[i].rgb[0], styles[i].rgb[1], styles[i].rgb[2]);
        let y = 40 + row as i32 * line_height;
        if styles[i].dashed() {
            for x in [8, 22] {
                key_area.draw(&PathElement::new(vec![(x, y), (x + 9, y)], colour.stroke_width(3)))?;
            }
        } else {
            key_area.draw(&PathElement::new(vec![(8, y), (32, y)], colour.stroke_width(3)))?;
        }
        match styles[i].marker {
            Marker::Filled => key_area.draw(&Circle::new((20, y), 4, colour.filled()))?,
            Marker::Hollow => key_area.draw(&Circle::new((20, y), 5, colour.stroke_width(2)))?,
            Marker::Cross => key_area.draw(&Cross::new((20, y), 5, colour.stroke_width(2)))?,
            Marker::None => {}
        }
        key_area.draw(&Text::new(series[i].0.to_string(), (38, y - 8), ("sans-serif", 14)))?;
    }
    if clipped {
        let y = 40 + order.len() as i32 * line_height + 10;
        let top = all.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        key_area.draw(&Text::new(format!("points at x = {} reach {}:", tick(first_x), tick(top)), (8, y), ("sans-serif", 14)))?;
        key_area.draw(&Text::new("drawn at the top edge".to_string(), (8, y + 18), ("sans-serif", 14)))?;
    }
    root.present()?;
    Ok(())
}

/// The y axis for `points`, with a margin, and whether it was clipped: a first point more than
/// four times the highest later one (a corrupted query's energy, ten times the descent's)
/// would flatten the descent, so the axis is fitted to the later points. A first error two or
/// three times the later ones is what the plot is about, and stays.
pub fn fitted_y_range(points: &[(f64, f64)]) -> (f64, f64, bool) {
    let first_x = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let rest_top = points.iter().filter(|p| p.0 > first_x).map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let top = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = padded(points.iter().map(|p| p.1));
    let clipped = rest_top.is_finite() && rest_top > 0.0 && top > 4.0 * rest_top;
    if clipped {
        let (lo, hi) = padded(points.iter().map(|p| p.1.min(rest_top)));
        (lo, hi, true)
    } else {
        (lo, hi, false)
    }
}

/// A tick's label: whole numbers as such, others to three significant digits (no float noise
/// such as 0.12000000000000001).
fn tick(v: f64) -> String {
    if v == v.round() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let digits = (3 - v.abs().log10().ceil() as i32).clamp(0, 8) as usize;
    let text = format!("{v:.digits$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// The range of `values` with a margin (a flat or empty series still gets a range).
fn padded(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let margin = ((hi - lo) * 0.05).max(hi.abs().max(lo.abs()).max(1e-3) * 0.02);
    (lo - margin, hi + margin)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ticks_read_without_float_noise() {
        assert_eq!(super::tick(0.12000000000000001), "0.12");
        assert_eq!(super::tick(160.0), "160");
        assert_eq!(super::tick(0.0125), "0.0125");
        assert_eq!(super::tick(-0.2), "-0.2");
        assert_eq!(super::tick(87.654), "87.7");
    }

    #[test]
    fn a_towering_first_point_is_left_above_the_axis_and_an_ordinary_one_is_not() {
        let descent = [(0.0, 700.0), (1.0, 60.0), (2.0, 55.0), (3.0, 52.0)];
        let (lo, hi, clipped) = super::fitted_y_range(&descent);
        assert!(clipped && lo < 52.0 && hi > 60.0 && hi < 70.0, "{lo}..{hi}");
        let errors = [(0.0, 0.075), (1.0, 0.03), (2.0, 0.028)];
        let (lo, hi, clipped) = super::fitted_y_range(&errors);
        assert!(!clipped && lo < 0.028 && hi > 0.075, "{lo}..{hi}");
    }
}
