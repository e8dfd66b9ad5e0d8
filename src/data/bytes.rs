//! Reading a whole data file into memory, transparently gunzipping, with a size cap so a
//! gzip bomb or a bogus file can never make us allocate without bound.

use std::io::Read;
use std::path::Path;

use super::error::{DataError, Result};

/// Largest (decompressed) data file we accept: 2 GiB, 40x the MNIST training set.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The file's bytes, decompressed when they start with the gzip magic.
pub fn read_file_bytes(path: &Path) -> Result<Vec<u8>> {
    decompress_if_gzip(path, read_bounded(path, MAX_FILE_BYTES).map_err(|e| match e {
        BoundedReadError::Io(e) => DataError::io(path, e),
        BoundedReadError::TooLarge => DataError::malformed(path, format!("file is larger than {MAX_FILE_BYTES} bytes")),
    })?)
}

/// Why [`read_bounded`] failed.
#[derive(Debug)]
pub enum BoundedReadError {
    Io(std::io::Error),
    TooLarge,
}

/// Reads at most `max` bytes of a file, refusing a larger one before reading it (by its size)
/// or as soon as it passes `max` (streams and devices report no size: `/dev/zero` would
/// otherwise read until memory runs out).
pub fn read_bounded(path: &Path, max: u64) -> std::result::Result<Vec<u8>, BoundedReadError> {
    let file = std::fs::File::open(path).map_err(BoundedReadError::Io)?;
    let size = file.metadata().map_err(BoundedReadError::Io)?.len();
    if size > max {
        return Err(BoundedReadError::TooLarge);
    }
    let mut out = Vec::with_capacity(size as usize);
    file.take(max + 1).read_to_end(&mut out).map_err(BoundedReadError::Io)?;
    if out.len() as u64 > max {
        return Err(BoundedReadError::TooLarge);
    }
    Ok(out)
}

pub(crate) fn decompress_if_gzip(path: &Path, raw: Vec<u8>) -> Result<Vec<u8>> {
    if raw.len() as u64 > MAX_FILE_BYTES {
        return Err(DataError::malformed(path, format!("file is larger than {MAX_FILE_BYTES} bytes")));
    }
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    // Every member of a multi-member stream (`cat a.gz b.gz`, pigz), as the gzip format says.
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| DataError::malformed(path, format!("gzip stream is damaged: {e}")))?;
    if out.len() as u64 > MAX_FILE_BYTES {
        return Err(DataError::malformed(
            path,
            format!("decompresses to more than {MAX_FILE_BYTES} bytes"),
        ));
    }
    Ok(out)
}
