//! `kanerva scene save ... --out FILE` records a read as a scene; `kanerva scene replay FILE`
//! recomputes it and says whether it matches (exit status 1 when it does not).

use kanerva::finite::ensure_finite;
use std::path::PathBuf;

use kanerva::catalog::memories::DEFAULT_BETA;
use kanerva::catalog::{MemoryName, MemorySpec};
use kanerva::data::Corruption;
use kanerva::memory::sdm::SdmConfig;
use kanerva::scene::{Scene, SceneImage, SceneRequest, record, replay};

use super::options::{JsonArg, ReadArgs};

#[derive(Debug, clap::Subcommand)]
pub enum SceneCommand {
    /// Run a read and save it, with everything that determines it, as a scene file.
    Save(SaveArgs),
    /// Recompute a scene's read and compare it with the recording (exit status 1 when the
    /// energies differ by more than 1e-6 relative, or the checkpoint is not the recorded one).
    Replay(ReplayArgs),
}

#[derive(Debug, clap::Args)]
pub struct SaveArgs {
    #[arg(long, help = MemoryName::help())]
    pub model: MemoryName,
    /// The checkpoint of a trained --model (`embedded:dkm_mnist.ckpt`: the built-in DKM).
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Inverse temperature of the modern Hopfield network (> 0).
    #[arg(long, default_value_t = DEFAULT_BETA)]
    pub beta: f64,
    /// Where the episode and the query come from: a data file, `embedded:NAME`, or
    /// `PATH#labels=A..B`.
    #[arg(long)]
    pub data: String,
    /// The episode: indices into --data, `I,J,K` or a range `A..B` (B excluded).
    #[arg(long)]
    pub episode: String,
    /// The query: an index into --data (it need not be in the episode).
    #[arg(long)]
    pub query: usize,
    /// The corruption of the query (salt-pepper:P, flip:P, occlude:N, erase:N, gauss:SIGMA);
    /// none when left out.
    #[arg(long)]
    pub noise: Option<Corruption>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// The scene file to write (JSON).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The scene file.
    pub scene: PathBuf,
    #[command(flatten)]
    pub output: JsonArg,
}

/// `I,J,K` or `A..B`.
fn parse_indices(text: &str) -> anyhow::Result<Vec<usize>> {
    let indices: Vec<usize> = match text.split_once("..") {
        Some((a, b)) => {
            let (a, b): (usize, usize) = (a.trim().parse()?, b.trim().parse()?);
            anyhow::ensure!(a < b, "--episode {text}: an empty range");
            (a..b).collect()
        }
        None => text.split(',').map(|i| i.trim().parse::<usize>()).collect::<Result<_, _>>()?,
    };
    anyhow::ensure!(!indices.is_empty() && indices.len() <= 1024, "--episode {text}: 1 to 1024 indices");
    Ok(indices)
}

pub fn run(command: SceneCommand) -> anyhow::Result<()> {
    match command {
        SceneCommand::Save(args) => {
            let locations = SdmConfig::default().locations;
            let memory = MemorySpec::from_name(args.model, args.checkpoint.as_deref(), args.beta, locations)?;
            let image = |index| SceneImage::Data { source: args.data.clone(), index };
            let indices = parse_indices(&args.episode).map_err(|e| anyhow::anyhow!("--episode {}: {e}", args.episode))?;
            let request = SceneRequest {
                memory,
                episode: indices.into_iter().map(image).collect(),
                query: image(args.query),
                corruption: args.noise,
                corruption_seed: args.read.seed,
                target: None,
                read: args.read.plan()?,
            };
            let scene = record(&request)?;
            ensure_finite(&scene.recorded, "the recorded read")?;
            scene.write(&args.out)?;
            let last = scene.recorded.last().expect("the query at least");
            let energy = last.energy.map_or("none".to_string(), |e| format!("{e:.2}"));
            eprintln!("saved {} ({} iterates; last energy {energy}, pixel error {:.4})", args.out.display(), scene.recorded.len(), last.pixel_error);
            Ok(())
        }
        SceneCommand::Replay(args) => {
            let scene = Scene::read(&args.scene)?;
            let report = replay(&scene, &args.scene)?;
            ensure_finite(&report, "the replayed read")?;
            if args.output.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{:>9} {:>14} {:>12}", "iteration", "energy", "pixel error");
                for s in &report.steps {
                    println!("{:>9} {:>14} {:>12.4}", s.iteration, s.energy.map_or("-".into(), |e| format!("{e:.6}")), s.pixel_error);
                }
                println!("{}", if report.matches { "matches the recording".to_string() } else { format!("does NOT match: {}", report.problems.join("; ")) });
            }
            if !report.matches {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

/// `kanerva lessons`: every lesson's name, title and number of steps.
pub fn list_lessons(json: bool) -> anyhow::Result<()> {
    let lessons = kanerva::scene::lesson::all_lessons(kanerva::scene::lesson::lessons_dir().as_deref())?;
    if json {
        let list: Vec<serde_json::Value> = lessons.iter().map(|l| serde_json::json!({"name": l.lesson.name, "title": l.lesson.title, "steps": l.lesson.steps.len()})).collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        for l in &lessons {
            println!("{:<20} {} ({} steps)", l.lesson.name, l.lesson.title, l.lesson.steps.len());
        }
        println!("open one with: kanerva gui --lesson NAME");
    }
    Ok(())
}
