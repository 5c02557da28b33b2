//! kms rules.
