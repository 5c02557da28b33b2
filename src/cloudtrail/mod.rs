//! CloudTrail as an input: the record model ([`event`]), the readers for every shape logs come in
//! ([`input`]), the SIMD record splitter behind them ([`split`]), who acted ([`actor`]) and the
//! EventBridge patterns that deliver the records the rules want ([`pattern`]).

pub mod actor;
pub mod event;
pub mod inflate;
pub mod input;
pub mod pattern;
pub mod split;
pub mod stream;
