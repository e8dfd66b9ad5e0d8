//! `kanerva data info [FILE...]`

use kanerva::data::{Embedded, load_named};

#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// IMG1 / MNIST IDX files (plain or .gz), pictures, folders of pictures, or
    /// `embedded:mnist-train` / `embedded:mnist-test`. Default: the embedded data.
    pub files: Vec<String>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: InfoArgs) -> anyhow::Result<()> {
    let files = if args.files.is_empty() {
        Embedded::ALL.iter().map(|e| e.name().to_string()).collect()
    } else {
        args.files
    };
    if !args.json {
        println!("{:<48} {:>7} {:>9} {:>7} {:>10} {:>7}", "data", "count", "shape", "labels", "mean pixel", "binary");
    }
    for name in files {
        let set = load_named(&name)?;
        if args.json {
            let info = serde_json::json!({
                "data": name,
                "count": set.len(),
                "rows": set.rows,
                "cols": set.cols,
                "label_count": set.label_count(),
                "mean_pixel": set.mean_pixel(),
                "binary": set.is_binary(),
            });
            println!("{info}");
        } else {
            println!(
                "{:<48} {:>7} {:>9} {:>7} {:>10.6} {:>7}",
                name,
                set.len(),
                format!("{}x{}", set.rows, set.cols),
                set.label_count(),
                set.mean_pixel(),
                set.is_binary()
            );
        }
    }
    Ok(())
}
