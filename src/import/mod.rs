//! Weights from elsewhere: a DKM trained by the PyTorch reference, read without Python and
//! written as a normal checkpoint (`kanerva import torch`).

pub mod torch_dkm;

pub use torch_dkm::{ImportError, Imported, import_to_checkpoint, import_torch_dkm, mapping};
