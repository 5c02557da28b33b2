//! AWS console sign-in (`signin.amazonaws.com`).

pub mod console_login_without_mfa;
pub mod root_console_login;
pub mod root_console_login_failed;
pub mod root_password_changed;
