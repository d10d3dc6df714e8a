//! Numbers as kustomize prints them. kustomize turns each object into JSON
//! (Go's encoding: shortest round-trip digits, exponent form below 1e-6 and
//! from 1e21) and reads that JSON back as YAML before printing it, so a
//! number with integral JSON text prints as an integer and any other float
//! prints with Go's `%g`-style shortest format (`1.2345675e+06`, `1e-05`).

use serde_json::Number;
use std::fmt::Write;

/// Appends `n` as kustomize prints it.
pub(super) fn write_number(n: &Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        write_float(f, out);
    }
}

/// A float as a JSON number the way kustomize ends up printing it: an
/// integer when Go's JSON text for it is integral and fits 64 bits (so
/// `1.0` and `1e3` become `1` and `1000`), else the float. `None` for NaN
/// and infinities, which JSON cannot hold.
pub(super) fn json_number(f: f64) -> Option<Number> {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 {
        let text = format!("{f}");
        if let Ok(i) = text.parse::<i64>() {
            return Some(i.into());
        }
        if let Ok(u) = text.parse::<u64>() {
            return Some(u.into());
        }
    }
    Number::from_f64(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: the float rounded to 32 bits, in short form.
pub(super) fn go_g_f32(f: f64) -> String {
    let g = f as f32;
    if !g.is_finite() {
        let mut out = String::new();
        write_go_g(f64::from(g), &mut out);
        return out;
    }
    let sci = format!("{g:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        return format!("{g}");
    }
    format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
}

/// A float, after the JSON round trip.
fn write_float(f: f64, out: &mut String) {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 {
        // JSON prints it without a decimal point; YAML reads that back as an
        // integer when it fits 64 bits.
        let text = format!("{f}");
        if let Ok(i) = text.parse::<i64>() {
            let _ = write!(out, "{i}");
            return;
        }
        if let Ok(u) = text.parse::<u64>() {
            let _ = write!(out, "{u}");
            return;
        }
    }
    write_go_g(f, out);
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
pub(super) fn write_go_g(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str(".nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { ".inf" } else { "-.inf" });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.2345e6`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        let _ = write!(out, "{f}");
        return;
    }
    out.push_str(mantissa);
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exp.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(v: serde_json::Value) -> String {
        let mut s = String::new();
        if let serde_json::Value::Number(n) = v {
            write_number(&n, &mut s);
        }
        s
    }

    #[test]
    fn floats_print_as_go_after_a_json_round_trip() {
        use serde_json::json;
        assert_eq!(show(json!(1.0)), "1");
        assert_eq!(show(json!(-0.0)), "0");
        assert_eq!(show(json!(1.1)), "1.1");
        assert_eq!(show(json!(1234567.5)), "1.2345675e+06");
        assert_eq!(show(json!(100000.5)), "100000.5");
        assert_eq!(show(json!(0.00001)), "1e-05");
        assert_eq!(show(json!(0.0001)), "0.0001");
        assert_eq!(show(json!(1e20)), "1e+20");
        assert_eq!(show(json!(1e21)), "1e+21");
        assert_eq!(show(json!(1.2345678901234567e18)), "1234567890123456800");
        assert_eq!(show(json!(1.2345678901234568e29)), "1.2345678901234568e+29");
        assert_eq!(show(json!(-9.223372036854776e18)), "-9.223372036854776e+18");
        assert_eq!(show(json!(1e100)), "1e+100");
        assert_eq!(show(json!(12345678901234567890u64)), "12345678901234567890");
    }

    #[test]
    fn integral_floats_become_integers_and_keys_use_32_bits() {
        assert_eq!(json_number(1000.0), Some(1000.into()));
        assert_eq!(json_number(-0.0), Some(0.into()));
        assert_eq!(json_number(1.2345678901234567e18), Some(1_234_567_890_123_456_800_i64.into()));
        assert_eq!(json_number(1e20).and_then(|n| n.as_f64()), Some(1e20));
        assert_eq!(json_number(f64::NAN), None);
        assert_eq!(go_g_f32(1.5), "1.5");
        assert_eq!(go_g_f32(1000.0), "1000");
        assert_eq!(go_g_f32(123_456_789.0), "1.2345679e+08");
        assert_eq!(go_g_f32(0.1), "0.1");
    }
}
