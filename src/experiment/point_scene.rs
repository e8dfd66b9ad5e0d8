//! Any point of an experiment, opened as a scene: the episode, the query and the read that
//! produced it. A point is an average over many queries; its scene is the first of them (the
//! first test episode of the point's size, its first item; or the first pattern of a sweep),
//! corrupted with the same seed the experiment used, so the scene's read is one of the reads
//! the point averages.

use serde::{Deserialize, Serialize};

use crate::eval::{PatternSource, SweepControl};
use crate::memory::ReadPlan;
use crate::rng::shuffle_permutation;
use crate::scene::{SceneImage, SceneRequest};
use crate::train::standard_test_episodes;

use super::run::{corruption, data, memory_spec};
use super::spec::MemoryRef;

/// Where a series' points came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointOrigin {
    pub memory: MemoryRef,
    /// `random` (seeded binary patterns) or a data argument (`embedded:mnist-test`, ...).
    pub data: String,
    pub episode: EpisodeChoice,
    /// The query's corruption; absent: the clean item is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<String>,
    /// The read as the experiment ran it (its seed is the first query's).
    pub read: ReadPlan,
    /// A sweep's control (what was written instead of the patterns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<SweepControl>,
}

/// How a point's episode was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeChoice {
    /// The standard test episodes of the point's size (`eval::denoise`, the bounds); the
    /// scene is the first episode, its first item the query.
    FirstTestEpisode,
    /// The first n patterns of a sweep (`eval::sweep`; random ones from `seed`); the scene
    /// queries the first of them.
    SweepPatterns { seed: u64 },
}

/// The scene of the point whose episode had `size` items (and whose corruption was at `level`,
/// where the level varies along the series).
pub fn scene_request(origin: &PointOrigin, size: usize, level: Option<f64>) -> Result<SceneRequest, String> {
    let (memory, _) = memory_spec(&origin.memory)?;
    let noise = origin.noise.as_deref().map(corruption).transpose()?.map(|c| level.map_or(c, |l| c.with_level(l)));
    let from_data = |index: usize| SceneImage::Data { source: origin.data.clone(), index };
    let (episode, query, seed) = match origin.episode {
        EpisodeChoice::FirstTestEpisode => {
            let set = data(&origin.data)?;
            let first = standard_test_episodes(&set, size, 1).into_iter().next().filter(|e| !e.is_empty());
            let first = first.ok_or_else(|| format!("{} has no test episode of {size} images", origin.data))?;
            // `eval::denoise` seeds query q of the run with seed + 7919 q: the first is `seed`.
            (first.iter().map(|&i| from_data(i)).collect::<Vec<_>>(), from_data(first[0]), origin.read.seed)
        }
        EpisodeChoice::SweepPatterns { seed } => {
            let control = origin.control.unwrap_or_default();
            if control == SweepControl::NoWrite {
                return Err("a no-write control writes nothing: its points have no episode to open".into());
            }
            let wanted = if control == SweepControl::OtherEpisode { 2 * size } else { size };
            let all: Vec<SceneImage> = if origin.data == "random" {
                PatternSource::Random { seed }.patterns(wanted).iter().map(SceneImage::pixels).collect()
            } else {
                let set = data(&origin.data)?;
                shuffle_permutation(set.len(), 0).into_iter().take(wanted).map(from_data).collect()
            };
            if all.len() < wanted || size == 0 {
                return Err(format!("{} has {} patterns; the point stored {size}", origin.data, all.len()));
            }
            let written = if control == SweepControl::OtherEpisode { all[size..].to_vec() } else { all[..size].to_vec() };
            // `eval::sweep` seeds pattern i of a point storing n with seed + 7919 i + n.
            (written, all[0].clone(), origin.read.seed.wrapping_add(size as u64))
        }
    };
    Ok(SceneRequest { memory, episode, query, corruption: noise, corruption_seed: seed, target: None, read: origin.read.with_seed(seed) })
}

#[cfg(test)]
mod tests {
    use crate::experiment::{ExperimentSpec, run};

    /// A protocol whose every point averages one query: its scene's read is that query's.
    fn one_query(protocol: &str) -> ExperimentSpec {
        let text = format!(r#"{{"name": "t", "title": "T", "paper": "p", "claim": "c", "protocol_paper": "a", "protocol_ours": "b", "protocol": {protocol}}}"#);
        ExperimentSpec::parse(&text).unwrap()
    }

    /// Runs `spec` and returns the record and, for each series with an origin, its scene's
    /// recorded read at the point of `size`.
    fn record_and_scene(spec: &ExperimentSpec, plot: &str, series: &str, index: usize) -> (Vec<[f64; 2]>, crate::scene::Scene) {
        let record = run(spec, false, "test", &mut |_| true).unwrap();
        let points = record.series.iter().find(|s| s.plot == plot && s.name == series).unwrap().points.clone();
        let scene = crate::scene::record(&record.point_scene(plot, series, index).unwrap()).unwrap();
        (points, scene)
    }

    #[test]
    fn a_reading_points_scene_reads_exactly_what_the_point_measured() {
        let spec =
            one_query(r#"{"reading": {"memories": [{"memory": "hopfield"}], "data": "embedded:mnist-test", "episodes": 1, "episode_size": 1, "noises": ["flip:0.3"], "iterations": 3, "seed": 3}}"#);
        let (errors, scene) = record_and_scene(&spec, "pixel-error-flip-0.3", "hopfield", 2);
        assert_eq!(scene.recorded.len(), errors.len());
        for (step, point) in scene.recorded.iter().zip(&errors) {
            assert!((step.pixel_error - point[1]).abs() < 1e-9, "iteration {}: scene {} point {}", step.iteration, step.pixel_error, point[1]);
        }
        assert!(errors[0][1] > 0.2, "the query is corrupted: {}", errors[0][1]);
    }

    #[test]
    fn a_recall_points_scene_and_its_controls_read_what_the_point_measured() {
        for patterns in ["random", "embedded:mnist-test"] {
            let spec = one_query(&format!(
                r#"{{"recall": {{"memories": [{{"memory": "hopfield"}}], "patterns": ["{patterns}"], "stored": [1, 3], "noises": ["flip:0.2"], "iterations": 3, "seed": 5, "x": "stored", "controls": ["no-write", "other-episode"]}}}}"#
            ));
            let plot = if patterns == "random" { "random-flip-0.2" } else { "data-flip-0.2" };
            for series in ["hopfield", "hopfield (other-episode control)"] {
                let (points, scene) = record_and_scene(&spec, plot, series, 0);
                let last = scene.recorded.last().unwrap().pixel_error;
                assert!((last - points[0][1]).abs() < 1e-9, "{patterns} {series}: scene {last}, point {}", points[0][1]);
            }
            let record = run(&spec, false, "test", &mut |_| true).unwrap();
            let refused = record.point_scene(plot, "hopfield (no-write control)", 0).unwrap_err();
            assert!(refused.contains("no-write"), "{refused}");
            // The other episode is another episode: its read of the first pattern is worse.
            let measured = record.series.iter().find(|s| s.plot == plot && s.name == "hopfield").unwrap().points[0][1];
            let other = record.series.iter().find(|s| s.plot == plot && s.name == "hopfield (other-episode control)").unwrap().points[0][1];
            assert!(other > measured + 0.05, "{patterns}: other episode {other}, measured {measured}");
        }
    }
}
