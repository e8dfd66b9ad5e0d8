//! Guided lessons are data: a JSON file of steps, each a short text and what to do when the
//! step opens (open a scene, pick a memory, fill and write an episode, make a query, play,
//! open a panel, run a sweep or a basin map). Teachers write their own without code and put
//! them in `assets/lessons/` (or open one by path); four are built in.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::memories::DEFAULT_BETA;
use crate::catalog::{MemoryName, MemorySpec};
use crate::data::Corruption;
use crate::eval::MAX_SWEEP_POINTS;
use crate::memory::Addressing;
use crate::memory::limits::{MAX_EPISODE, MAX_EXPLORER_EPISODE, check_count};
use crate::memory::sdm::SdmConfig;

use super::format::{Scene, SceneError};
pub use super::lesson_check::{CheckOutcome, LessonCheck};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lesson {
    /// Short name (`kanerva gui --lesson NAME`).
    pub name: String,
    pub title: String,
    pub steps: Vec<LessonStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LessonStep {
    /// What the person reads (a few sentences).
    pub text: String,
    /// Done, in order, when the step opens.
    #[serde(default)]
    pub actions: Vec<LessonAction>,
    /// What must hold on screen once the actions are done (what the text claims).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<LessonCheck>,
}

/// What a lesson step can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonAction {
    /// Open a scene: a built-in one by name (`dkm-denoise`), or a file beside the lesson.
    Scene(String),
    /// Pick a classical memory by name (`hopfield`, `hopfield-pinv`, `modern-hopfield`, `sdm`).
    Memory(String),
    /// Fill the episode: `random` (items of the data shown) or `patterns` (random images), of
    /// this many items.
    Fill { with: String, count: usize },
    /// Write the episode into memory.
    Write,
    /// Make stored item `stored` the query, corrupted by `noise` (`flip:0.1`, ...).
    Query { stored: usize, noise: Option<String> },
    /// The read's addressing (`amortised`, `guarded`, `optimised`).
    Addressing(String),
    /// Play the read.
    Play,
    /// Open a panel: `basins`, `sweeps` or `train`.
    Open(String),
    /// A basin map between stored items a and b.
    BasinMap { a: usize, b: usize },
    /// A capacity sweep of the current memory at these stored counts, on `random` patterns
    /// or the loaded `data`, with this corruption; `control`: `no-write` or `other-episode`
    /// (the controls of a recall figure), none by default.
    Sweep {
        stored: Vec<usize>,
        patterns: String,
        noise: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        control: Option<String>,
    },
    /// The energy landscape through these two or three stored items, with the read on it.
    Landscape { items: Vec<usize> },
    /// Read a second memory side by side: the first of these names that is available (a
    /// trained kind's shipped MNIST weights, or a classical memory).
    Compare(Vec<String>),
    /// Start a training run with the train panel's settings (saved in the temporary folder).
    Train,
    /// Run one of the papers' experiments (`kanerva experiment list`), quick or full, in the
    /// Experiments section.
    Experiment {
        name: String,
        #[serde(default)]
        quick: bool,
    },
    /// Wait until the read has played out and every job (sweep, basin map, landscape) is done.
    Wait,
}

/// The scenes the built-in lessons open, by name.
pub const BUILT_IN_SCENES: [(&str, &str); 4] = [
    ("dkm-denoise", include_str!("../../assets/scenes/dkm-denoise.json")),
    ("dkm-optimised", include_str!("../../assets/scenes/dkm-optimised.json")),
    ("km-denoise", include_str!("../../assets/scenes/km-denoise.json")),
    ("hopfield-mixture", include_str!("../../assets/scenes/hopfield-mixture.json")),
];

const BUILT_IN_LESSONS: [&str; 10] = [
    include_str!("../../assets/lessons/hopfield-capacity.json"),
    include_str!("../../assets/lessons/dkm-denoising.json"),
    include_str!("../../assets/lessons/basins.json"),
    include_str!("../../assets/lessons/experiments.json"),
    // The scripted demos of `kanerva gui --demo NAME`: one step each, played without the
    // lesson window.
    include_str!("../../assets/lessons/demo-denoise.json"),
    include_str!("../../assets/lessons/demo-basins.json"),
    include_str!("../../assets/lessons/demo-train.json"),
    include_str!("../../assets/lessons/demo-compare.json"),
    include_str!("../../assets/lessons/demo-landscape.json"),
    include_str!("../../assets/lessons/demo-sweeps.json"),
];

/// A lesson and the folder its files are relative to (None: built in).
#[derive(Debug, Clone, PartialEq)]
pub struct FoundLesson {
    pub lesson: Lesson,
    pub dir: Option<PathBuf>,
}

