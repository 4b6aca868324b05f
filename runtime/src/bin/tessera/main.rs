//! The `tessera` command line. For now it runs the kernel smoke demo; compile, setup, prove,
//! verify and inspect arrive with the runtime issue.

mod demo;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "tessera", version, about = "Zero-knowledge proofs of ONNX model inference")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Kernel smoke demo: dev SRS, commit a quantized tensor, open it, prove a sumcheck, verify.
    Demo {
        /// log2 of the tensor size.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u8).range(1..=22))]
        log_size: u8,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { log_size } => demo::run(log_size as usize),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
