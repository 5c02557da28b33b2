//! Gzip inflated whole, with libdeflate.
//!
//! A CloudTrail object is small and whole (a few MiB inflated), so it is inflated in one call into
//! a buffer sized from the gzip trailer, which libdeflate does about twice as fast as a streaming
//! inflater (README, Performance). libdeflate never writes past the buffer it is given: an object
//! that would outgrow the limit fails with [`InflateError::TooLarge`] having written at most the
//! limit, which is what stops a gzip bomb. Every member of a multi-member file (`cat a.gz b.gz`)
//! is inflated, one after another; the CRC-32 and size of each are checked.

use std::ptr::NonNull;

use libdeflate_sys as sys;

/// The two bytes every gzip member starts with.
pub const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// What is wrong with gzip data that does not inflate (all libdeflate tells).
pub const CORRUPT: &str = "a bad header, block, checksum or size, or the data ends early";

/// Whether `bytes` start like gzip data.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// The size the gzip trailer of the last member states (mod 2^32): a lower bound on what `gz`
/// inflates to when it is whole, so a caller with a streaming reader can skip inflating whole an
/// object that cannot fit. Corrupt data states anything.
pub fn stated_size(gz: &[u8]) -> Option<u64> {
    let tail = gz.len().checked_sub(4).filter(|_| is_gzip(gz) && gz.len() >= 18)?;
    Some(u32::from_le_bytes(gz[tail..].try_into().ok()?) as u64)
}

/// Why inflating failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// The data is not valid gzip (truncated, a bad checksum, bytes that are not a member).
    #[error("{0}")]
    Corrupt(String),
    /// The output would grow past the limit it was given.
    #[error("inflates to more than the limit")]
    TooLarge,
}

/// A libdeflate decompressor (about 10 KiB of tables), kept by a worker for every object it reads.
pub struct Inflater {
    ptr: NonNull<sys::libdeflate_decompressor>,
}

// SAFETY: a libdeflate decompressor holds no thread-affine state; `&mut self` serialises its use.
unsafe impl Send for Inflater {}

impl Default for Inflater {
    fn default() -> Self {
        Inflater::new()
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: allocated by `libdeflate_alloc_decompressor` in `new`, freed once here.
        unsafe { sys::libdeflate_free_decompressor(self.ptr.as_ptr()) }
    }
}