impl Lesson {
    /// Parses and checks a lesson (at least one step, every scene and value readable).
    pub fn parse(text: &str, origin: &str) -> Result<Lesson, SceneError> {
        let lesson: Lesson = serde_json::from_str(text).map_err(|e| SceneError::Malformed { path: origin.into(), problem: format!("lesson: {e}") })?;
        if lesson.steps.is_empty() || lesson.name.trim().is_empty() {
            return Err(SceneError::Malformed { path: origin.into(), problem: "a lesson needs a name and at least one step".into() });
        }
        lesson.check().map_err(|problem| SceneError::Malformed { path: origin.into(), problem })?;
        Ok(lesson)
    }

    /// Every step's actions checked before the lesson starts: names that exist, corruptions
    /// that parse, counts and item numbers within the limits of [`crate::memory::limits`].
    fn check(&self) -> Result<(), String> {
        check_count("steps", self.steps.len(), MAX_STEPS).map_err(|e| e.to_string())?;
        for (n, step) in self.steps.iter().enumerate() {
            // A step's actions all run when a person presses Next: a long list is hours of work.
            if step.actions.len() > MAX_ACTIONS_PER_STEP {
                return Err(format!("step {}: actions: {} (at most {MAX_ACTIONS_PER_STEP})", n + 1, step.actions.len()));
            }
            for action in &step.actions {
                action.check().map_err(|e| format!("step {}: {e}", n + 1))?;
            }
            for check in &step.checks {
                check.check().map_err(|e| format!("step {}: checks: {e}", n + 1))?;
            }
        }
        Ok(())
    }
}

/// Most steps of a lesson.
const MAX_STEPS: usize = 200;
/// Most actions of one step (the built-in lessons use at most 5).
const MAX_ACTIONS_PER_STEP: usize = 16;

impl LessonAction {
    fn check(&self) -> Result<(), String> {
        let item = |field: &'static str, i: usize| if i < MAX_EPISODE { Ok(()) } else { Err(format!("{field}: item {i} (an episode holds at most {MAX_EPISODE})")) };
        let noise = |text: &str| text.parse::<Corruption>().map(drop).map_err(|e| format!("noise: {e}"));
        match self {
            LessonAction::Scene(name) => {
                if name.trim().is_empty() {
                    return Err("scene: no name".into());
                }
            }
            LessonAction::Memory(name) => {
                let name: MemoryName = name.parse()?;
                MemorySpec::from_name(name, None, DEFAULT_BETA, SdmConfig::default().locations).map_err(|e| format!("memory: {e} (a lesson picks a trained memory with a scene)"))?;
            }
            LessonAction::Fill { with, count } => {
                if !matches!(with.as_str(), "random" | "patterns") {
                    return Err(format!("fill with {with:?} (random or patterns)"));
                }
                check_count("fill count", *count, MAX_EXPLORER_EPISODE).map_err(|e| e.to_string())?;
            }
            LessonAction::Write | LessonAction::Play | LessonAction::Train | LessonAction::Wait => {}
            LessonAction::Experiment { name, .. } if name.trim().is_empty() => return Err("experiment: no name".into()),
            LessonAction::Experiment { .. } => {}
            LessonAction::Compare(names) => {
                if names.is_empty() {
                    return Err("compare: no memory named".into());
                }
                for name in names {
                    name.parse::<MemoryName>()?;
                }
            }
            LessonAction::Query { stored, noise: corruption } => {
                item("query", *stored)?;
                corruption.as_deref().map(noise).transpose()?;
            }
            LessonAction::Addressing(name) => drop(name.parse::<Addressing>()?),
            LessonAction::Open(panel) => {
                if !LESSON_PANELS.contains(&panel.as_str()) {
                    return Err(format!("no panel {panel:?} ({})", LESSON_PANELS.join(", ")));
                }
            }
            LessonAction::BasinMap { a, b } => {
                item("basin map", *a.max(b))?;
                if a == b {
                    return Err(format!("a basin map between item {a} and itself"));
                }
            }
            LessonAction::Sweep { stored, patterns, noise: corruption, control } => {
                if let Some(control) = control {
                    control.parse::<crate::eval::SweepControl>()?;
                }
                check_count("sweep points", stored.len(), MAX_SWEEP_POINTS).map_err(|e| e.to_string())?;
                for &n in stored {
                    check_count("sweep stored", n, MAX_EPISODE).map_err(|e| e.to_string())?;
                }
                if !matches!(patterns.as_str(), "random" | "data") {
                    return Err(format!("sweep patterns {patterns:?} (random or data)"));
                }
                noise(corruption)?;
            }
            LessonAction::Landscape { items } => {
                if !(2..=3).contains(&items.len()) {
                    return Err(format!("a landscape through {} items (2 or 3)", items.len()));
                }
                for &i in items {
                    item("landscape", i)?;
                }
            }
        }
        Ok(())
    }
}

/// The panels a lesson can open.
pub const LESSON_PANELS: [&str; 4] = ["basins", "sweeps", "train", "experiments"];

