//! `kanerva import torch REF.pt --out NAME.ckpt`: a DKM trained by the PyTorch reference,
//! written as a normal checkpoint (docs/import.md).

use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// A checkpoint of the PyTorch reference's train.py (simple or resnet arch): each tensor is
    /// mapped to ours by name and shape; the card says where it came from.
    Torch {
        /// The reference's checkpoint (`torch.save({"model": state_dict, "args", "arch", "steps"})`).
        file: PathBuf,
        /// Where to write the checkpoint (its card beside it, NAME.ckpt.card.json).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run_command(command: ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Torch { file, out } => {
            let device = kanerva::backend::inference_device();
            let imported = kanerva::import::import_to_checkpoint(&file, &out, &device)?;
            let info = &imported.info;
            eprintln!(
                "wrote {}: the reference's {} DKM ({} steps, SHA-256 {}), {} tensors mapped",
                out.display(),
                if info.arch == kanerva::model::networks::Arch::Simple { "simple" } else { "resnet" },
                info.steps,
                &info.sha256[..16],
                kanerva::import::mapping(info.arch, 1, 1).len()
            );
            Ok(())
        }
    }
}
