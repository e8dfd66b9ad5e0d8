//! `kanerva experiment list` and `kanerva experiment run NAME`: the papers' experiments,
//! headless, each leaving a JSON record, a CSV and PNG plots.

use std::io::Write;
use std::path::PathBuf;

use kanerva::experiment::{Progress, find, run};

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
            let bytes = kanerva::data::read_bounded(&record, 64 << 20).map_err(|e| match e {
                kanerva::data::BoundedReadError::Io(e) => anyhow::anyhow!("{}: {e}", record.display()),
                kanerva::data::BoundedReadError::TooLarge => anyhow::anyhow!("{}: over 64 MB, not an experiment record", record.display()),
            })?;
            let record: kanerva::experiment::ExperimentRecord = serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{}: not an experiment record: {e}", record.display()))?;
            print!("{}", record.markdown());
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