/// Every lesson: the built-in ones, then `*.json` in `dir` (the assets folder's `lessons/`),
/// a file's lesson replacing a built-in one of the same name.
pub fn all_lessons(dir: Option<&Path>) -> Result<Vec<FoundLesson>, SceneError> {
    let mut lessons: Vec<FoundLesson> = BUILT_IN_LESSONS
        .iter()
        .map(|text| Lesson::parse(text, "built-in lesson").map(|lesson| FoundLesson { lesson, dir: None }))
        .collect::<Result<_, _>>()?;
    if let Some(dir) = dir {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir).into_iter().flatten().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
        files.sort();
        for path in files {
            let found = read_lesson(&path)?;
            lessons.retain(|l| l.lesson.name != found.lesson.name);
            lessons.push(found);
        }
    }
    Ok(lessons)
}

/// The folder of lesson files beside the shipped weights (`assets/lessons`), if there is one.
pub fn lessons_dir() -> Option<PathBuf> {
    crate::catalog::assets_dir().map(|d| d.join("lessons")).filter(|d| d.is_dir())
}

/// A lesson file.
pub fn read_lesson(path: &Path) -> Result<FoundLesson, SceneError> {
    let bytes = super::format::read_small_file(path, 1 << 20)?;
    let text = String::from_utf8(bytes).map_err(|_| SceneError::Malformed { path: path.to_path_buf(), problem: "not UTF-8 text".into() })?;
    let lesson = Lesson::parse(&text, &path.display().to_string())?;
    Ok(FoundLesson { lesson, dir: path.parent().map(Path::to_path_buf) })
}

/// The lesson `name_or_path`: a lesson's name, or a lesson file.
pub fn find_lesson(name_or_path: &str, dir: Option<&Path>) -> Result<FoundLesson, SceneError> {
    let path = Path::new(name_or_path);
    if path.is_file() {
        return read_lesson(path);
    }
    let lessons = all_lessons(dir)?;
    let names: Vec<String> = lessons.iter().map(|l| l.lesson.name.clone()).collect();
    lessons.into_iter().find(|l| l.lesson.name == name_or_path).ok_or_else(|| SceneError::Invalid(format!("no lesson {name_or_path:?} (there are {})", names.join(", "))))
}

/// The checkpoints a lesson's scenes need that cannot be found here (a binary copied without
/// its weights), each with the step (from 1) that opens it: the lesson says so before it starts.
pub fn missing_weights(found: &FoundLesson) -> Vec<(usize, String)> {
    let mut missing = Vec::new();
    for (n, step) in found.lesson.steps.iter().enumerate() {
        for action in &step.actions {
            let LessonAction::Scene(name) = action else { continue };
            let Ok((scene, path)) = lesson_scene(name, found.dir.as_deref()) else { continue };
            if let super::format::SceneMemory::Trained { checkpoint, .. } = &scene.memory
                && super::play::locate_checkpoint(checkpoint, path.parent().unwrap_or(Path::new("."))).is_err()
            {
                let file = checkpoint.file_name().map_or_else(|| checkpoint.display().to_string(), |f| f.to_string_lossy().into_owned());
                missing.push((n + 1, file));
            }
        }
    }
    missing
}

/// The scene a lesson step names: built in by name, else a file in the lesson's folder.
pub fn lesson_scene(name: &str, lesson_dir: Option<&Path>) -> Result<(Scene, PathBuf), SceneError> {
    if let Some((_, text)) = BUILT_IN_SCENES.iter().find(|(n, _)| *n == name) {
        let scene: Scene = serde_json::from_str(text).map_err(|e| SceneError::Malformed { path: name.into(), problem: e.to_string() })?;
        return Ok((scene, PathBuf::from(format!("{name} (built-in scene)"))));
    }
    let path = lesson_dir.map_or_else(|| PathBuf::from(name), |d| d.join(name));
    Ok((Scene::read(&path)?, path))
}

#[cfg(test)]
mod weights_tests {
    use super::{FoundLesson, Lesson, missing_weights};

    #[test]
    fn a_lesson_whose_scene_needs_absent_weights_says_which_and_where() {
        let dir = tempfile::tempdir().unwrap();
        let shipped = include_str!("../../assets/scenes/km-denoise.json");
        let mut scene: serde_json::Value = serde_json::from_str(shipped).unwrap();
        scene["memory"]["trained"]["checkpoint"] = "nowhere/absent_weights.ckpt".into();
        std::fs::write(dir.path().join("absent.json"), scene.to_string()).unwrap();
        let text = r#"{"name": "t", "title": "T", "steps": [
            {"text": "a built-in scene", "actions": [{"scene": "dkm-denoise"}]},
            {"text": "a scene whose weights are absent", "actions": [{"scene": "absent.json"}]}]}"#;
        let found = FoundLesson { lesson: Lesson::parse(text, "t").unwrap(), dir: Some(dir.path().to_path_buf()) };
        assert_eq!(missing_weights(&found), vec![(2, "absent_weights.ckpt".to_string())]);
    }
}
