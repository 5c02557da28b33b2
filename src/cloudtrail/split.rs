//! Splits a CloudTrail log file (`{"Records":[{...},{...}]}`) into its records' bytes without
//! parsing them: a SIMD pass (32 bytes per instruction with AVX2, chosen at run time; 16 with
//! `wide`'s portable lanes otherwise) finds the quotes, backslashes and brackets (escapes without
//! a branch per backslash, and with AVX2 string masks by one carry-less multiplication), and records end where
//! the bracket depth returns to the array's. The same pass finds each record's top-level
//! `eventName` (the first key named so at the record's own depth: a repeated key's first copy
//! counts, here and in [`crate::cloudtrail::event::RawRecord`]), so a record no rule
//! wants is never looked at again, not even to check its UTF-8.
//!
//! This is what lets replay keep up with decompression: most records are wanted by no rule, and
//! for those only their extent and their `eventName` are needed. A record some rule wants is cut
//! into its top-level fields by [`object_entries`] (the same block pass, per value), and each
//! field is parsed and validated by serde_json when it is read. Anything unexpected at the
//! array's level (another shape, a non-object element, unbalanced brackets, truncation) returns
//! `None`, and the caller reads the document with serde_json instead, which names the exact
//! problem. What is not checked is the syntax (and UTF-8) *inside* a record no rule wants, nor
//! the syntax inside a field no rule reads (plain strings are checked for escapes and control
//! characters; anything else goes to serde_json).

use wide::u8x16;

const BLOCK: usize = 64;

/// One record of a log file: its bytes (not yet checked as UTF-8: a record no rule wants never
/// is), and its top-level `eventName` (the first, if the key is repeated) when that is a plain
/// string (no escapes, valid UTF-8).
/// `None`: the record has no such key at its top level, or its value is something else; parse
/// the record to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logged<'a> {
    pub bytes: &'a [u8],
    pub name: Option<&'a str>,
}

impl<'a> Logged<'a> {
    /// The record's text, when it is UTF-8.
    pub fn text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes).ok()
    }
}

/// The texts of the records of a log file, or `None` when `text` is not exactly one well-formed
/// `{"Records": [ {...}, ... ]}` document (then read it with serde_json).
pub fn split_records(text: &str) -> Option<Vec<&str>> {
    split_named(text)?.into_iter().map(|r| r.text()).collect()
}

/// [`split_records`] with each record's `eventName` (see [`Logged`]).
pub fn split_named(text: &str) -> Option<Vec<Logged<'_>>> {
    let b = text.as_bytes();
    split_log_file(b).filter(|&(_, end)| b[end..].iter().all(u8::is_ascii_whitespace)).map(|(r, _)| r)
}

/// Like [`split_named`] for a log file that may be followed by more documents (a stream of
/// them, as `zcat` gives): the records and the length of the log file in `b`. The bytes need not
/// be UTF-8: only what a rule reads is checked.
pub fn split_log_file(b: &[u8]) -> Option<(Vec<Logged<'_>>, usize)> {
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // SAFETY: the CPU has these features, checked just above.
        return unsafe { avx2::split_log_file(b) };
    }
    split_with(b, Masks::of, prefix_xor)
}

