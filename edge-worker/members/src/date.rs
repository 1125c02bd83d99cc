//! UTC dates for people: `YYYY-MM-DD` and RFC 3339 in, RFC 3339 out (CSV files,
//! `--until`, account pages). Civil-from-days after Howard Hinnant's algorithms.

/// `secs` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Seconds since the epoch of `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time with
/// `Z` or an offset (fractions of a second ignored). `None` if it is neither.
pub fn parse(text: &str) -> Option<u64> {
    let t = text.trim();
    let date = t.get(..10)?;
    let b = date.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(&date[..4])?, num(&date[5..7])?, num(&date[8..])?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d).checked_mul(86_400)?;
    let rest = &t[10..];
    if !rest.is_empty() {
        let rest = rest.strip_prefix(['T', 't', ' '])?;
        let (h, mi, s) = (
            num(rest.get(..2)?)?,
            num(rest.get(3..5)?)?,
            num(rest.get(6..8)?)?,
        );
        if rest.as_bytes()[2] != b':' || rest.as_bytes()[5] != b':' || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        secs += h * 3600 + mi * 60 + s;
        let mut zone = &rest[8..];
        if let Some(frac) = zone.strip_prefix('.') {
            zone = frac.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        match zone {
            "Z" | "z" => {}
            _ => {
                let sign = zone.get(..1)?;
                let (oh, om) = (num(zone.get(1..3)?)?, num(zone.get(4..6)?)?);
                if zone.len() != 6 || zone.as_bytes()[3] != b':' {
                    return None;
                }
                let offset = oh * 3600 + om * 60;
                secs = match sign {
                    "+" => secs.checked_sub(offset)?,
                    "-" => secs + offset,
                    _ => return None,
                };
            }
        }
    }
    Some(secs)
}

fn num(s: &str) -> Option<u64> {
    s.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| s.parse().ok())?
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y } as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468).max(0) as u64
}

fn civil(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(parse("1970-01-01"), Some(0));
        assert_eq!(parse("2000-03-01"), Some(951_868_800));
        assert_eq!(parse("2026-12-01T18:47:46Z"), Some(1_796_150_866));
        assert_eq!(parse("2026-12-01T20:47:46.123+02:00"), Some(1_796_150_866));
        assert_eq!(format(1_796_150_866), "2026-12-01T18:47:46Z");
        assert_eq!(format(951_868_800), "2000-03-01T00:00:00Z");
    }

    #[test]
    fn round_trips_over_centuries() {
        for secs in (0..4_102_444_800u64).step_by(86_400 * 37 + 3601) {
            assert_eq!(parse(&format(secs)), Some(secs), "{}", format(secs));
        }
    }

    #[test]
    fn bad_dates_are_refused() {
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "2025-02-29",
            "2026-1-01",
            "20261201",
            "2026-12-01T25:00:00Z",
            "2026-12-01T10:00:00",
            "2026-12-01T10:00:00+0200",
            "tomorrow",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(parse("2024-02-29"), Some(1_709_164_800));
    }
}
