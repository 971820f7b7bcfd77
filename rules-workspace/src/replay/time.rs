//! Event times: one normalised UTC instant ([`EventTime`]), read from the shapes logs write it
//! in and written back in Panther's `p_event_time` format (`2024-01-02 03:04:05.123456789`).
//!
//! Accepted text: `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM`, `:SS`, a fraction of
//! any length (digits past nanoseconds are dropped), and a zone: `Z`, ` UTC`, `±HH:MM`,
//! `±HHMM` or `±HH` (none means UTC, as Panther writes). Digits only (`"1700000000"`,
//! `"1700000000.5"`) and JSON numbers are Unix epochs, their unit guessed from their size:
//! below 10^11 seconds, below 10^14 milliseconds, below 10^17 microseconds, else nanoseconds.
//! The range is what 64-bit nanoseconds hold (years 1678 to 2261); anything else is `None`.
//!
//! A small parser of our own instead of `chrono`/`time`: this is the whole of what replay needs,
//! and it runs once per event on the hot path.

use serde_json::Value;

/// An instant in UTC, in nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventTime(i64);

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

impl EventTime {
    /// The instant `nanos` nanoseconds after 1970-01-01 00:00:00 UTC.
    pub fn from_unix_nanos(nanos: i64) -> EventTime {
        EventTime(nanos)
    }

    /// Nanoseconds since 1970-01-01 00:00:00 UTC.
    pub fn unix_nanos(self) -> i64 {
        self.0
    }

    /// Now, from the system clock.
    pub fn now() -> EventTime {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        EventTime(i64::try_from(since.as_nanos()).unwrap_or(i64::MAX))
    }

    /// A civil UTC time; `None` out of range or for an impossible date.
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        nanos: u32,
    ) -> Option<EventTime> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
            || nanos >= 1_000_000_000
        {
            return None;
        }
        let seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        seconds
            .checked_mul(NANOS_PER_SECOND)?
            .checked_add(i64::from(nanos))
            .map(EventTime)
    }

    /// Reads an event's time field: a string in one of the shapes above, or a number (epoch).
    pub fn from_json(value: &Value) -> Option<EventTime> {
        match value {
            Value::String(s) => EventTime::parse(s),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    from_epoch_integer(i)
                } else if let Some(u) = n.as_u64() {
                    from_epoch_integer(i64::try_from(u).ok()?)
                } else {
                    from_epoch_float(n.as_f64()?)
                }
            }
            _ => None,
        }
    }

    /// Parses a time written as text (see the module's header for the shapes).
    pub fn parse(text: &str) -> Option<EventTime> {
        let s = text.trim().as_bytes();
        if s.is_empty() {
            return None;
        }
        if s.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
            return parse_epoch_text(s);
        }
        parse_civil_text(s)
    }

    /// Panther's `p_event_time` format: `2024-01-02 03:04:05.123456789` (UTC, nine digits).
    pub fn to_panther(self) -> String {
        let seconds = self.0.div_euclid(NANOS_PER_SECOND);
        let nanos = self.0.rem_euclid(NANOS_PER_SECOND);
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let in_day = seconds.rem_euclid(SECONDS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{nanos:09}",
            in_day / 3600,
            in_day / 60 % 60,
            in_day % 60
        )
    }
}

impl std::fmt::Display for EventTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_panther())
    }
}

/// An epoch whose unit is guessed from its size (see the module header).
fn from_epoch_integer(i: i64) -> Option<EventTime> {
    let a = i.unsigned_abs();
    let nanos = if a < 100_000_000_000 {
        i.checked_mul(NANOS_PER_SECOND)?
    } else if a < 100_000_000_000_000 {
        i.checked_mul(1_000_000)?
    } else if a < 100_000_000_000_000_000 {
        i.checked_mul(1_000)?
    } else {
        i
    };
    Some(EventTime(nanos))
}