/// The classification of a block by 32-byte AVX2 compares, twice as wide as `wide`'s portable
/// SSE2 lanes; chosen at run time, as memchr does.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set_epi64x, _mm_set1_epi8, _mm256_cmpeq_epi8,
        _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8,
    };

    // Every AVX2 CPU also has POPCNT, BMI1 and PCLMULQDQ, which the depth counting, the bit
    // walks and the string masks use.
    /// The CPU has what the functions below are compiled for.
    pub(super) fn available() -> bool {
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt")
            && std::arch::is_x86_feature_detected!("bmi1")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }

    #[target_feature(enable = "avx2,popcnt,bmi1,pclmulqdq")]
    pub(super) fn split_log_file(b: &[u8]) -> Option<(Vec<super::Logged<'_>>, usize)> {
        super::split_with(b, |block| masks(block), |x| prefix_xor(x))
    }

    #[target_feature(enable = "avx2,popcnt,bmi1,pclmulqdq")]
    pub(super) fn bracket_end(b: &[u8], start: usize) -> Option<usize> {
        super::bracket_end_with(b, start, |block| masks(block), |x| prefix_xor(x))
    }

    /// [`super::prefix_xor`] in one carry-less multiplication by all ones.
    #[target_feature(enable = "pclmulqdq")]
    #[inline]
    pub(super) fn prefix_xor(x: u64) -> u64 {
        let product = _mm_clmulepi64_si128::<0>(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1));
        _mm_cvtsi128_si64(product) as u64
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) fn masks(block: &[u8]) -> super::Masks {
        assert_eq!(block.len(), super::BLOCK);
        // SAFETY: both 32-byte loads are inside `block` (64 bytes, asserted); loadu has no
        // alignment requirement.
        let (lo, hi) = unsafe {
            (
                _mm256_loadu_si256(block.as_ptr().cast::<__m256i>()),
                _mm256_loadu_si256(block.as_ptr().add(32).cast::<__m256i>()),
            )
        };
        let bits = |v: __m256i, c: u8| _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(c as i8))) as u32;
        let both = |c: u8| u64::from(bits(lo, c)) | u64::from(bits(hi, c)) << 32;
        // `{`/`[` and `}`/`]` differ only in bit 0x20, as in `Masks::of`.
        let lower = _mm256_set1_epi8(0x20);
        let (flo, fhi) = (_mm256_or_si256(lo, lower), _mm256_or_si256(hi, lower));
        let folded = |c: u8| u64::from(bits(flo, c)) | u64::from(bits(fhi, c)) << 32;
        super::Masks { quote: both(b'"'), backslash: both(b'\\'), open: folded(b'{'), close: folded(b'}') }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
use avx2::masks as avx2_masks;

#[inline(always)]
fn split_with(
    b: &[u8],
    classify: impl Fn(&[u8]) -> Masks,
    xor: impl Fn(u64) -> u64,
) -> Option<(Vec<Logged<'_>>, usize)> {
    let start = records_array_start(b)?;
    // About one record a kilobyte: one allocation for a whole log file, not a dozen regrowths.
    let mut out = Vec::with_capacity(b.len() / 1024 + 1);
    let mut depth = 1u32; // inside the Records array
    let mut carry = Carry::default();
    let mut element_start = 0usize;
    let mut gap_start = start;
    let mut base = start;
    // Inside a record whose top-level `eventName` is not settled yet, and what was found.
    let mut looking = false;
    let mut name = None;
    while base < b.len() {
        let end = (base + BLOCK).min(b.len());
        let Block { quotes, strings, open, close } = carry.block(b, base, &classify, &xor);
        // Inside a record, deeper than any of this block's closing brackets could take it back
        // out (or, while its name is sought, back to its top level): only the depth changes
        // (most blocks of a record).
        if depth >= 2 + u32::from(looking) + close.count_ones() {
            depth = depth.checked_add(open.count_ones())? - close.count_ones();
            base = end;
            continue;
        }
        // The opening quotes of this block's strings: where a key can start.
        let openers = quotes & strings;
        let mut segment = 0u32; // the first bit of the stretch at the current depth
        let mut brackets = open | close;
        loop {
            let bit = if brackets == 0 { 64 } else { brackets.trailing_zeros() };
            if looking && depth == 2 {
                let stretch =
                    openers & u64::MAX.checked_shl(segment).unwrap_or(0) & !(u64::MAX.checked_shl(bit).unwrap_or(0));
                if let Some(found) = find_name(b, base, stretch) {
                    (looking, name) = (false, found);
                }
            }
            if brackets == 0 {
                break;
            }
            segment = bit + 1;
            let pos = base + bit as usize;
            brackets &= brackets - 1;
            let c = b[pos];
            if c == b'{' || c == b'[' {
                if depth == 1 {
                    if c != b'{' || !gap_ok(&b[gap_start..pos], !out.is_empty()) {
                        return None;
                    }
                    element_start = pos;
                    (looking, name) = (true, None);
                }
                depth = depth.checked_add(1)?;
                continue;
            }
            depth -= 1;
            match depth {
                1 => {
                    if c != b'}' {
                        return None;
                    }
                    out.push(Logged { bytes: &b[element_start..=pos], name });
                    (looking, name) = (false, None);
                    gap_start = pos + 1;
                }
                0 => {
                    // `]` closes the array: white space and the log file's `}` follow.
                    let close = pos + 1 + b[pos + 1..].iter().position(|c| !c.is_ascii_whitespace())?;
                    let tail_ok = c == b']' && gap_ok(&b[gap_start..pos], false) && b[close] == b'}';
                    return tail_ok.then_some((out, close + 1));
                }
                _ => {}
            }
        }
        base = end;
    }
    None
}

