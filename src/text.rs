//! Untrusted text made safe to show. Every field of a record or finding is attacker-controlled;
//! whatever reaches a terminal (replay's table, progress and errors) or a header (an email's
//! subject) goes through [`one_line`] first.

/// One line of untrusted text, safe for a terminal and a mail header: terminal escape sequences
/// (CSI `ESC [ … final`, OSC `ESC ] … BEL/ST`, and other `ESC x` pairs) are removed whole; other
/// control characters (CR, LF, tab, C1 controls), line and paragraph separators and the
/// bidirectional overrides that reorder what a reader sees become a single space; the ends are
/// trimmed.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let space = |out: &mut String| {
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                match chars.next() {
                    // CSI: parameters and intermediates up to a final byte in @..~.
                    Some('[') => {
                        for c in chars.by_ref() {
                            if ('@'..='~').contains(&c) {
                                break;
                            }
                        }
                    }
                    // OSC, DCS, PM, APC, SOS: a string ended by BEL or ST (ESC \).
                    Some(']' | 'P' | '^' | '_' | 'X') => {
                        while let Some(c) = chars.next() {
                            if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                                break;
                            }
                        }
                    }
                    _ => {}
                }
                space(&mut out);
            }
            // The 8-bit CSI.
            '\u{9b}' => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
                space(&mut out);
            }
            c if is_unsafe(c) => space(&mut out),
            c => out.push(c),
        }
    }
    let trimmed = out.trim();
    if trimmed.len() == out.len() { out } else { trimmed.to_string() }
}

/// Control characters, line/paragraph separators, and the bidirectional controls
/// (embeddings, overrides, isolates, marks) that make text display other than it reads.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// What stands where a rule's text interpolated a value the record did not have.
pub const UNKNOWN_ID: &str = "(unknown id)";

/// Mends the holes a missing value leaves in a sentence built with `format!`: a doubled space
/// (`"RDS database  was made public"`), a space at either end (`"for trail "`), or a space
/// before punctuation (`"hosted zone : 3 changes"`) gets [`UNKNOWN_ID`] in the gap. Text
/// without holes comes back unchanged.
pub fn fill_holes(s: String) -> String {
    // Nearly every summary is whole: one pass over its bytes, and it is returned as it is.
    let b = s.as_bytes();
    let hole = b.is_empty()
        || b[0] == b' '
        || b[b.len() - 1] == b' '
        || b.windows(2).any(|w| w[0] == b' ' && matches!(w[1], b' ' | b',' | b'.' | b':' | b')' | b';'));
    if !hole {
        return s;
    }
    let words: Vec<&str> = s.split(' ').collect();
    if words.len() < 2 {
        return if s.is_empty() { UNKNOWN_ID.to_string() } else { s };
    }
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        // An empty word between two spaces, or at either end, is a value that was not there.
        // Several empty words in a row are one hole.
        if w.is_empty() {
            if out.last() != Some(&UNKNOWN_ID) {
                out.push(UNKNOWN_ID);
            }
            continue;
        }
        // Punctuation standing alone (`zone : 3`, `CNAME , TXT`) follows a missing value; a word that
        // merely starts with it (`::/0`) does not.
        let lone_punctuation = w.chars().all(|c| matches!(c, ',' | '.' | ':' | ')' | ';'));
        if i > 0 && lone_punctuation && out.last() != Some(&UNKNOWN_ID) {
            out.push(UNKNOWN_ID);
        }
        out.push(w);
    }
    // "(unknown id) ," → "(unknown id),": punctuation closes up on the filler.
    let mut text = out.join(" ");
    for p in [",", ".", ":", ")", ";"] {
        text = text.replace(&format!("{UNKNOWN_ID} {p}"), &format!("{UNKNOWN_ID}{p}"));
    }
    text
}