fn from_epoch_float(f: f64) -> Option<EventTime> {
    if !f.is_finite() {
        return None;
    }
    let a = f.abs();
    // Units per second.
    let scale = if a < 1e11 {
        1.0
    } else if a < 1e14 {
        1e3
    } else if a < 1e17 {
        1e6
    } else {
        1e9
    };
    // The whole units and the fraction apart: `1700000000.25 * 1e9` is not exact in a double.
    let whole = f.floor();
    let per_unit = NANOS_PER_SECOND / scale as i64;
    let fraction = ((f - whole) * per_unit as f64).round() as i64;
    if !(-1e17..=1e17).contains(&whole) {
        return (f.abs() < 9.2e18).then_some(EventTime(f as i64));
    }
    (whole as i64)
        .checked_mul(per_unit)?
        .checked_add(fraction)
        .map(EventTime)
}

/// `1700000000`, `1700000000.25`, `1700000000123` (digits and at most one dot).
fn parse_epoch_text(s: &[u8]) -> Option<EventTime> {
    let (int, frac) = match s.iter().position(|b| *b == b'.') {
        Some(dot) => (&s[..dot], Some(&s[dot + 1..])),
        None => (s, None),
    };
    if int.is_empty() || int.len() > 19 {
        return None;
    }
    let whole: i64 = std::str::from_utf8(int).ok()?.parse().ok()?;
    match frac {
        None => from_epoch_integer(whole),
        Some(f) if f.contains(&b'.') => None,
        Some(f) => {
            // A fraction only makes sense on seconds; exact to the nanosecond.
            if whole >= 100_000_000_000 {
                return from_epoch_float(std::str::from_utf8(s).ok()?.parse().ok()?);
            }
            let nanos = fraction_nanos(f)?;
            whole
                .checked_mul(NANOS_PER_SECOND)?
                .checked_add(i64::from(nanos))
                .map(EventTime)
        }
    }
}

/// Up to nine digits of a fraction of a second, as nanoseconds; further digits are dropped.
fn fraction_nanos(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut nanos = 0u32;
    for i in 0..9 {
        nanos = nanos * 10 + digits.get(i).map_or(0, |d| u32::from(d - b'0'));
    }
    Some(nanos)
}

/// A cursor over the bytes of a civil time.
struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let part = self.s.get(self.at..self.at + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += n;
        Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn rest(&self) -> &[u8] {
        &self.s[self.at..]
    }
}

fn parse_civil_text(s: &[u8]) -> Option<EventTime> {
    let mut c = Cursor { s, at: 0 };
    let year = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0);
    if c.peek().is_some() {
        if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
            return None;
        }
        hour = c.digits(2)?;
        if !c.eat(b':') {
            return None;
        }
        minute = c.digits(2)?;
        if c.eat(b':') {
            second = c.digits(2)?;
            if c.eat(b'.') || c.eat(b',') {
                let start = c.at;
                while c.peek().is_some_and(|b| b.is_ascii_digit()) {
                    c.at += 1;
                }
                nanos = fraction_nanos(&s[start..c.at])?;
            }
        }
    }
    let offset_seconds = parse_zone(&mut c)?;
    let t = EventTime::from_civil(i64::from(year), month, day, hour, minute, second, nanos)?;
    t.0.checked_sub(offset_seconds.checked_mul(NANOS_PER_SECOND)?)
        .map(EventTime)
}