/// Among the strings opening at `openers` (bits of the block at `base`, all at a record's top
/// level), the first that is the key `"eventName"`: `Some(Some(name))` for a plain string value,
/// `Some(None)` for any other value (settled: the record must be parsed to know), `None` when
/// none of them is that key.
fn find_name(b: &[u8], base: usize, mut openers: u64) -> Option<Option<&str>> {
    const KEY: &[u8] = b"\"eventName\"";
    while openers != 0 {
        let at = base + openers.trailing_zeros() as usize;
        openers &= openers - 1;
        if !b[at..].starts_with(KEY) {
            continue;
        }
        let after = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            i
        };
        let colon = after(at + KEY.len());
        if b.get(colon) != Some(&b':') {
            continue; // a string value that reads "eventName", not the key
        }
        let value = after(colon + 1);
        if b.get(value) != Some(&b'"') {
            return Some(None);
        }
        let rest = &b[value + 1..];
        return Some(match memchr::memchr2(b'"', b'\\', rest) {
            Some(end) if rest[end] == b'"' => std::str::from_utf8(&rest[..end]).ok(),
            _ => None,
        });
    }
    None
}

/// Calls `each` with every top-level entry of an object's text, key (as written, without its
/// quotes) and value (its JSON text), in order, without parsing the values: strings end at their
/// closing quote, objects and arrays at their matching bracket (found by the same SIMD pass as
/// records), and only literals (`true`, a number...) are checked. `None` (some entries may have
/// been given) when the text is not plainly an object: an escaped key, a missing `:` or `,`,
/// an unterminated value, anything after the closing brace. What is inside a string, object or
/// array value is not checked here.
pub fn object_entries<'a>(text: &'a str, mut each: impl FnMut(&'a str, &'a str)) -> Option<()> {
    let b = text.as_bytes();
    let json_ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let skip_ws = |mut i: usize| {
        while b.get(i).is_some_and(json_ws) {
            i += 1;
        }
        i
    };
    let mut i = skip_ws(0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(i + 1);
    if b.get(i) == Some(&b'}') {
        return (skip_ws(i + 1) == b.len()).then_some(());
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = i + 1 + memchr::memchr2(b'"', b'\\', &b[i + 1..])?;
        if b[key_end] != b'"' {
            return None; // an escaped key: serde_json decodes it
        }
        let key = text.get(i + 1..key_end)?;
        i = skip_ws(key_end + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(i + 1);
        let end = match b.get(start)? {
            b'"' => string_end(b, start)?,
            b'{' | b'[' => bracket_end(b, start)?,
            _ => {
                let len = b[start..].iter().position(|c| *c == b',' || *c == b'}' || json_ws(c))?;
                serde_json::from_slice::<serde::de::IgnoredAny>(&b[start..start + len]).ok()?;
                start + len
            }
        };
        each(key, text.get(start..end)?);
        i = skip_ws(end);
        match b.get(i)? {
            b',' => i = skip_ws(i + 1),
            b'}' => return (skip_ws(i + 1) == b.len()).then_some(()),
            _ => return None,
        }
    }
}

/// One past the closing quote of the string opening at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', &b[i..])?;
        if b[i] == b'"' {
            return Some(i + 1);
        }
        i += 2;
        if i > b.len() {
            return None;
        }
    }
}

/// One past the bracket that closes the one at `start`.
pub(crate) fn bracket_end(b: &[u8], start: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // SAFETY: the CPU has these features, checked just above.
        return unsafe { avx2::bracket_end(b, start) };
    }
    bracket_end_with(b, start, Masks::of, prefix_xor)
}

