//! Just enough JSON writing for a [`Report`](crate::Report): strings,
//! numbers, `null`, arrays and objects, written by hand.

/// Appends `s` as a JSON string literal (quoted and escaped).
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends an optional number (`null` when absent).
pub fn opt_number(out: &mut String, n: Option<u32>) {
    match n {
        Some(n) => out.push_str(&n.to_string()),
        None => out.push_str("null"),
    }
}

/// Appends a JSON array of strings.
pub fn strings(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, item);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_json_requires() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\te\u{1}f\u{2028}é");
        assert_eq!(out, r#""a\"b\\c\nd\te\u0001f\u2028é""#);
    }

    #[test]
    fn writes_null_and_arrays() {
        let mut out = String::new();
        opt_number(&mut out, None);
        out.push(' ');
        opt_number(&mut out, Some(12));
        out.push(' ');
        strings(&mut out, &["x".into(), "y\"".into()]);
        strings(&mut out, &[]);
        assert_eq!(out, r#"null 12 ["x","y\""][]"#);
    }
}
