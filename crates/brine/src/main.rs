//! `brine`: the command-line program.
//!
//! It parses the command line and drives the pipeline: front end, IR, and
//! an engine (for now the IR interpreter). It owns the process-level
//! conventions: exit codes (64 usage, 65 compile error, 70 runtime error,
//! 74 unreadable file), the big stack the program runs on, and the REPL.
//! It must not hold compiler logic of its own.

mod driver;
mod repl;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

pub const EXIT_USAGE: u8 = 64;
pub const EXIT_COMPILE: u8 = 65;
pub const EXIT_RUNTIME: u8 = 70;
pub const EXIT_SOFTWARE: u8 = 70;
pub const EXIT_IO: u8 = 74;

#[derive(Parser)]
#[command(name = "brine", version, about = "An ahead-of-time compiler and tiered JIT for Lox.")]
#[command(after_help = "With no command, brine starts a REPL.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a Lox program in memory and run it.
    Run {
        /// The Lox source file.
        file: PathBuf,
        /// Which engine runs the program.
        #[arg(long, value_enum, default_value_t = Engine::Jit)]
        engine: Engine,
    },
    /// Compile a Lox program to a standalone native executable.
    Build {
        /// The Lox source file.
        file: PathBuf,
        /// Where to write the executable.
        #[arg(short, long)]
        output: PathBuf,
        /// Optimization level: 0 (fast compile, baseline code; the only level so far).
        #[arg(short = 'O', default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=0))]
        opt_level: u8,
        /// Report the link time and the executable's size on stderr.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Show a stage of the compilation.
    Emit {
        /// Which stage to print.
        #[arg(value_enum)]
        stage: Stage,
        /// The Lox source file.
        file: PathBuf,
    },
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// The reference IR interpreter.
    Interp,
    /// Baseline native code from Cranelift.
    Jit,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    /// Brine's IR, as lowered from the source.
    Ir,
    /// The Cranelift IR of each function's baseline code.
    Clif,
    /// The disassembled machine code of each function's baseline code.
    Asm,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        None => driver::on_big_stack(repl::run),
        Some(Command::Run { file, engine }) => match read_source(&file) {
            Ok(source) => driver::on_big_stack(move || driver::run_file(&source, engine)),
            Err(code) => code,
        },
        Some(Command::Build { file, output, opt_level: _, verbose }) => match read_source(&file) {
            Ok(source) => driver::on_big_stack(move || driver::build(&source, &output, verbose)),
            Err(code) => code,
        },
        Some(Command::Emit { stage, file }) => match read_source(&file) {
            Ok(source) => driver::on_big_stack(move || driver::emit(&source, stage)),
            Err(code) => code,
        },
    };
    ExitCode::from(code)
}

fn read_source(path: &PathBuf) -> Result<Vec<u8>, u8> {
    std::fs::read(path).map_err(|e| {
        eprintln!("brine: cannot read '{}': {e}", path.display());
        EXIT_IO
    })
}
