//! `kanerva experiment list` and `kanerva experiment run NAME`: the papers' experiments,
//! headless, each leaving a JSON record, a CSV and PNG plots; `table` and `scene` read a
//! record back (its tables; one point as a scene).

use std::io::Write;
use std::path::PathBuf;

use kanerva::experiment::{ExperimentRecord, Progress, find, run};

#[derive(Debug, clap::Subcommand)]
pub enum ExperimentCommand {
    /// List the built-in experiments (name, title, paper).
    List {
        /// Print one JSON array on stdout instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run an experiment and write NAME.json, NAME.csv and NAME-PLOT.png into --out.
    Run(RunArgs),
    /// Print a record's tables as Markdown (what docs/experiments.md quotes).
    Table {
        /// A record written by `kanerva experiment run` (NAME.json).
        record: PathBuf,
    },
    /// Save one point of a record as a scene: the first episode, query and read behind it
    /// (`kanerva scene replay` and the explorer open it).
    Scene(SceneArgs),
}

#[derive(Debug, clap::Args)]
pub struct SceneArgs {
    /// A record written by `kanerva experiment run` (NAME.json).
    pub record: PathBuf,
    /// The plot's id (the PNG's name after the experiment's: `NAME-PLOT.png`).
    #[arg(long)]
    pub plot: String,
    /// The series' name, as in the plot's key.
    #[arg(long)]
    pub series: String,
    /// The point's index along the series, from 0.
    #[arg(long, default_value_t = 0)]
    pub point: usize,
    /// Where to write the scene (.json).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The experiment (see `kanerva experiment list`).
    pub name: String,
    /// The reduced protocol: about a minute on two cores (tests, classrooms); docs/ quote the
    /// full one.
    #[arg(long)]
    pub quick: bool,
    /// Print the record as JSON on stdout (progress still goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Folder for the record, the CSV and the plots (created if missing).
    #[arg(long, default_value = "experiments")]
    pub out: PathBuf,
}

/// A record written by `kanerva experiment run`.
fn read_record(path: &std::path::Path) -> anyhow::Result<ExperimentRecord> {
    let bytes = kanerva::data::read_bounded(path, 64 << 20).map_err(|e| match e {
        kanerva::data::BoundedReadError::Io(e) => anyhow::anyhow!("{}: {e}", path.display()),
        kanerva::data::BoundedReadError::TooLarge => anyhow::anyhow!("{}: over 64 MB, not an experiment record", path.display()),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{}: not an experiment record: {e}", path.display()))
}

pub fn run_command(command: ExperimentCommand) -> anyhow::Result<()> {
    match command {
        ExperimentCommand::List { json } => {
            let all = kanerva::experiment::built_in();
            if json {
                let list: Vec<serde_json::Value> = all
                    .iter()
                    .map(|e| serde_json::json!({"name": e.name, "title": e.title, "paper": e.paper, "claim": e.claim, "protocol_paper": e.protocol_paper, "protocol_ours": e.protocol_ours}))
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for e in &all {
                    println!("{:<24} {}", e.name, e.title);
                }
                println!("run one with: kanerva experiment run NAME [--quick]");
            }
            Ok(())
        }
        ExperimentCommand::Table { record } => {
            print!("{}", read_record(&record)?.markdown());
            Ok(())
        }
        ExperimentCommand::Scene(args) => {
            let record = read_record(&args.record)?;
            let request = record.point_scene(&args.plot, &args.series, args.point).map_err(|e| anyhow::anyhow!("{}: {e}", args.record.display()))?;
            let scene = kanerva::scene::record(&request)?;
            scene.write(&args.out)?;
            let last = scene.recorded.last().map_or(f64::NAN, |s| s.pixel_error);
            eprintln!("wrote {} ({} iterates; pixel error {:.4} at the end)", args.out.display(), scene.recorded.len(), last);
            Ok(())
        }
        ExperimentCommand::Run(args) => {
            let spec = find(&args.name).map_err(anyhow::Error::msg)?;
            let command = format!("kanerva experiment run {}{} --out {}", spec.name, if args.quick { " --quick" } else { "" }, args.out.display());
            // Ctrl-C stops the run; nothing is written until it is done (atomically).
            let mut report = |p: &Progress| {
                eprint!("\r{}/{} points  {} · {}          ", p.done, p.total, p.plot.id, p.series);
                let _ = std::io::stderr().flush();
                true
            };
            let record = run(&spec, args.quick, &command, &mut report).map_err(anyhow::Error::msg)?;
            eprintln!();
            let written = record.write(&args.out).map_err(anyhow::Error::msg)?;
            eprintln!("wrote {}, {} and {} plots in {:.1} s", written.json.display(), written.csv.display(), written.pngs.len(), record.seconds);
            if args.json {
                println!("{}", serde_json::to_string(&record)?);
            }
            Ok(())
        }
    }
}
