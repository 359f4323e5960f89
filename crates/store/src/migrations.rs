//! Versioned schema migrations, one list per backend with the same version numbers.
//!
//! Each migration runs in its own transaction together with the row that records it in
//! `schema_version`, so a database is always at exactly one version. Migrations only go
//! forward; a database newer than this build is refused rather than guessed at.

/// One step of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub(crate) const SQLITE: &[Step] = &[
    Step {
        version: 1,
        name: "core",
        sql: include_str!("../migrations/sqlite/001_core.sql"),
    },
    Step {
        version: 2,
        name: "sessions",
        sql: include_str!("../migrations/sqlite/002_sessions.sql"),
    },
    Step {
        version: 3,
        name: "jobs",
        sql: include_str!("../migrations/sqlite/003_jobs.sql"),
    },
    Step {
        version: 4,
        name: "audit",
        sql: include_str!("../migrations/sqlite/004_audit.sql"),
    },
    Step {
        version: 5,
        name: "xref",
        sql: include_str!("../migrations/sqlite/005_xref.sql"),
    },
    Step {
        version: 6,
        name: "entitysets_alerts",
        sql: include_str!("../migrations/sqlite/006_entitysets_alerts.sql"),
    },
    Step {
        version: 7,
        name: "exports",
        sql: include_str!("../migrations/sqlite/007_exports.sql"),
    },
    Step {
        version: 8,
        name: "mappings",
        sql: include_str!("../migrations/sqlite/008_mappings.sql"),
    },
    Step {
        version: 9,
        name: "file_refs",
        sql: include_str!("../migrations/sqlite/009_file_refs.sql"),
    },
    Step {
        version: 10,
        name: "fragment_rows",
        sql: include_str!("../migrations/sqlite/010_fragment_rows.sql"),
    },
];

pub(crate) const POSTGRES: &[Step] = &[
    Step {
        version: 1,
        name: "core",
        sql: include_str!("../migrations/postgres/001_core.sql"),
    },
    Step {
        version: 2,
        name: "sessions",
        sql: include_str!("../migrations/postgres/002_sessions.sql"),
    },
    Step {
        version: 3,
        name: "jobs",
        sql: include_str!("../migrations/postgres/003_jobs.sql"),
    },
    Step {
        version: 4,
        name: "audit",
        sql: include_str!("../migrations/postgres/004_audit.sql"),
    },
    Step {
        version: 5,
        name: "xref",
        sql: include_str!("../migrations/postgres/005_xref.sql"),
    },
    Step {
        version: 6,
        name: "entitysets_alerts",
        sql: include_str!("../migrations/postgres/006_entitysets_alerts.sql"),
    },
    Step {
        version: 7,
        name: "exports",
        sql: include_str!("../migrations/postgres/007_exports.sql"),
    },
    Step {
        version: 8,
        name: "mappings",
        sql: include_str!("../migrations/postgres/008_mappings.sql"),
    },
    Step {
        version: 9,
        name: "file_refs",
        sql: include_str!("../migrations/postgres/009_file_refs.sql"),
    },
    Step {
        version: 10,
        name: "fragment_rows",
        sql: include_str!("../migrations/postgres/010_fragment_rows.sql"),
    },
];

/// The schema version this build writes.
pub const LATEST_VERSION: u32 = 10;

/// A migration that would run, as `aleph upgrade --check` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingMigration {
    pub version: u32,
    pub name: &'static str,
}

/// What a migration run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub from: u32,
    pub to: u32,
}

/// The steps to go from `current` to `target`, or why that is impossible.
pub(crate) fn plan(
    steps: &'static [Step],
    current: u32,
    target: u32,
) -> crate::Result<&'static [Step]> {
    if current > LATEST_VERSION {
        return Err(crate::StoreError::invalid(format!(
            "the database schema is at version {current}, newer than this build knows \
             ({LATEST_VERSION}); upgrade aleph"
        )));
    }
    if target > LATEST_VERSION || target < current {
        return Err(crate::StoreError::invalid(format!(
            "cannot migrate the database schema from version {current} to {target}"
        )));
    }
    let start = steps.partition_point(|s| s.version <= current);
    let end = steps.partition_point(|s| s.version <= target);
    Ok(&steps[start..end])
}

/// The migrations that would bring a database at `current` to the latest version, without
/// running them. [`crate::StoreError::Invalid`] for a database newer than this build.
pub fn pending(current: u32) -> crate::Result<Vec<PendingMigration>> {
    // Both backends have the same versions and names (a test checks), so either list does.
    Ok(plan(SQLITE, current, LATEST_VERSION)?
        .iter()
        .map(|s| PendingMigration {
            version: s.version,
            name: s.name,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_every_version_in_order() {
        for steps in [SQLITE, POSTGRES] {
            let versions: Vec<u32> = steps.iter().map(|s| s.version).collect();
            assert_eq!(versions, (1..=LATEST_VERSION).collect::<Vec<_>>());
        }
        for (a, b) in SQLITE.iter().zip(POSTGRES) {
            assert_eq!(a.name, b.name);
        }
    }

    #[test]
    fn plans_go_forward_only() {
        assert_eq!(plan(SQLITE, 0, 2).unwrap().len(), 2);
        assert_eq!(plan(POSTGRES, 0, 3).unwrap().len(), 3);
        assert_eq!(plan(POSTGRES, 2, 3).unwrap()[0].name, "jobs");
        assert_eq!(plan(SQLITE, 1, 2).unwrap()[0].version, 2);
        assert!(plan(SQLITE, 2, 2).unwrap().is_empty());
        assert!(plan(SQLITE, 2, 1).is_err());
        assert!(plan(SQLITE, LATEST_VERSION + 1, LATEST_VERSION + 1).is_err());
    }

    #[test]
    fn pending_lists_what_would_run() {
        let all = pending(0).unwrap();
        assert_eq!(all.len(), LATEST_VERSION as usize);
        assert_eq!(
            all[0],
            PendingMigration {
                version: 1,
                name: "core"
            }
        );
        let rest = pending(2).unwrap();
        assert_eq!(rest.first().map(|p| p.version), Some(3));
        assert!(pending(LATEST_VERSION).unwrap().is_empty());
        assert!(pending(LATEST_VERSION + 1).is_err());
    }
}
