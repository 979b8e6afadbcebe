//! The one source of "now": real wall time, or a manual clock that only moves when told.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

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

    /// The instant `seconds` later (negative moves back), saturating at the ends of time rather
    /// than overflowing.
    pub fn plus_seconds(self, seconds: f64) -> Timestamp {
        // A float-to-integer cast saturates (and NaN becomes 0).
        Timestamp(self.0.saturating_add((seconds * 1000.0).round() as i64))
    }

    /// The date and time at a fixed UTC offset, for formatting. Instants beyond the years
    /// -9999..=9999 are written as the nearest one within them.
    fn at_offset(self, utc_offset_hours: i64) -> OffsetDateTime {
        let offset = i8::try_from(utc_offset_hours)
            .ok()
            .and_then(|h| UtcOffset::from_hms(h, 0, 0).ok())
            .unwrap_or(UtcOffset::UTC);
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .unwrap_or(if self.0 < 0 {
                PrimitiveDateTime::MIN.assume_utc()
            } else {
                PrimitiveDateTime::MAX.assume_utc()
            })
            .to_offset(offset)
    }

    /// Formats the instant at a fixed UTC offset with a `time` format description.
    pub fn format(self, description: &[BorrowedFormatItem<'_>], utc_offset_hours: i64) -> String {
        self.at_offset(utc_offset_hours)
            .format(description)
            .unwrap_or_default()
    }

    /// `YYYY-MM-DD HH:MM:SS` at a fixed UTC offset.
    pub fn format_datetime(self, utc_offset_hours: i64) -> String {
        self.format(DATETIME, utc_offset_hours)
    }

    /// RFC 3339 in UTC with millisecond precision, for the admin API.
    pub fn rfc3339(self) -> String {
        self.format(RFC3339_MILLIS, 0)
    }

    /// The instant an RFC 3339 text names (`2026-01-01T00:00:00Z`, any offset), if it is one.
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .ok()?;
        i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Timestamp)
    }

    /// The instant `YYYY-MM-DD HH:MM:SS` names at a fixed UTC offset; `None` if it is not that
    /// shape or not a real date and time.
    pub fn parse_datetime(text: &str, utc_offset_hours: i64) -> Option<Timestamp> {
        let offset = UtcOffset::from_hms(i8::try_from(utc_offset_hours).ok()?, 0, 0).ok()?;
        let at = PrimitiveDateTime::parse(text, DATETIME)
            .ok()?
            .assume_offset(offset);
        i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Timestamp)
    }
}

/// `YYYY-MM-DD HH:MM:SS`.
const DATETIME: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
const RFC3339_MILLIS: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The longest span the clock may be moved by, or a delivery delayed by, at once: ten years.
/// Longer spans are refused where they are set, naming the field.
pub const MAX_SPAN_SECONDS: f64 = 10.0 * 365.0 * 24.0 * 3600.0;

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
        let t = Timestamp::parse_datetime("2013-05-01 12:02:02", 4).unwrap();
        assert_eq!(t.unix_seconds(), 1_367_395_322);
        assert_eq!(t.format_datetime(4), "2013-05-01 12:02:02");
        assert_eq!(Timestamp(0).format_datetime(5), "1970-01-01 05:00:00");
        assert_eq!(
            Timestamp(951_782_400_000).format_datetime(0),
            "2000-02-29 00:00:00"
        );
        assert_eq!(Timestamp(1_500).rfc3339(), "1970-01-01T00:00:01.500Z");
    }

    #[test]
    fn parsing_rejects_impossible_dates() {
        for bad in [
            "2023-02-29 00:00:00",
            "2024-13-01 00:00:00",
            "2024-01-01 24:00:00",
            "2024-01-01",
        ] {
            assert!(Timestamp::parse_datetime(bad, 0).is_none(), "{bad}");
        }
        assert!(Timestamp::parse_datetime("2024-02-29 00:00:00", 0).is_some());
    }

    #[test]
    fn instants_beyond_the_calendar_are_written_at_its_ends() {
        assert_eq!(
            Timestamp(i64::MAX).format_datetime(0),
            "9999-12-31 23:59:59"
        );
        assert_eq!(
            Timestamp(i64::MIN).format_datetime(0),
            "-9999-01-01 00:00:00"
        );
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
