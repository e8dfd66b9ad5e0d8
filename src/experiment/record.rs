//! What an experiment run leaves: one JSON record (the program's version, the command, each
//! checkpoint's SHA-256, every series of points and the plots they belong to), a CSV of the
//! same points, and PNG plots. Two runs with the same seeds write the same record apart from
//! `seconds`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use super::point_scene::PointOrigin;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRecord {
    pub experiment: String,
    pub title: String,
    pub quick: bool,
    /// "kanerva-explorer 0.1.0".
    pub program: String,
    /// The command that reproduces this record.
    pub command: String,
    /// The checkpoints used, by file name: their SHA-256.
    pub checkpoints: BTreeMap<String, String>,
    pub plots: Vec<PlotSpec>,
    pub series: Vec<Series>,
    /// Numbers that are not points of a curve (the share of read steps whose energy held).
    pub scalars: BTreeMap<String, f64>,
    /// Wall time of the run (the one field that differs between two runs).
    pub seconds: f64,
}

/// One plot of the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlotSpec {
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Draw x on a log10 axis.
    #[serde(default)]
    pub log_x: bool,
}

/// One curve: its plot, its name, its points in x order, and where they came from (so that a
/// point opens as a scene).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub plot: String,
    pub name: String,
    pub points: Vec<[f64; 2]>,
    /// The memory, data, noise and read behind every point (absent for the trivial answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<PointOrigin>,
    /// Each point's episode size (the stored count, T), beside `points`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<usize>,
    /// Each point's corruption level, beside `points`, where the level varies along the series.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<f64>,
}

/// The files a run wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Written {
    pub json: PathBuf,
    pub csv: PathBuf,
    pub pngs: Vec<PathBuf>,
}

impl ExperimentRecord {
    /// A record of `spec` with no points yet (the program and command are filled in by the
    /// run that makes it).
    pub fn empty(spec: &super::ExperimentSpec, quick: bool) -> Self {
        ExperimentRecord {
            experiment: spec.name.clone(),
            title: spec.title.clone(),
            quick,
            program: String::new(),
            command: String::new(),
            checkpoints: BTreeMap::new(),
            plots: Vec::new(),
            series: Vec::new(),
            scalars: BTreeMap::new(),
            seconds: 0.0,
        }
    }

    /// The series `name` of plot `plot`, created empty if new.
    pub fn series_mut(&mut self, plot: &str, name: &str) -> &mut Series {
        if let Some(i) = self.series.iter().position(|s| s.plot == plot && s.name == name) {
            return &mut self.series[i];
        }
        self.series.push(Series { plot: plot.into(), name: name.into(), points: Vec::new(), origin: None, sizes: Vec::new(), levels: Vec::new() });
        self.series.last_mut().expect("just pushed")
    }

    /// Adds a point to `series` of `plot`, with its origin and episode size when it has them.
    pub fn add_point(&mut self, plot: &str, series: &str, point: [f64; 2], origin: Option<&PointOrigin>, size: Option<usize>, level: Option<f64>) {
        let s = self.series_mut(plot, series);
        s.points.push(point);
        if let (Some(origin), Some(size)) = (origin, size) {
            s.origin.get_or_insert_with(|| origin.clone());
            s.sizes.push(size);
            s.levels.extend(level);
        }
    }

