//! The one source of "now": real wall time, or a manual clock that only moves when told.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC. Every timestamp in the simulator is one of these.
/// Serialised as RFC 3339 (`2026-01-02T03:04:05.678Z`), readable in the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.rfc3339())
    }
}

impl Timestamp {
    /// Whole seconds since the epoch (floor).
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// The instant `seconds` later (negative moves back).
    pub fn plus_seconds(self, seconds: f64) -> Timestamp {
        Timestamp(self.0 + (seconds * 1000.0).round() as i64)
    }

    /// Civil date and time at a fixed UTC offset, as `(year, month, day, hour, minute, second)`.
    pub fn civil(self, utc_offset_hours: i64) -> (i64, u32, u32, u32, u32, u32) {
        let secs = self.unix_seconds() + utc_offset_hours * 3600;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (rem / 3600) as u32,
            ((rem % 3600) / 60) as u32,
            (rem % 60) as u32,
        )
    }

    /// `YYYY-MM-DD HH:MM:SS` at a fixed UTC offset.
    pub fn format_datetime(self, utc_offset_hours: i64) -> String {
        let (y, mo, d, h, mi, s) = self.civil(utc_offset_hours);
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }

    /// RFC 3339 in UTC with millisecond precision, for the admin API.
    pub fn rfc3339(self) -> String {
        let (y, mo, d, h, mi, s) = self.civil(0);
        format!(
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
            self.0.rem_euclid(1000)
        )
    }

    /// The instant of a civil date and time at a fixed UTC offset; `None` if a field is out of range.
    pub fn from_civil(
        (y, mo, d, h, mi, s): (i64, u32, u32, u32, u32, u32),
        utc_offset_hours: i64,
    ) -> Option<Timestamp> {
        if !(1..=12).contains(&mo)
            || d == 0
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || s > 59
        {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s)
            - utc_offset_hours * 3600;
        Some(Timestamp(secs * 1000))
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// How the clock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// Follows wall time; `advance` adds an offset on top of it.
    #[default]
    Real,
    /// Stands still until advanced.
    Manual,
}

/// The simulator's clock. Real mode follows wall time plus any offset added by `advance`.
#[derive(Debug)]
pub struct Clock {
    mode: ClockMode,
    /// Real mode: offset added to wall time. Manual mode: the current instant. Atomic: every
    /// request reads it.
    millis: AtomicI64,
    /// `millis` as it was at start, for reset.
    initial: i64,
}

impl Clock {
    /// A clock in `mode`; a manual clock starts at `start` (wall time when `None`).
    pub fn new(mode: ClockMode, start: Option<Timestamp>) -> Clock {
        let millis = match mode {
            ClockMode::Real => start.map_or(0, |s| s.0 - wall_millis()),
            ClockMode::Manual => start.map_or_else(wall_millis, |s| s.0),
        };
        Clock {
            mode,
            millis: AtomicI64::new(millis),
            initial: millis,
        }
    }

    /// The mode this clock was started in.
    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        let stored = self.millis.load(Ordering::Acquire);
        match self.mode {
            ClockMode::Real => Timestamp(wall_millis() + stored),
            ClockMode::Manual => Timestamp(stored),
        }
    }

    /// Moves the clock forward by `millis` and returns the new instant.
    pub fn advance(&self, millis: i64) -> Timestamp {
        let stored = self.millis.fetch_add(millis.max(0), Ordering::AcqRel) + millis.max(0);
        match self.mode {
            ClockMode::Real => Timestamp(wall_millis() + stored),
            ClockMode::Manual => Timestamp(stored),
        }
    }

    /// Moves a manual clock forward to `at` (never back); a real clock is left alone.
    pub fn move_to(&self, at: Timestamp) {
        if self.mode == ClockMode::Manual {
            self.millis.fetch_max(at.0, Ordering::AcqRel);
        }
    }

    /// Puts the clock back where it stood at start.
    pub fn reset(&self) {
        self.millis.store(self.initial, Ordering::Release);
    }
}

fn wall_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_conversion_round_trips_known_dates() {
        // 2013-05-01 12:02:02 in Georgia (UTC+4), the date of the smsoffice callback example.
        let t = Timestamp::from_civil((2013, 5, 1, 12, 2, 2), 4).unwrap();
        assert_eq!(t.unix_seconds(), 1_367_395_322);
        assert_eq!(t.civil(4), (2013, 5, 1, 12, 2, 2));
        assert_eq!(Timestamp(0).format_datetime(5), "1970-01-01 05:00:00");
        assert_eq!(
            Timestamp(951_782_400_000).format_datetime(0),
            "2000-02-29 00:00:00"
        );
        assert_eq!(Timestamp(1_500).rfc3339(), "1970-01-01T00:00:01.500Z");
    }

    #[test]
    fn from_civil_rejects_impossible_dates() {
        assert!(Timestamp::from_civil((2023, 2, 29, 0, 0, 0), 0).is_none());
        assert!(Timestamp::from_civil((2024, 2, 29, 0, 0, 0), 0).is_some());
        assert!(Timestamp::from_civil((2024, 13, 1, 0, 0, 0), 0).is_none());
        assert!(Timestamp::from_civil((2024, 1, 1, 24, 0, 0), 0).is_none());
    }

    #[test]
    fn manual_clock_stands_still_until_advanced() {
        let clock = Clock::new(ClockMode::Manual, Some(Timestamp(1_000_000)));
        assert_eq!(clock.now(), Timestamp(1_000_000));
        assert_eq!(clock.advance(2_000), Timestamp(1_002_000));
        assert_eq!(clock.now(), Timestamp(1_002_000));
        clock.reset();
        assert_eq!(clock.now(), Timestamp(1_000_000));
    }
}