impl Inflater {
    pub fn new() -> Self {
        // SAFETY: no preconditions; null only when out of memory.
        let ptr = unsafe { sys::libdeflate_alloc_decompressor() };
        Inflater {
            ptr: NonNull::new(ptr)
                .unwrap_or_else(|| std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u8; 1 << 14]>())),
        }
    }

    /// Inflates every member of `gz` into `out` (cleared first), writing at most `limit` bytes.
    pub fn gunzip(&mut self, gz: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), InflateError> {
        out.clear();

        let mut at = 0;
        while at < gz.len() {
            let member = &gz[at..];
            if !is_gzip(member) {
                let what = match at {
                    0 => "not gzip data (no gzip magic bytes at the start)".to_string(),
                    _ => format!("{} bytes after the last gzip member are not gzip data", member.len()),
                };
                return Err(InflateError::Corrupt(what));
            }
            at += self.member(member, out, limit)?;
        }
        Ok(())
    }

    /// Inflates the member `gz` starts with onto the end of `out`; returns the bytes it took.
    fn member(&mut self, gz: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<usize, InflateError> {
        // The gzip trailer's size (mod 2^32) of the file's last member: exact for the usual
        // single-member object, a first guess otherwise; grown by doubling when short.
        let trailer = gz.len().checked_sub(4).map(|i| u32::from_le_bytes(gz[i..].try_into().unwrap()) as usize);
        let mut want = trailer.unwrap_or(0).max(gz.len().saturating_mul(4)).max(64 << 10);
        loop {
            let room = limit.saturating_sub(out.len());
            let avail = want.min(room);
            out.reserve(avail);
            let spare = &mut out.spare_capacity_mut()[..avail];
            let (mut took, mut wrote) = (0usize, 0usize);
            // SAFETY: `gz` is readable for its length and `spare` writable for `avail` bytes
            // (libdeflate writes only within it and reports how many it wrote); the decompressor
            // is ours alone for the call.
            let result = unsafe {
                sys::libdeflate_gzip_decompress_ex(
                    self.ptr.as_ptr(),
                    gz.as_ptr().cast(),
                    gz.len(),
                    spare.as_mut_ptr().cast(),
                    avail,
                    &mut took,
                    &mut wrote,
                )
            };
            match result {
                sys::libdeflate_result_LIBDEFLATE_SUCCESS => {
                    // SAFETY: libdeflate initialised `wrote` (<= `avail`) bytes past the length.
                    unsafe { out.set_len(out.len() + wrote) };
                    return Ok(took);
                }
                sys::libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE if avail >= room => {
                    return Err(InflateError::TooLarge);
                }
                sys::libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE => want = want.saturating_mul(2),
                _ => {
                    return Err(InflateError::Corrupt(CORRUPT.into()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    fn flate2(gz: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(gz).read_to_end(&mut out).map(|_| out)
    }

    #[test]
    fn agrees_with_flate2_on_one_member_and_several() {
        let a: Vec<u8> = (0..300_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let b = br#"{"Records":[{"eventName":"StopLogging"}]}"#.to_vec();
        let mut two = gzip(&a);
        two.extend(gzip(&b));
        let mut inf = Inflater::new();
        let mut out = Vec::new();
        for gz in [gzip(&a), gzip(&b), two, gzip(b"")] {
            inf.gunzip(&gz, &mut out, 64 << 20).unwrap();
            assert_eq!(out, flate2(&gz).unwrap());
        }
    }

    #[test]
    fn stops_at_the_limit_having_written_no_more() {
        let zeros = gzip(&vec![0u8; 10 << 20]);
        let mut out = Vec::new();
        let mut inf = Inflater::new();
        assert_eq!(inf.gunzip(&zeros, &mut out, 1 << 20), Err(InflateError::TooLarge));
        assert!(out.len() <= 1 << 20);
        assert_eq!(stated_size(&zeros), Some(10 << 20));
        // Exactly at the limit is within it.
        inf.gunzip(&zeros, &mut out, 10 << 20).unwrap();
        assert_eq!(out.len(), 10 << 20);
        // A trailer that lies about the size is only a first guess: the output grows past it,
        // and then libdeflate's size check names the file corrupt.
        let mut lying = zeros.clone();
        let n = lying.len();
        lying[n - 4..].copy_from_slice(&16u32.to_le_bytes());
        assert!(matches!(inf.gunzip(&lying, &mut out, 64 << 20), Err(InflateError::Corrupt(_))));
    }

    #[test]
    fn corrupt_data_is_an_error_naming_what() {
        let good = gzip(&vec![b'x'; 100_000]);
        let mut out = Vec::new();
        let mut inf = Inflater::new();
        let cut = &good[..good.len() - 10];
        assert!(matches!(inf.gunzip(cut, &mut out, 1 << 30), Err(InflateError::Corrupt(_))));
        // A wrong checksum, and a flipped byte in the middle of data that does not compress.
        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        let noise: Vec<u8> = (0..100_000u64).map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8).collect();
        let mut flipped = gzip(&noise);
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x55;
        for bad in [bad_crc, flipped] {
            let r = inf.gunzip(&bad, &mut out, 1 << 30);
            assert!(matches!(r, Err(InflateError::Corrupt(_))), "{r:?}");
        }
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"junk");
        let e = inf.gunzip(&trailing, &mut out, 1 << 30).unwrap_err();
        assert!(e.to_string().contains("4 bytes after the last gzip member"), "{e}");
        let e = inf.gunzip(b"{\"Records\":[]}", &mut out, 1 << 30).unwrap_err();
        assert!(e.to_string().contains("not gzip data"), "{e}");
    }
}