#[inline(always)]
fn bracket_end_with(
    b: &[u8],
    start: usize,
    classify: impl Fn(&[u8]) -> Masks,
    xor: impl Fn(u64) -> u64,
) -> Option<usize> {
    let mut depth = 0u32;
    let mut carry = Carry::default();
    let mut base = start;
    while base < b.len() {
        let end = (base + BLOCK).min(b.len());
        let Block { open, close, .. } = carry.block(b, base, &classify, &xor);
        if depth > close.count_ones() {
            depth = depth.checked_add(open.count_ones())? - close.count_ones();
            base = end;
            continue;
        }
        let mut brackets = open | close;
        while brackets != 0 {
            let bit = brackets.trailing_zeros() as usize;
            brackets &= brackets - 1;
            if open >> bit & 1 == 1 {
                depth = depth.checked_add(1)?;
            } else {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(base + bit + 1);
                }
            }
        }
        base = end;
    }
    None
}

/// The offset just after `[` in `{"Records":[` (white space allowed), or `None`.
fn records_array_start(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    let expect = |token: &[u8], i: &mut usize| {
        while b.get(*i).is_some_and(u8::is_ascii_whitespace) {
            *i += 1;
        }
        let ok = b.get(*i..*i + token.len()) == Some(token);
        *i += token.len();
        ok
    };
    for token in [&b"{"[..], b"\"Records\"", b":", b"["] {
        if !expect(token, &mut i) {
            return None;
        }
    }
    Some(i)
}

/// Between two records (or the array's edges) only white space and, between records, one comma.
fn gap_ok(gap: &[u8], comma: bool) -> bool {
    let mut commas = 0;
    for &c in gap {
        match c {
            b',' => commas += 1,
            c if c.is_ascii_whitespace() => {}
            _ => return false,
        }
    }
    commas == usize::from(comma)
}

/// What one block holds outside strings (`open`, `close`), and its unescaped quotes and string
/// bits (1 from an opening quote up to its closing one).
struct Block {
    quotes: u64,
    strings: u64,
    open: u64,
    close: u64,
}

/// The string and escape state one block leaves to the next.
#[derive(Default)]
struct Carry {
    in_string: bool,
    escape: bool,
}

impl Carry {
    /// Classifies the block of `b` at `base` (the last, partial one padded with white space).
    #[inline(always)]
    fn block(&mut self, b: &[u8], base: usize, classify: &impl Fn(&[u8]) -> Masks, xor: &impl Fn(u64) -> u64) -> Block {
        let m = match b.get(base..base + BLOCK) {
            Some(block) => classify(block),
            None => {
                let mut padded = [b' '; BLOCK];
                padded[..b.len() - base].copy_from_slice(&b[base..]);
                classify(&padded)
            }
        };
        let escaped = escaped_mask(m.backslash, &mut self.escape);
        let quotes = m.quote & !escaped;
        let mut strings = xor(quotes);
        if self.in_string {
            strings = !strings;
        }
        self.in_string = strings >> 63 == 1;
        Block { quotes, strings, open: m.open & !strings, close: m.close & !strings }
    }
}

struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

impl Masks {
    /// `block` is exactly [`BLOCK`] bytes.
    fn of(block: &[u8]) -> Masks {
        let (quote, backslash, lower) = (u8x16::splat(b'"'), u8x16::splat(b'\\'), u8x16::splat(0x20));
        // `{` (0x7B) and `[` (0x5B) differ only in bit 0x20, as do `}` (0x7D) and `]` (0x5D).
        let (open, close) = (u8x16::splat(b'{'), u8x16::splat(b'}'));
        let mut m = Masks { quote: 0, backslash: 0, open: 0, close: 0 };
        for (i, part) in block.chunks_exact(16).enumerate() {
            let lane: [u8; 16] = part.try_into().unwrap_or([b' '; 16]);
            let v = u8x16::new(lane);
            let folded = v | lower;
            let shift = 16 * i as u32;
            m.quote |= u64::from(v.simd_eq(quote).to_bitmask()) << shift;
            m.backslash |= u64::from(v.simd_eq(backslash).to_bitmask()) << shift;
            m.open |= u64::from(folded.simd_eq(open).to_bitmask()) << shift;
            m.close |= u64::from(folded.simd_eq(close).to_bitmask()) << shift;
        }
        m
    }
}

