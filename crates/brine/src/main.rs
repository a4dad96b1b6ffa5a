//! `brine`: the command-line program.
//!
//! It parses the command line, runs the front end, and hands the IR to the
//! `brine-tier` library, which runs or builds it. It owns the process-level
//! conventions: exit codes (64 usage, 65 compile error, 70 runtime error,
//! 74 unreadable file, 101 internal error), the big stack the program runs
//! on, and the REPL. It must not hold compiler logic of its own.

mod diagnostics;
mod driver;
mod repl;

use brine_tier::{Mode, Options};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

pub const EXIT_USAGE: u8 = 64;
pub const EXIT_COMPILE: u8 = 65;
pub const EXIT_RUNTIME: u8 = 70;
pub const EXIT_IO: u8 = 74;
/// A bug in Brine (never a Lox error's code).
pub const EXIT_INTERNAL: u8 = 101;

#[derive(Parser)]
#[command(name = "brine", version, about = "An ahead-of-time compiler and tiered JIT for Lox.")]
#[command(after_help = "With no command, brine starts a REPL.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// How errors are shown: `rich` (the source, with the span underlined)
    /// or `classic` (clox's format). Default: rich when stderr is a
    /// terminal, classic otherwise.
    #[arg(long, global = true, value_enum, value_name = "STYLE")]
    diagnostics: Option<diagnostics::Format>,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a Lox program in memory and run it.
    Run {
        /// The Lox source file.
        file: PathBuf,
        /// Arguments for the program (what `args()` returns).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
        /// Which engine runs the program.
        #[arg(long, value_enum, default_value_t = Engine::Jit)]
        engine: Engine,
        /// Baseline native code only: every function is compiled on its
        /// first call, and nothing is interpreted or re-compiled.
        #[arg(long)]
        no_tier: bool,
        /// Calls plus loop iterations in the interpreter before a function
        /// is compiled (default 1000; also `BRINE_TIER_THRESHOLD`, and
        /// `BRINE_TIER=eager` for 0).
        #[arg(long, value_name = "N", value_parser = brine_tier::parse_threshold)]
        tier_threshold: Option<u32>,
        /// Write /tmp/perf-PID.map, so that `perf report` names JIT code.
        #[arg(long)]
        perf_map: bool,
        /// At exit, print to stderr what each function cost: calls, tier,
        /// compile time, on-stack replacements, and inline-cache states.
        #[arg(long)]
        profile: bool,
        /// At exit, write what the run observed (operand kinds, call
        /// targets) to FILE, for `brine build -O2 --use-profile FILE`.
        #[arg(long, value_name = "FILE")]
        save_profile: Option<PathBuf>,
    },
    /// Compile a Lox program to a standalone native executable.
    Build {
        /// The Lox source file.
        file: PathBuf,
        /// Where to write the executable.
        #[arg(short, long)]
        output: PathBuf,
        /// Optimization level: 0 (fast compile, baseline code) or 2
        /// (optimized ahead of time from what the whole program shows; a
        /// failed guard finishes its call in the interpreter the
        /// executable carries).
        #[arg(short = 'O', default_value = "0", value_parser = ["0", "2"])]
        opt_level: String,
        /// Carry the program's IR, the optimizer and the code generator:
        /// the executable starts on its ahead-of-time code and re-compiles
        /// hot functions from the profile it gathers, as `brine run` does.
        #[arg(long, conflicts_with = "no_jit")]
        jit: bool,
        /// No JIT in the executable (the default): no code generator, and
        /// no memory that is both writable and executable.
        #[arg(long)]
        no_jit: bool,
        /// With -O2: speculate from what a run observed, as saved by
        /// `brine run --save-profile FILE`.
        #[arg(long, value_name = "FILE")]
        use_profile: Option<PathBuf>,
        /// Report the compile and link times and the executable's size on stderr.
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
    /// Serve the Language Server Protocol on stdin and stdout (for editors).
    Lsp {
        /// Accepted and ignored: stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// The reference IR interpreter.
    Interp,
    /// Native code from Cranelift: tiered, unless `--no-tier`.
    Jit,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    /// Brine's IR, as lowered from the source.
    Ir,
    /// The optimized IR of every function that got hot: the program runs
    /// (tiered, its output discarded), then each optimized version prints.
    OptIr,
    /// The IR of every function that `brine build -O2` optimizes ahead of
    /// time (without running the program), and the classes whose objects
    /// it names by class links.
    O2Ir,
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
    diagnostics::choose(cli.diagnostics);
    let code = match cli.command {
        None => driver::on_big_stack(repl::run),
        Some(Command::Run {
            file,
            args,
            engine,
            no_tier,
            tier_threshold,
            perf_map,
            profile,
            save_profile,
        }) => {
            let mode = match (engine, no_tier) {
                (Engine::Interp, _) => Mode::Interp,
                (Engine::Jit, true) => Mode::Baseline,
                (Engine::Jit, false) => Mode::Tiered,
            };
            let options = match Options::new(mode) {
                Ok(mut o) => {
                    o.threshold = tier_threshold.unwrap_or(o.threshold);
                    o.perf_map = perf_map;
                    o.profile = profile;
                    o.args = args.into_iter().map(|a| a.into_encoded_bytes()).collect();
                    o
                }
                Err(e) => {
                    eprintln!("brine: {e}");
                    return ExitCode::from(EXIT_USAGE);
                }
            };
            match read_source(&file) {
                Ok(source) => {
                    driver::on_big_stack(move || driver::run_file(&source, options, save_profile.as_deref()))
                }
                Err(code) => code,
            }
        }
        Some(Command::Build { file, output, opt_level, jit, no_jit: _, use_profile, verbose }) => {
            match read_source(&file) {
                Ok(source) => {
                    // `BRINE_DEOPT_STRESS` is compiled into -O2 code.
                    let deopt_stress = match Options::new(Mode::Tiered) {
                        Ok(o) => o.deopt_stress,
                        Err(e) => {
                            eprintln!("brine: {e}");
                            return ExitCode::from(EXIT_USAGE);
                        }
                    };
                    let profile = match use_profile {
                        None => None,
                        Some(_) if opt_level != "2" => {
                            eprintln!("brine: --use-profile needs -O2");
                            return ExitCode::from(EXIT_USAGE);
                        }
                        Some(path) => match std::fs::read_to_string(&path) {
                            Ok(text) => match brine_opt::whole_program::Profile::from_text(&text) {
                                Ok(profile) => Some(profile),
                                Err(e) => {
                                    eprintln!("brine: the profile '{}': {e}", path.display());
                                    return ExitCode::from(EXIT_USAGE);
                                }
                            },
                            Err(e) => {
                                eprintln!("brine: cannot read the profile '{}': {e}", path.display());
                                return ExitCode::from(EXIT_IO);
                            }
                        },
                    };
                    let options =
                        brine_tier::BuildOptions { jit, optimize: opt_level == "2", deopt_stress, profile };
                    driver::on_big_stack(move || driver::build(&source, &output, &options, verbose))
                }
                Err(code) => code,
            }
        }
        Some(Command::Emit { stage, file }) => match read_source(&file) {
            Ok(source) => {
                let stage = match stage {
                    Stage::Ir => driver::EmitStage::Ir,
                    Stage::OptIr => driver::EmitStage::OptIr,
                    Stage::O2Ir => driver::EmitStage::O2Ir,
                    Stage::Clif => driver::EmitStage::Native(brine_tier::Stage::Clif),
                    Stage::Asm => driver::EmitStage::Native(brine_tier::Stage::Asm),
                };
                driver::on_big_stack(move || driver::emit(&source, stage))
            }
            Err(code) => code,
        },
        Some(Command::Lsp { stdio: _ }) => brine_lsp::run_stdio() as u8,
    };
    ExitCode::from(code)
}

fn read_source(path: &PathBuf) -> Result<driver::Source, u8> {
    match std::fs::read(path) {
        Ok(text) => Ok(driver::Source { name: path.display().to_string(), text }),
        Err(e) => {
            eprintln!("brine: cannot read '{}': {e}", path.display());
            Err(EXIT_IO)
        }
    }
}
