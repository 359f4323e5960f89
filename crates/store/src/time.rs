//! Timestamps: UTC with microsecond precision, the finest both backends keep.

use chrono::{DateTime, SubsecRound, Utc};

use crate::{Result, StoreError};

/// A point in time as the store keeps it (UTC, whole microseconds).
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to microseconds so that a value read back equals the value
/// written on either backend.
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

pub(crate) fn to_micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<Timestamp> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp out of range: {us}")))
}
