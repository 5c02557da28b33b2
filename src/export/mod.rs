//! Alerts in other tools' formats: OCSF Detection Findings (`ocsf.rs`) for Security Lake and
//! SIEMs.

pub mod ocsf;
