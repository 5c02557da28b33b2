//! The `trailwarden` command line (feature `cli`): `replay`, `rules`, `pattern`, and its own
//! `completions` and `man` page, generated from the same clap definition. The binary
//! (`src/bin/trailwarden.rs`) and the replay example (`examples/replay.rs`) only call
//! [`main`] and [`replay_example_main`]: one implementation behind both.

pub mod replay;

use std::fmt::Display;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::text::one_line;
use crate::{Config, Engine};

/// The command line.
#[derive(Parser)]
#[command(name = "trailwarden", version, about = "Detects dangerous AWS changes in CloudTrail logs and findings")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Replay CloudTrail logs and GuardDuty or Security Hub findings through every rule:
    /// files, folders, standard input or s3://bucket/prefix.
    Replay(Box<replay::ReplayArgs>),
    /// List the rules: id, severity, event names, title (tab-separated).
    Rules(EngineArgs),
    /// Print the EventBridge event patterns (a JSON array, one pattern per EventBridge rule, each
    /// within EventBridge's 2,048-character quota) that deliver exactly the events the rules want.
    Pattern(EngineArgs),
    /// Print a shell completion script: `trailwarden completions bash > /etc/bash_completion.d/trailwarden`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `trailwarden man > trailwarden.1`.
    Man,
}

/// How the engine is set up: the rules, the configuration and what answers their questions.
#[derive(Args, Clone, Default)]
pub struct EngineArgs {
    /// Run only this rule (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,
    /// TOML configuration (allowlists, trusted accounts, disabled rules).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A suppressions file (TOML `[[suppress]]` entries), instead of the config's.
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
    /// Live-state facts (JSON: subnets, security groups, buckets, instances) for rules that ask;
    /// without it those questions are unknown and each rule does what its docs say. A file
    /// `NAME.facts` beside an input file `NAME.json` answers that file's questions.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
}

impl EngineArgs {
    /// The engine, with its warnings said on standard error.
    pub fn build(&self) -> anyhow::Result<Engine> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(path) = &self.suppressions {
            config.suppressions = crate::config::suppress::Suppressions::from_file(path)?;
        }
        let mut engine = Engine::with_rules(config, &self.rules)?;
        if let Some(path) = &self.facts {
            engine = engine.with_facts(crate::facts::Facts::from_file(path)?);
        }
        for warning in engine.warnings() {
            say("warning", warning);
        }
        Ok(engine)
    }
}

/// `trailwarden ...`: what the binary runs.
pub fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => finish(run(cli)),
        Err(e) => usage_error(e),
    }
}

/// The replay example's entry: `cargo run --example replay -- [OPTIONS] PATH...`, the same
/// arguments as `trailwarden replay`.
pub fn replay_example_main() -> ExitCode {
    #[derive(Parser)]
    #[command(name = "replay", version, about = "Replay CloudTrail logs through trailwarden's rules")]
    struct Example {
        #[command(flatten)]
        args: replay::ReplayArgs,
    }
    match Example::try_parse() {
        Ok(example) => finish(replay::run(example.args)),
        Err(e) => usage_error(e),
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Replay(args) = cli.command {
        return replay::run(*args);
    }
    let mut out = Stdout(io::stdout().lock());
    match cli.command {
        Command::Replay(_) => unreachable!("handled above"),
        Command::Rules(args) => write_rules(&args.build()?, &mut out)?,
        Command::Pattern(args) => write_patterns(&args.build()?, &mut out)?,
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "trailwarden", &mut out);
        }
        Command::Man => clap_mangen::Man::new(Cli::command()).render(&mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn usage_error(e: clap::Error) -> ExitCode {
    let _ = e.print();
    if e.use_stderr() { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        // The reader has had enough (`trailwarden replay ... | head`): not an error, and nothing to say.
        Err(e) if output_closed(&e) => ExitCode::SUCCESS,
        Err(e) => {
            say("error", format_args!("{e:#}"));
            ExitCode::from(1)
        }
    }
}

/// The rules, one a line: id, severity, event names, title, tab-separated.
pub fn write_rules(engine: &Engine, out: &mut dyn Write) -> io::Result<()> {
    for rule in engine.rules() {
        // Rules can come from other crates: their text is shown safely too.
        let [id, events, title] = [rule.id, &rule.events.join(","), rule.title].map(one_line);
        writeln!(out, "{id}\t{}\t{events}\t{title}", rule.severity)?;
    }
    Ok(())
}

/// The EventBridge patterns that deliver exactly the events the rules want, as a JSON array.
pub fn write_patterns(engine: &Engine, out: &mut dyn Write) -> io::Result<()> {
    let patterns =
        crate::cloudtrail::pattern::event_patterns(engine.rules(), crate::cloudtrail::pattern::MAX_PATTERN_CHARS);
    writeln!(out, "{}", serde_json::to_string_pretty(&patterns)?)
}

/// One line on standard error, made safe for a terminal (errors quote paths and record text, all
/// attacker-controlled). A closed or failing stderr loses the line but never stops the run or
/// panics, as `eprintln!` would.
pub(crate) fn say(label: &str, what: impl Display) {
    let _ = writeln!(io::stderr(), "{label}: {}", one_line(&what.to_string()));
}

/// Standard output, whose closing by the reader (a broken pipe) is told apart from other write
/// failures by [`OutputClosed`].
pub(crate) struct Stdout<W>(pub W);

/// The reader closed standard output.
#[derive(Debug, thiserror::Error)]
#[error("standard output closed")]
struct OutputClosed;

impl<W: Write> Stdout<W> {
    fn mark(e: io::Error) -> io::Error {
        match e.kind() {
            io::ErrorKind::BrokenPipe => io::Error::new(io::ErrorKind::BrokenPipe, OutputClosed),
            _ => e,
        }
    }
}

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(Self::mark)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(Self::mark)
    }
}

fn output_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().and_then(|e| e.get_ref()).is_some_and(|inner| inner.is::<OutputClosed>())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
