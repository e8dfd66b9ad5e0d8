//! Reading a whole data file into memory, transparently gunzipping, with a size cap so a
//! gzip bomb or a bogus file can never make us allocate without bound.

use std::io::Read;
use std::path::Path;

use super::error::{DataError, Result};

/// Largest (decompressed) data file we accept: 2 GiB, 40x the MNIST training set.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Largest picture file read: 64 MiB (pictures are at most 4096 x 4096 pixels).
pub const MAX_PICTURE_BYTES: u64 = 64 << 20;
/// Largest gzip file read: 1 GiB of compressed bytes.
const MAX_COMPRESSED_BYTES: u64 = 1 << 30;
/// Enough of a file to read any header we know (IMG1: 32 bytes; IDX: at most 16).
const PREFIX_BYTES: usize = 64;

/// The length a data header at the start of `prefix` declares for the whole file (IMG1 or
/// IDX), or None for other content.
fn declared_len(prefix: &[u8]) -> Option<(u128, String)> {
    super::img1::declared_len(prefix).or_else(|| super::idx::declared_len(prefix))
}

/// The file's bytes, decompressed when they start with the gzip magic. Nothing is read past
/// what the file's own header declares (IMG1, IDX) or a fixed maximum for pictures; other
/// content is refused after its first bytes; and a
/// size that disagrees with the header is refused before the data is read: a bogus header, a
/// sparse file, an endless stream or a gzip bomb ends in an error without allocating for it.
pub fn read_file_bytes(path: &Path) -> Result<Vec<u8>> {
    let file = open_regular_file(path).map_err(|e| DataError::io(path, e))?;
    let size = file.metadata().map_err(|e| DataError::io(path, e))?.len();
    let mut reader = std::io::BufReader::new(file);
    let prefix = read_up_to(&mut reader, PREFIX_BYTES).map_err(|e| DataError::io(path, e))?;
    if prefix.starts_with(&GZIP_MAGIC) {
        if size > MAX_COMPRESSED_BYTES {
            return Err(DataError::malformed(path, format!("gzip file is larger than {MAX_COMPRESSED_BYTES} bytes")));
        }
        let raw = read_rest(&mut reader, prefix, MAX_COMPRESSED_BYTES).map_err(|e| DataError::io(path, e))?;
        if raw.len() as u64 > MAX_COMPRESSED_BYTES {
            return Err(DataError::malformed(path, format!("gzip file is larger than {MAX_COMPRESSED_BYTES} bytes")));
        }
        return decompress_if_gzip(path, raw);
    }
    let limit = match declared_len(&prefix) {
        Some((declared, what)) => {
            let declared = checked_limit(path, declared)?;
            // A regular file's size is known: disagreeing with the header is an error now.
            if size > 0 && size != declared {
                return Err(DataError::malformed(path, format!("header says {what} = {declared} bytes, but the file has {size} bytes{}", if size < declared { " (truncated?)" } else { "" })));
            }
            declared
        }
        // The whole file fit in the prefix: small, whatever it is; its parser names the problem.
        None if prefix.len() < PREFIX_BYTES => return Ok(prefix),
        None if super::picture::looks_like_picture(&prefix) => MAX_PICTURE_BYTES,
        None => return Err(not_a_data_file(path)),
    };
    let bytes = read_rest(&mut reader, prefix, limit).map_err(|e| DataError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(DataError::malformed(path, format!("more than {limit} bytes, {}", if limit == MAX_PICTURE_BYTES { "larger than any picture read here" } else { "more than its header declares" })));
    }
    Ok(bytes)
}

/// The error for content that is no format we read.
pub(crate) fn not_a_data_file(path: &Path) -> DataError {
    DataError::Unsupported { path: path.to_path_buf(), problem: "not an IMG1, MNIST IDX, PNG, JPEG or GIF file (gzip is fine)".into() }
}

/// A declared length as a read limit, refused over [`MAX_FILE_BYTES`].
fn checked_limit(path: &Path, declared: u128) -> Result<u64> {
    u64::try_from(declared)
        .ok()
        .filter(|&d| d <= MAX_FILE_BYTES)
        .ok_or_else(|| DataError::malformed(path, format!("the header declares {declared} bytes, more than the {MAX_FILE_BYTES} read here")))
}

/// At most `n` bytes from `reader` (fewer only at its end).
fn read_up_to(reader: &mut impl Read, n: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    reader.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
}

/// `start` followed by the rest of `reader`, read up to one byte past `limit` in all (so the
/// caller can tell "more than `limit`").
fn read_rest(reader: &mut impl Read, mut start: Vec<u8>, limit: u64) -> std::io::Result<Vec<u8>> {
    let remaining = (limit + 1).saturating_sub(start.len() as u64);
    reader.take(remaining).read_to_end(&mut start)?;
    Ok(start)
}

/// Opens `path` for reading if it is a regular file (after symbolic links). A device, a pipe
/// or a socket is refused before it is opened: opening a pipe, or reading a terminal, waits
/// for a writer that may never come (a file someone sent can name `/dev/stdin`).
pub fn open_regular_file(path: &Path) -> std::io::Result<std::fs::File> {
    let kind = std::fs::metadata(path)?.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() { "a folder" } else { "a device, pipe or socket" };
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("is {what}, not a file")));
    }
    std::fs::File::open(path)
}

/// Why [`read_bounded`] failed.
#[derive(Debug)]
pub enum BoundedReadError {
    Io(std::io::Error),
    TooLarge,
}

/// Reads at most `max` bytes of a regular file, refusing a larger one before reading it (by
/// its size) or as soon as it passes `max` (a file that grows while it is read).
pub fn read_bounded(path: &Path, max: u64) -> std::result::Result<Vec<u8>, BoundedReadError> {
    let file = open_regular_file(path).map_err(BoundedReadError::Io)?;
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

/// `raw`, gunzipped when it starts with the gzip magic (every member of a multi-member stream,
/// as the format says). Decompresses no further than the header inside declares (IMG1, IDX);
/// content with neither header is refused after its first bytes.
pub(crate) fn decompress_if_gzip(path: &Path, raw: Vec<u8>) -> Result<Vec<u8>> {
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let damaged = |e: std::io::Error| DataError::malformed(path, format!("gzip stream is damaged: {e}"));
    let mut decoder = flate2::read::MultiGzDecoder::new(raw.as_slice());
    let prefix = read_up_to(&mut decoder, PREFIX_BYTES).map_err(damaged)?;
    let (declared, _) = declared_len(&prefix).ok_or_else(|| DataError::malformed(path, "the gzip stream holds neither an IMG1 nor an IDX file"))?;
    let limit = checked_limit(path, declared)?;
    let out = read_rest(&mut decoder, prefix, limit).map_err(damaged)?;
    if out.len() as u64 > limit {
        return Err(DataError::malformed(path, format!("decompresses to more than the {limit} bytes its header declares")));
    }
    Ok(out)
}
