//! The REPL: one runtime and one growing module for the whole session, so
//! globals, functions and classes carry over between entries.

use crate::driver;
use brine_tier::{Mode, Options};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

/// Whether `text` leaves a brace or parenthesis open (outside strings and
/// comments): then the entry continues on the next line.
pub fn is_incomplete(text: &str) -> bool {
    let mut depth: i64 = 0;
    let mut in_string = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            in_string = c != '"';
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '{' | '(' => depth += 1,
            '}' | ')' => depth -= 1,
            _ => {}
        }
    }
    depth > 0 || in_string
}

pub fn run() -> u8 {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("brine: cannot start the line editor: {e}");
            return crate::EXIT_IO;
        }
    };
    let history = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".brine_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    let options = match Options::new(Mode::Tiered) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("brine: {e}");
            return crate::EXIT_USAGE;
        }
    };
    let mut session = match driver::new_session(options) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut entry = String::new();
    loop {
        let prompt = if entry.is_empty() { "> " } else { "... " };
        match editor.readline(prompt) {
            Ok(line) => {
                entry.push_str(&line);
                entry.push('\n');
                if is_incomplete(&entry) {
                    continue;
                }
                let text = std::mem::take(&mut entry);
                if text.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(text.trim_end());
                let name = format!("<repl:{}>", session.program.module.sources.len());
                match brine_frontend::compile_named(text.as_bytes(), &name, &mut session.program.module) {
                    Ok(script) => {
                        session.execute(script);
                    }
                    Err(diagnostics) => driver::print_diagnostics(&name, text.as_bytes(), &diagnostics),
                }
            }
            Err(ReadlineError::Interrupted) => entry.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("brine: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    session.rt.out.flush();
    0
}

#[cfg(test)]
mod tests {
    use super::is_incomplete;

    #[test]
    fn open_braces_continue() {
        assert!(is_incomplete("fun f() {\n"));
        assert!(is_incomplete("print (1 +\n"));
        assert!(is_incomplete("var s = \"abc\n"));
        assert!(!is_incomplete("fun f() { print 1; }\n"));
        assert!(!is_incomplete("print \"{\";\n"));
        assert!(!is_incomplete("print 1; // {\n"));
    }
}