/// Positions escaped by a backslash (the character after an odd run of backslashes). `carry`:
/// the previous block ended with an unescaped backslash. Branch-free over runs of backslashes
/// (simdjson's method: runs starting on odd bits are told from even ones by one addition).
fn escaped_mask(backslash: u64, carry: &mut bool) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    if backslash == 0 && !*carry {
        return 0;
    }
    let escaped_first = u64::from(*carry);
    let backslash = backslash & !escaped_first;
    let follows_escape = backslash << 1 | escaped_first;
    let odd_starts = backslash & !EVEN & !follows_escape;
    let (even_starts, overflow) = odd_starts.overflowing_add(backslash);
    *carry = overflow;
    (EVEN ^ (even_starts << 1)) & follows_escape
}

/// Bit i is the XOR of bits 0..=i: with quote bits, 1 inside strings (from the opening quote).
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_records_whatever_their_strings_hold() {
        let text = r#"{"Records":[{"a":"}]\"{[","b":{"c":[1,{"d":"\\"}]}}, {"e":"x\\\"}"}
            ]}"#;
        assert_eq!(split_records(text).unwrap(), [r#"{"a":"}]\"{[","b":{"c":[1,{"d":"\\"}]}}"#, r#"{"e":"x\\\"}"}"#]);
        assert_eq!(split_records(r#" { "Records" : [ ] } "#).unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn avx2_and_portable_lanes_classify_alike() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let alphabet = b"\"\\{}[]ab ,:\n";
            let mut state = 0x2545_f491_4f6c_dd1du64;
            for _ in 0..2000 {
                let block: Vec<u8> = (0..BLOCK)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        alphabet[(state % alphabet.len() as u64) as usize]
                    })
                    .collect();
                // SAFETY: AVX2 is present, checked above.
                let wide = unsafe { avx2_masks(&block) };
                let portable = Masks::of(&block);
                assert_eq!(
                    (wide.quote, wide.backslash, wide.open, wide.close),
                    (portable.quote, portable.backslash, portable.open, portable.close)
                );
            }
        }
    }

    /// The escapes by walking each backslash: what the branch-free [`escaped_mask`] must give.
    fn escaped_by_walking(mut backslash: u64, carry: &mut bool) -> u64 {
        let mut escaped = 0u64;
        if *carry {
            escaped |= 1;
            backslash &= !1;
            *carry = false;
        }
        while backslash != 0 {
            let i = backslash.trailing_zeros();
            backslash &= backslash - 1;
            if i == 63 {
                *carry = true;
            } else {
                escaped |= 1 << (i + 1);
                backslash &= !(1u64 << (i + 1));
            }
        }
        escaped
    }

    #[test]
    fn escapes_and_string_masks_match_the_plain_definitions() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for i in 0..20_000 {
            // Sparse, dense and run-heavy backslash masks, each with and without a carry in.
            let backslash = match i % 3 {
                0 => next() & next() & next(),
                1 => next(),
                _ => next() | next(),
            };
            let carry = i % 2 == 0;
            let (mut fast_carry, mut slow_carry) = (carry, carry);
            assert_eq!(
                escaped_mask(backslash, &mut fast_carry),
                escaped_by_walking(backslash, &mut slow_carry),
                "{backslash:064b} carry {carry}"
            );
            assert_eq!(fast_carry, slow_carry, "{backslash:064b} carry {carry}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("pclmulqdq") {
                // SAFETY: the CPU has PCLMULQDQ, checked just above.
                assert_eq!(unsafe { avx2::prefix_xor(backslash) }, prefix_xor(backslash));
            }
        }
    }

    #[test]
    fn anything_unexpected_is_left_to_serde() {
        for text in [
            r#"{"Records":[{"a":1}"#,
            r#"{"Records":[{"a":1},]}"#,
            r#"{"Records":[{"a":1}{"b":2}]}"#,
            r#"{"Records":[1,{"a":1}]}"#,
            r#"{"Records":[[],{"a":1}]}"#,
            r#"{"Records":[{"a":1]]}"#,
            r#"{"Records":[{"a":1}]"#,
            r#"{"Records":[{"a":1}]} {"Records":[]}"#,
            r#"{"Records":[{"a":1}],"x":1}"#,
            r#"{"eventName":"A"}"#,
            r#"[{"eventName":"A"}]"#,
            r#"{"Records":[{"a":"unterminated}]}"#,
        ] {
            assert_eq!(split_records(text), None, "{text}");
        }
    }
}