/// At most `max` characters of `s`, the last one "…" when it was cut.
pub fn bounded(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-2`...
pub fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].len() <= 2
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

/// `value` as one argument of a POSIX shell command line: as it is when every character is one
/// that no shell treats specially (`sg-0a1b`, `arn:aws:iam::1:role/x`, `my.bucket`), in single
/// quotes when it is printable ASCII without a quote (JSON, `Key=Name,Value=web`), else `None`:
/// text that cannot be made one inert argument is never put on a command line.
pub fn shell_arg(value: &str) -> Option<String> {
    quoted(value).map(std::borrow::Cow::into_owned)
}

/// [`shell_arg`], borrowing a plain value.
fn quoted(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"._:/@+=,-%".contains(&b);
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(plain) {
        return Some(std::borrow::Cow::Borrowed(value));
    }
    (value.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'\'') && value.len() <= 4096)
        .then(|| std::borrow::Cow::Owned(format!("'{value}'")))
}

/// A value as a command-line argument in a fix text: plain ids as they are, JSON quoted.
fn command_arg(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    let arg = quoted(value)?;
    let plain = matches!(arg, std::borrow::Cow::Borrowed(_));
    let json = || {
        (value.starts_with('[') || value.starts_with('{'))
            && serde_json::from_str::<serde::de::IgnoredAny>(value).is_ok()
    };
    (plain || json()).then_some(arg)
}

/// Fills the `<name>` holes of a "How to fix" text with `params`' values: an id goes in only as
/// plain text (every character one no shell treats specially: `sg-0a1b`, `my.bucket`); a JSON
/// value a rule built from parsed parts (`--ip-permissions`) goes in single-quoted. Anything else
/// (an id with a quote, a space or markup in it) leaves the hole as it is (`<snapshot-id>`), so
/// the reader sees what goes there and no raw field text reaches a command line.
pub fn fill_params<'a>(text: &str, params: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after.bytes().take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-').count();
        let filled = (name_len > 0 && after.as_bytes().get(name_len) == Some(&b'>'))
            .then(|| params(&after[..name_len]).and_then(command_arg))
            .flatten();
        match filled {
            Some(arg) => {
                out.push_str(&arg);
                rest = &after[name_len + 1..];
            }
            None => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// An EC2-style id: `prefix` then 8 or 17 lower-case hex digits (`i-0abc...`, `sg-...`,
/// `snap-...`, `ami-...`, `vpc-...`, `eni-...`, `vol-...`).
pub fn aws_id(prefix: &str, s: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// An S3 bucket name: 3 to 63 of lower-case letters, digits, `.` and `-`, starting and ending
/// with a letter or digit.
pub fn bucket_name(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
}

/// An IAM user, role or policy name: 1 to 128 of letters, digits and `+=,.@_-`.
pub fn iam_name(s: &str) -> bool {
    (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::{fill_holes, fill_params, one_line, shell_arg};

    #[test]
    fn shell_args_are_inert() {
        assert_eq!(shell_arg("sg-0a1b2c").as_deref(), Some("sg-0a1b2c"));
        assert_eq!(shell_arg("arn:aws:iam::1:role/a+b=c,d@e").as_deref(), Some("arn:aws:iam::1:role/a+b=c,d@e"));
        assert_eq!(shell_arg(r#"[{"IpProtocol":"tcp"}]"#).as_deref(), Some(r#"'[{"IpProtocol":"tcp"}]'"#));
        assert_eq!(shell_arg("x; rm -rf /").as_deref(), Some("'x; rm -rf /'"));
        for bad in ["", "it's", "a\nb", "\u{1b}[2J", "caf\u{e9}", "$(id)'"] {
            assert_eq!(shell_arg(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn holes_are_filled_only_with_inert_values() {
        let params = |n: &str| match n {
            "snapshot-id" => Some("snap-0123"),
            "trail" => Some("it's"),
            "group" => Some("sg-1\"><img src=x>"),
            "perms" => Some(r#"[{"IpProtocol":"tcp"}]"#),
            _ => None,
        };
        assert_eq!(
            fill_params(
                "`aws ec2 x --snapshot-id <snapshot-id> --name <trail> --r <region> <group> <perms>` a <b",
                params
            ),
            "`aws ec2 x --snapshot-id snap-0123 --name <trail> --r <region> <group> '[{\"IpProtocol\":\"tcp\"}]'` a <b"
        );
    }

    macro_rules! s {
        ($t:literal) => {
            String::from($t)
        };
    }

    #[test]
    fn holes_are_filled_and_whole_text_is_left_alone() {
        assert_eq!(fill_holes(s!("RDS database  was made public")), "RDS database (unknown id) was made public");
        assert_eq!(fill_holes(s!("logging was stopped for trail ")), "logging was stopped for trail (unknown id)");
        assert_eq!(fill_holes(s!(" was created")), "(unknown id) was created");
        assert_eq!(
            fill_holes(s!("hosted zone : 3 changes (CREATE CNAME , UPSERT TXT )")),
            "hosted zone (unknown id): 3 changes (CREATE CNAME (unknown id), UPSERT TXT (unknown id))"
        );
        assert_eq!(
            fill_holes(s!("EBS snapshot  was shared with ")),
            "EBS snapshot (unknown id) was shared with (unknown id)"
        );
        assert_eq!(fill_holes(s!("")), "(unknown id)");
        for whole in ["sg-0a1b opened tcp/22 to 0.0.0.0/0", "a: b, c (d)", "one", "all traffic to ::/0"] {
            assert_eq!(fill_holes(whole.to_string()), whole);
        }
    }

    #[test]
    fn escapes_and_controls_go() {
        assert_eq!(one_line("mal\u{1b}[2J\u{1b}[31mlory\r\nroot"), "mal lory root");
        assert_eq!(one_line("\u{1b}]0;pwned title\u{7}x"), "x");
        assert_eq!(one_line("\u{1b}]8;;https://evil\u{1b}\\click\u{1b}]8;;\u{1b}\\"), "click");
        assert_eq!(one_line("a\u{9b}31mb"), "a b");
        assert_eq!(one_line("admin\u{202e}txt.exe"), "admin txt.exe");
        assert_eq!(one_line("  tab\there  "), "tab here");
        assert_eq!(one_line("plain ünïcode ok"), "plain ünïcode ok");
        assert_eq!(one_line("\u{1b}"), "");
    }
}
