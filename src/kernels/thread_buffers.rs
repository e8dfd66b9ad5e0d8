//! Large buffers written by the rayon threads from the start, not zeroed first on the calling
//! thread: a `vec![0.0; n]` of a layer's activations is megabytes of serial memset while the
//! other core waits (6% of a training step's CPU time before these). And per-thread scratch
//! that lives from one layer call to the next, so the kernels neither allocate nor zero theirs.

use std::cell::RefCell;
use std::mem::MaybeUninit;

use rayon::prelude::*;

/// Elements per rayon task: a task's overhead is noise at this size, and two threads still
/// share a 1.6 M-element activation evenly.
const PER_TASK: usize = 1 << 16;

/// A new buffer of `len` floats, its tasks of [`PER_TASK`] elements run on the threads:
/// `fill(start, part)` gets elements `start..start + part.len()`.
///
/// # Safety
/// `fill` must write every element of every `part` it is given: the buffer is returned as
/// initialised, and an element left unwritten would be read as uninitialised memory.
pub unsafe fn filled_by_threads(len: usize, fill: impl Fn(usize, &mut [MaybeUninit<f32>]) + Sync) -> Vec<f32> {
    // SAFETY: the caller's contract, passed on.
    unsafe { filled_in_parts(len, PER_TASK, fill) }
}

/// [`filled_by_threads`] in parts of `part_len` elements (the last may be shorter), one
/// rayon task each: for kernels that write whole images, a thread's share of them.
///
/// # Safety
/// As [`filled_by_threads`]: `fill` writes every element of every part.
pub unsafe fn filled_in_parts(len: usize, part_len: usize, fill: impl Fn(usize, &mut [MaybeUninit<f32>]) + Sync) -> Vec<f32> {
    let mut buf = Vec::<f32>::with_capacity(len);
    buf.spare_capacity_mut()[..len].par_chunks_mut(part_len.max(1)).enumerate().for_each(|(task, part)| fill(task * part_len, part));
    // SAFETY: the caller's contract: every element of each part, so all of the first `len`,
    // was written just above.
    unsafe { buf.set_len(len) };
    buf
}

/// `vec![0.0; len]`, zeroed by the threads.
pub fn zeroed_by_threads(len: usize) -> Vec<f32> {
    // SAFETY: the fill writes every element of its part.
    unsafe { filled_by_threads(len, |_, part| part.fill(MaybeUninit::new(0.0))) }
}

thread_local! {
    /// This thread's scratch floats; grown on demand, never shrunk.
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `N` scratch slices of the given lengths from this thread's reusable buffer.
/// Their contents are whatever an earlier call left: `f` must write before it reads.
pub fn with_scratch<const N: usize, R>(lens: [usize; N], f: impl FnOnce([&mut [f32]; N]) -> R) -> R {
    // Taken out, not borrowed: a nested call on this thread gets a buffer of its own.
    let mut buf = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    let total: usize = lens.iter().sum();
    if buf.len() < total {
        buf.resize(total, 0.0);
    }
    let mut rest = &mut buf[..];
    let parts = lens.map(|len| {
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(len);
        rest = tail;
        part
    });
    let out = f(parts);
    SCRATCH.with(|s| {
        let mut kept = s.borrow_mut();
        if kept.len() < buf.len() {
            *kept = buf;
        }
    });
    out
}

/// Floats a buffer needs beyond `len` for [`cache_aligned`] to find `len` of them starting on
/// a cache line.
pub const ALIGN_SLACK: usize = 15;

/// The `len` floats of `buf` that start on a 64-byte line (`buf` holds `len + ALIGN_SLACK`):
/// a vector load from a misaligned buffer splits across two lines, which made the parity
/// kernel's loads a quarter slower (docs/speed.md).
pub fn cache_aligned(buf: &mut [f32], len: usize) -> &mut [f32] {
    let skip = buf.as_ptr().align_offset(64).min(ALIGN_SLACK);
    &mut buf[skip..skip + len]
}

/// An owned buffer of floats starting on a 64-byte line (packed weights the kernels load as
/// whole vectors).
pub struct AlignedFloats {
    buf: Vec<f32>,
    len: usize,
}

impl AlignedFloats {
    pub fn zeroed(len: usize) -> Self {
        Self { buf: vec![0.0; len + ALIGN_SLACK], len }
    }

    pub fn as_slice(&self) -> &[f32] {
        let skip = self.buf.as_ptr().align_offset(64).min(ALIGN_SLACK);
        &self.buf[skip..skip + self.len]
    }

    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        cache_aligned(&mut self.buf, self.len)
    }
}