/// The zone after a civil time, as seconds east of UTC; `None` when the rest is not a zone.
fn parse_zone(c: &mut Cursor<'_>) -> Option<i64> {
    let rest = c.rest();
    match rest {
        [] | b"Z" | b"z" | b" UTC" | b" Z" | b"UTC" => return Some(0),
        _ => {}
    }
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let (sign, digits) = match rest.split_first()? {
        (b'+', d) => (1, d),
        (b'-', d) => (-1, d),
        _ => return None,
    };
    let mut z = Cursor { s: digits, at: 0 };
    let hours = z.digits(2)?;
    // `±HH:MM`, `±HHMM` or `±HH`.
    let colon = z.eat(b':');
    let minutes = if colon || z.peek().is_some() {
        z.digits(2)?
    } else {
        0
    };
    if z.peek().is_some() || hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn p(s: &str) -> String {
        EventTime::parse(s)
            .unwrap_or_else(|| panic!("{s} should parse"))
            .to_panther()
    }

    #[test]
    fn panthers_own_format_reads_back_as_written() {
        assert_eq!(
            p("2024-01-02 03:04:05.123456789"),
            "2024-01-02 03:04:05.123456789"
        );
        assert_eq!(p("2024-01-02 03:04:05"), "2024-01-02 03:04:05.000000000");
        assert_eq!(p("2024-01-02 03:04:05.5"), "2024-01-02 03:04:05.500000000");
    }

    #[test]
    fn rfc3339_offsets_are_normalised_to_utc() {
        assert_eq!(p("2024-01-02T03:04:05Z"), "2024-01-02 03:04:05.000000000");
        assert_eq!(
            p("2024-01-02T03:04:05.123+02:00"),
            "2024-01-02 01:04:05.123000000"
        );
        assert_eq!(
            p("2024-01-01T23:30:00-0130"),
            "2024-01-02 01:00:00.000000000"
        );
        assert_eq!(p("2024-03-01T00:00:00+01"), "2024-02-29 23:00:00.000000000");
        assert_eq!(
            p("2019-05-02T15:09:11.123456789123Z"),
            "2019-05-02 15:09:11.123456789",
            "digits past the nanosecond are dropped"
        );
        assert_eq!(p("2024-01-02"), "2024-01-02 00:00:00.000000000");
        assert_eq!(p("2024-01-02 03:04 UTC"), "2024-01-02 03:04:00.000000000");
    }

    #[test]
    fn epochs_are_read_in_the_unit_their_size_suggests() {
        let t = |v: Value| EventTime::from_json(&v).map(EventTime::to_panther);
        let want = Some("2023-11-14 22:13:20.000000000".to_owned());
        assert_eq!(t(json!(1_700_000_000)), want);
        assert_eq!(t(json!(1_700_000_000_000u64)), want);
        assert_eq!(t(json!(1_700_000_000_000_000u64)), want);
        assert_eq!(t(json!(1_700_000_000_000_000_000u64)), want);
        assert_eq!(t(json!("1700000000")), want);
        assert_eq!(
            t(json!(1_700_000_000.25)),
            Some("2023-11-14 22:13:20.250000000".to_owned())
        );
        assert_eq!(
            t(json!("1700000000.123456789")),
            Some("2023-11-14 22:13:20.123456789".to_owned())
        );
    }

    #[test]
    fn what_is_not_a_time_is_none() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2023-02-29",
            "2024-01-02T25:00:00Z",
            "2024-01-02T03:04:05+5",
            "2024-01-02T03:04:05+05:",
            "2024-01-02T03:04:05 PST",
            "2024-01-02T03:04:05.Z",
            "1.2.3",
            "99999-01-01",
        ] {
            assert_eq!(EventTime::parse(bad), None, "{bad:?}");
        }
        assert_eq!(EventTime::from_json(&json!(null)), None);
        assert_eq!(EventTime::from_json(&json!(true)), None);
        assert_eq!(EventTime::from_json(&json!({"t": 1})), None);
        assert_eq!(
            EventTime::parse("3000-01-01T00:00:00Z"),
            None,
            "past 2262 does not fit"
        );
    }

    #[test]
    fn days_and_dates_agree_across_four_centuries() {
        for days in -200_000..200_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!(d >= 1 && d <= days_in_month(y, m));
        }
    }

    proptest! {
        #[test]
        fn panther_format_round_trips(nanos in -9_000_000_000_000_000_000i64..9_000_000_000_000_000_000i64) {
            let t = EventTime::from_unix_nanos(nanos);
            prop_assert_eq!(EventTime::parse(&t.to_panther()), Some(t));
        }

        #[test]
        fn rfc3339_with_any_offset_round_trips(
            nanos in -5_000_000_000_000_000_000i64..5_000_000_000_000_000_000i64,
            offset_minutes in -(23i32 * 60 + 59)..(23 * 60 + 59),
        ) {
            let t = EventTime::from_unix_nanos(nanos);
            // Write the same instant as local time at the offset, the way RFC 3339 does.
            let local = EventTime::from_unix_nanos(nanos + i64::from(offset_minutes) * 60 * NANOS_PER_SECOND);
            let civil = local.to_panther().replacen(' ', "T", 1);
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let a = offset_minutes.abs();
            let text = format!("{civil}{sign}{:02}:{:02}", a / 60, a % 60);
            prop_assert_eq!(EventTime::parse(&text), Some(t), "{}", text);
        }
    }
}
