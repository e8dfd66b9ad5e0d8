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
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    decompress_if_gzip(path, raw)
}

pub(crate) fn decompress_if_gzip(path: &Path, raw: Vec<u8>) -> Result<Vec<u8>> {
    if raw.len() as u64 > MAX_FILE_BYTES {
        return Err(DataError::malformed(path, format!("file is larger than {MAX_FILE_BYTES} bytes")));
    }
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw.as_slice())
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
