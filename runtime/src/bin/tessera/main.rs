//! The `tessera` command line: compile an ONNX model to a block plan, make keys, prove a batch,
//! verify a proof, inspect any Tessera file, or run the whole pipeline as a demo.
//!
//! Exit codes: 0 success, 1 proof rejected, 2 usage, file or format error.

mod commands;
mod demo;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "tessera", version, about = "Zero-knowledge proofs of ONNX model inference")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile an ONNX model to DIR/plan.bin and print the compile report.
    Compile(CompileArgs),
    /// Make DIR/pk.bin and DIR/vk.bin from DIR/plan.bin.
    Setup(SetupArgs),
    /// Prove one batch of inputs.
    Prove(ProveArgs),
    /// Verify a proof with a verifying key (exit code 1 if rejected).
    Verify(VerifyArgs),
    /// Describe a plan, key or proof file: kind, sizes, digests.
    Inspect {
        /// Any Tessera file.
        file: PathBuf,
    },
    /// Compile, set up (dev SRS), prove a batch of the model's test set, verify, report.
    Demo(DemoArgs),
}

/// `tessera compile`.
#[derive(Args)]
pub struct CompileArgs {
    /// The ONNX model.
    pub model: PathBuf,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Batch size: overrides the model's leading input dimension.
    #[arg(long)]
    pub batch: Option<usize>,
    /// Calibration inputs (JSON: a list of flat inputs, or a test_set.json).
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Fixed-point scale bits for float models (default: chosen by calibration, at most 12).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub scale_bits: Option<u32>,
    /// Commit the model inputs instead of revealing them.
    #[arg(long)]
    pub private_input: bool,
}

/// `tessera setup`.
#[derive(Args)]
pub struct SetupArgs {
    /// Folder holding plan.bin.
    pub dir: PathBuf,
    /// A powers-of-tau file in Tessera's SRS format.
    #[arg(long, conflicts_with = "insecure_dev_srs", required_unless_present = "insecure_dev_srs")]
    pub srs: Option<PathBuf>,
    /// Use the INSECURE development SRS (anyone can forge proofs): for tests and demos only.
    #[arg(long)]
    pub insecure_dev_srs: bool,
}

/// `tessera prove`.
#[derive(Args)]
pub struct ProveArgs {
    /// Folder holding pk.bin.
    pub dir: PathBuf,
    /// Input JSON: `{"<input name>": [batch entries]}`.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the proof.
    #[arg(long)]
    pub proof: PathBuf,
    /// Where to write the outputs (JSON, dequantized).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Fold-tree arity of the accumulator: 0 folds every claim in one node; 2 or more builds a
    /// tree (more, smaller folds; a slightly larger proof). Default: one node while the fold's
    /// working tables fit in 256 MiB, else a tree whose nodes hold about that much.
    #[arg(long)]
    pub fold_arity: Option<usize>,
}

/// `tessera verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The verifying key.
    #[arg(long)]
    pub vk: PathBuf,
    /// The proof.
    #[arg(long)]
    pub proof: PathBuf,
    /// Check that the proof's public inputs are these.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Check that the proof's outputs are these.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// `tessera demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// A model folder with model.onnx and test_set.json.
    #[arg(default_value = "models/digits_cnn")]
    pub model_dir: PathBuf,
    /// Images per proof.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
}

/// How a command failed.
pub enum Failure {
    /// The proof (or its public values) was rejected: exit code 1.
    Rejected(String),
    /// Usage, file or format error: exit code 2.
    Error(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(e.into())
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile(a) => commands::compile(&a),
        Command::Setup(a) => commands::setup(&a),
        Command::Prove(a) => commands::prove(&a),
        Command::Verify(a) => commands::verify(&a),
        Command::Inspect { file } => commands::inspect(&file),
        Command::Demo(a) => demo::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Rejected(why)) => {
            eprintln!("rejected: {why}");
            ExitCode::from(1)
        }
        Err(Failure::Error(e)) => {
            eprintln!("error: {}", message(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each cause once: a cause whose text the message already holds
/// (errors that print their source) is not repeated.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}
