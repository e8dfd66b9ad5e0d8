//! Command-line interface. Each subcommand lives in its own file.

mod bench;
mod bench_layers;
mod bench_models;
mod data_info;
mod denoise;
mod eval;
mod options;
use options::JsonArg;
mod experiment;
mod import;
mod scene;
mod sample;
mod sweep;
mod train;

use clap::{Parser, Subcommand};

/// Kanerva Explorer: generative attractor memories (Dynamic Kanerva Machine and relatives).
///
/// With no subcommand, opens the desktop explorer.
#[derive(Debug, Parser)]
#[command(name = "kanerva", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop explorer (the default).
    Gui {
        /// Start with a scripted demo: write a random episode, corrupt an item, play the read
        /// (then, for `basins`, a basin map; for `train`, a training run).
        #[cfg(feature = "gui")]
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "denoise")]
        demo: Option<kanerva::app::Demo>,
        /// Start with this checkpoint (of any model kind) as the memory.
        #[cfg(feature = "gui")]
        #[arg(long)]
        checkpoint: Option<std::path::PathBuf>,
        /// Start on this data (IMG1, IDX, pictures or a folder of pictures) instead of the
        /// embedded MNIST test set.
        #[cfg(feature = "gui")]
        #[arg(long)]
        data: Option<std::path::PathBuf>,
        /// Start with this addressing for reads of memories that hold an address (the DKM):
        /// amortised, guarded or optimised (see `kanerva denoise --help`).
        #[cfg(feature = "gui")]
        #[arg(long, value_parser = options::parse_addressing)]
        addressing: Option<kanerva::memory::Addressing>,
        /// Open this scene (from `kanerva scene save` or the explorer's Save scene): its
        /// memory, episode, query and read settings.
        #[cfg(feature = "gui")]
        #[arg(long)]
        scene: Option<std::path::PathBuf>,
        /// Play this guided lesson (a name from `kanerva lessons`, or a lesson file).
        #[cfg(feature = "gui")]
        #[arg(long)]
        lesson: Option<String>,
        /// The UI scale (1.5 for a projector; 0.5 to 3; the View menu and Ctrl+plus change it
        /// later). Default: the scale saved from the last session, else 1.
        #[cfg(feature = "gui")]
        #[arg(long, value_parser = options::parse_ui_scale)]
        scale: Option<f32>,
        /// Start full screen (F11 leaves it).
        #[cfg(feature = "gui")]
        #[arg(long)]
        full_screen: bool,
    },
    /// List the guided lessons (built in, and `assets/lessons/*.json`).
    Lessons(JsonArg),
    /// Train a model on episodes of images.
    Train(train::TrainArgs),
    /// Test -ELBO per image of a checkpoint on held-out episodes.
    Eval(eval::EvalArgs),
    /// Iterative-reading denoising: corrupt stored items, read, report per iteration.
    Denoise(denoise::DenoiseArgs),
    /// Sample images from memory into a PNG grid.
    Sample(sample::SampleArgs),
    /// Recall error against the number of stored patterns (capacity), for any memory.
    Sweep(sweep::SweepArgs),
    /// Time the hot paths (training step, reading step, episode write).
    Bench(bench::BenchArgs),
    /// The papers' experiments, built in: list them, run one (JSON record, CSV, PNG plots).
    Experiment {
        #[command(subcommand)]
        command: experiment::ExperimentCommand,
    },
    /// Weights from elsewhere: a DKM trained by the PyTorch reference, as a checkpoint.
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// Scenes: save a read with everything that determines it; replay one and compare.
    Scene {
        #[command(subcommand)]
        command: scene::SceneCommand,
    },
    /// Inspect image data sets.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Print count, shape, label count and mean pixel of each data set.
    Info(data_info::InfoArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Gui {
        #[cfg(feature = "gui")]
        demo: None,
        #[cfg(feature = "gui")]
        checkpoint: None,
        #[cfg(feature = "gui")]
        data: None,
        #[cfg(feature = "gui")]
        addressing: None,
        #[cfg(feature = "gui")]
        scene: None,
        #[cfg(feature = "gui")]
        lesson: None,
        #[cfg(feature = "gui")]
        scale: None,
        #[cfg(feature = "gui")]
        full_screen: false,
    }) {
        #[cfg(feature = "gui")]
        Command::Gui { demo, checkpoint, data, addressing, scene, lesson, scale, full_screen } => {
            let lesson = lesson.map(|l| kanerva::scene::lesson::find_lesson(&l, kanerva::scene::lesson::lessons_dir().as_deref())).transpose()?;
            // A lesson that would stop half-way for weights this binary lacks says so now.
            if let Some(found) = &lesson {
                let missing = kanerva::scene::lesson::missing_weights(found);
                anyhow::ensure!(
                    missing.is_empty(),
                    "lesson {:?} needs weights that are not here: {} (put the shipped assets/ beside the binary)",
                    found.lesson.name,
                    missing.iter().map(|(step, file)| format!("{file} at step {step}")).collect::<Vec<_>>().join(", ")
                );
            }
            // Paths that cannot be used are refused here, before a window opens on other data
            // or another memory without a word.
            if let Some(path) = &checkpoint {
                kanerva::catalog::load_checkpoint(path, &kanerva::backend::inference_device())?;
            }
            if let Some(path) = &data {
                anyhow::ensure!(path.exists(), "--data {}: no such file or folder", path.display());
            }
            if let Some(path) = &scene {
                kanerva::scene::Scene::read(path)?;
            }
            run_gui(kanerva::app::StartOptions { demo, checkpoint, data, addressing, scene, lesson, scale, full_screen })
        }
        #[cfg(not(feature = "gui"))]
        Command::Gui {} => run_gui(),
        Command::Data { command: DataCommand::Info(args) } => data_info::run(args),
        Command::Train(args) => train::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Denoise(args) => denoise::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Scene { command } => scene::run(command),
        Command::Experiment { command } => experiment::run_command(command),
        Command::Import { command } => import::run_command(command),
        Command::Lessons(output) => scene::list_lessons(output.json),
    }
}

#[cfg(feature = "gui")]
fn run_gui(start: kanerva::app::StartOptions) -> anyhow::Result<()> {
    kanerva::app::run_native(start).map_err(|e| anyhow::anyhow!("the explorer window failed: {e}"))
}

#[cfg(not(feature = "gui"))]
fn run_gui() -> anyhow::Result<()> {
    anyhow::bail!("this build has no GUI (built without the `gui` feature); see `kanerva --help`")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every option and positional argument of every subcommand has help text.
    #[test]
    fn every_option_has_help_text() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                if arg.get_id() != "help" && arg.get_id() != "version" && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} --{}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "kanerva", &mut missing);
        assert!(missing.is_empty(), "options without help text: {missing:?}");
    }
}
