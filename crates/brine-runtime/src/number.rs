//! Number formatting: the text `print` shows for a Lox number.
//!
//! The shortest string that reads back as the same double, in the style of
//! JavaScript's `Number.prototype.toString` (via the `ryu-js` crate), with
//! Lox's own special cases: negative zero prints `-0`, NaN `nan`, the
//! infinities `inf` and `-inf`.

/// Whether `x` is a whole number: finite, with no fractional part (-0 is
/// one). Without a call of libm's `trunc`: a double of magnitude 2^53 or
/// more is always whole, and a smaller one is when it survives a round trip
/// through an i64.
#[inline]
pub fn is_integral(x: f64) -> bool {
    if x.abs() < 9.0e15 { (x as i64) as f64 == x } else { x.is_finite() }
}

/// Appends the print text of `n` to `out`.
pub fn format_number(n: f64, out: &mut Vec<u8>) {
    // Integers below 2^53 print as their digits (what the shortest
    // round-trip form is for them), without ryu.
    if n.abs() < 9.0e15 && (n as i64) as f64 == n && !(n == 0.0 && n.is_sign_negative()) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut m = (n as i64).unsigned_abs();
        loop {
            at -= 1;
            digits[at] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        if n < 0.0 {
            out.push(b'-');
        }
        return out.extend_from_slice(&digits[at..]);
    }
    if n.is_nan() {
        out.extend_from_slice(b"nan");
    } else if n.is_infinite() {
        out.extend_from_slice(if n > 0.0 { b"inf" } else { b"-inf" });
    } else if n == 0.0 && n.is_sign_negative() {
        out.extend_from_slice(b"-0");
    } else {
        let mut buffer = ryu_js::Buffer::new();
        out.extend_from_slice(buffer.format_finite(n).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(n: f64) -> String {
        let mut out = Vec::new();
        format_number(n, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn examples_from_the_conventions() {
        assert_eq!(fmt(3.0), "3");
        assert_eq!(fmt(2.5), "2.5");
        assert_eq!(fmt(0.1), "0.1");
        assert_eq!(fmt(1e21), "1e+21");
        assert_eq!(fmt(2450000000.0), "2450000000");
        assert_eq!(fmt(1e-7), "1e-7");
        assert_eq!(fmt(123456789012345680000.0), "123456789012345680000");
    }

    #[test]
    fn integers_print_their_digits() {
        assert_eq!(fmt(7.0), "7");
        assert_eq!(fmt(-7.0), "-7");
        assert_eq!(fmt(10.0), "10");
        assert_eq!(fmt(8999999999999999.0), "8999999999999999");
        assert_eq!(fmt(-8999999999999999.0), "-8999999999999999");
        assert_eq!(fmt(9007199254740993.0), "9007199254740992");
        assert_eq!(fmt(1e16), "10000000000000000");
        for n in [0.0, 1.0, 9.0, 99.0, 1234567.0, 4294967296.0, -31.0] {
            let mut ryu = ryu_js::Buffer::new();
            assert_eq!(fmt(n), ryu.format_finite(n), "{n}");
        }
    }

    #[test]
    fn whole_numbers() {
        for x in [0.0, -0.0, 1.0, -3.0, 4503599627370497.0, 9.0e15, 1e300, -1e300, f64::MAX] {
            assert!(is_integral(x), "{x}");
        }
        for x in [0.5, -0.5, 1e-300, 4503599627370495.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(!is_integral(x), "{x}");
        }
    }

    #[test]
    fn more_numbers() {
        assert_eq!(fmt(100.0), "100");
        assert_eq!(fmt(0.5), "0.5");
        assert_eq!(fmt(123.456), "123.456");
        assert_eq!(fmt(0.0), "0");
        assert_eq!(fmt(-0.0), "-0");
        assert_eq!(fmt(-2.5), "-2.5");
        assert_eq!(fmt(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(fmt(1e20), "100000000000000000000");
        assert_eq!(fmt(1e-6), "0.000001");
        assert_eq!(fmt(1.5e300), "1.5e+300");
        assert_eq!(fmt(-1.5e-300), "-1.5e-300");
        assert_eq!(fmt(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(fmt(5e-324), "5e-324");
        assert_eq!(fmt(1.0 / 3.0), "0.3333333333333333");
    }

    #[test]
    fn specials() {
        assert_eq!(fmt(f64::NAN), "nan");
        assert_eq!(fmt(-f64::NAN), "nan");
        assert_eq!(fmt(f64::INFINITY), "inf");
        assert_eq!(fmt(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn appends() {
        let mut out = b"x=".to_vec();
        format_number(7.0, &mut out);
        assert_eq!(out, b"x=7");
    }
}
