//! Alerts in other tools' formats: OCSF Detection Findings (`ocsf.rs`) for Security Lake and
//! SIEMs, and a SARIF log (`sarif.rs`) for code review and CI pipelines.

pub mod ocsf;
pub mod sarif;
