//! s3 rules.