    /// The scene of point `index` of series `series` of plot `plot`.
    pub fn point_scene(&self, plot: &str, series: &str, index: usize) -> Result<crate::scene::SceneRequest, String> {
        let found = self.series.iter().find(|s| s.plot == plot && s.name == series).ok_or_else(|| {
            let names: Vec<String> = self.series_of(plot).map(|s| format!("{:?}", s.name)).collect();
            if names.is_empty() {
                format!("no plot {plot:?} (plots: {})", self.plots.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", "))
            } else {
                format!("plot {plot:?} has no series {series:?} (it has {})", names.join(", "))
            }
        })?;
        let origin = found.origin.as_ref().ok_or_else(|| format!("{series:?} is a trivial answer, not a read: it has no scene"))?;
        let size = *found.sizes.get(index).ok_or_else(|| format!("{series:?} has {} points; point {index} asked for", found.sizes.len()))?;
        super::point_scene::scene_request(origin, size, found.levels.get(index).copied())
    }

    /// The series of plot `plot`.
    pub fn series_of<'a>(&'a self, plot: &'a str) -> impl Iterator<Item = &'a Series> + 'a {
        self.series.iter().filter(move |s| s.plot == plot)
    }

    /// The points as CSV: `plot,series,x,y`, one row a point.
    pub fn csv(&self) -> String {
        let mut out = String::from("plot,series,x,y\n");
        let quote = |s: &str| {
            if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
        };
        for series in &self.series {
            for [x, y] in &series.points {
                out.push_str(&format!("{},{},{x},{y}\n", quote(&series.plot), quote(&series.name)));
            }
        }
        out
    }

    /// The record as Markdown, one table a plot (a row a series, a column an x), then the
    /// scalars: what docs/ quote, made from the record itself.
    pub fn markdown(&self) -> String {
        let number = |v: f64| {
            if v.abs() >= 100.0 {
                format!("{v:.1}")
            } else if v.abs() >= 1.0 {
                format!("{v:.2}")
            } else {
                format!("{v:.4}")
            }
        };
        let mut out = format!("`{}` ({}; {} s)\n", self.command, self.program, self.seconds.round());
        for plot in &self.plots {
            // Series of one point each (memories against their floats): one row each.
            let reference = |s: &Series| s.name.ends_with("(reference)");
            if self.series_of(&plot.id).all(|s| s.points.len() <= 1 || reference(s)) {
                out.push_str(&format!("\n{}\n\n| series | {} | {} |\n|---|---|---|\n", plot.title, plot.x_label, plot.y_label));
                let mut rows: Vec<&Series> = self.series_of(&plot.id).collect();
                rows.sort_by_key(|s| reference(s));
                for series in rows {
                    if let Some([x, y]) = series.points.first() {
                        let x = if reference(series) { "(a level)".to_string() } else { number(*x) };
                        out.push_str(&format!("| {} | {x} | {} |\n", series.name, number(*y)));
                    }
                }
                continue;
            }
            let mut xs: Vec<f64> = self.series_of(&plot.id).flat_map(|s| s.points.iter().map(|p| p[0])).collect();
            xs.sort_by(f64::total_cmp);
            xs.dedup();
            if xs.len() > 12 {
                // Long axes (iterations): every other column, and the last.
                let last = *xs.last().expect("not empty");
                xs = xs.iter().copied().step_by(2).collect();
                if xs.last() != Some(&last) {
                    xs.push(last);
                }
            }
            out.push_str(&format!(
                "\n{} ({} against {})\n\n| series | {} |\n|---|{}\n",
                plot.title,
                plot.y_label,
                plot.x_label,
                xs.iter().map(|&x| if x == x.round() && x.abs() < 1e9 { format!("{}", x as i64) } else { number(x) }).collect::<Vec<_>>().join(" | "),
                "---|".repeat(xs.len())
            ));
            // The memories, then the trivial answers.
            let mut rows: Vec<&Series> = self.series_of(&plot.id).collect();
            rows.sort_by_key(|s| s.name.ends_with("(reference)"));
            for series in rows {
                let cells: Vec<String> = xs.iter().map(|x| series.points.iter().find(|p| p[0] == *x).map_or("-".into(), |p| number(p[1]))).collect();
                out.push_str(&format!("| {} | {} |\n", series.name, cells.join(" | ")));
            }
        }
        if !self.scalars.is_empty() {
            out.push('\n');
            for (name, value) in &self.scalars {
                out.push_str(&format!("- {name}: {}\n", number(*value)));
            }
        }
        out
    }

    /// Writes `NAME.json`, `NAME.csv` and one `NAME-PLOT.png` a plot into `dir` (created if
    /// missing), each atomically.
    pub fn write(&self, dir: &Path) -> Result<Written, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let write = |path: &Path, bytes: &[u8]| crate::train::checkpoint::write_atomically(path, bytes).map_err(|e| e.to_string());
        let json = dir.join(format!("{}.json", self.experiment));
        write(&json, &serde_json::to_vec_pretty(self).expect("a record always serialises"))?;
        let csv = dir.join(format!("{}.csv", self.experiment));
        write(&csv, self.csv().as_bytes())?;
        let mut pngs = Vec::new();
        for plot in &self.plots {
            let png = dir.join(format!("{}-{}.png", self.experiment, plot.id));
            write(&png, &super::plot::png(self, plot)?)?;
            pngs.push(png);
        }
        Ok(Written { json, csv, pngs })
    }
}
