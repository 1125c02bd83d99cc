//! UTC dates for people: `YYYY-MM-DD` and RFC 3339 in, RFC 3339 out (CSV files,
//! `--until`, account pages). The calendar arithmetic is the gate's ([`gate::date`]).

use gate::date::{civil_from_days, days_from_civil, days_in_month};

/// `secs` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
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
    let (year, month, day) = (y as i64, m as i64, d as i64);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    let mut secs = days.checked_mul(86_400)?;
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
