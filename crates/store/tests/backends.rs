//! The store's conformance suite, run against SQLite (a temporary file) and PostgreSQL
//! (a schema per test in `ALEPH_TEST_DATABASE_URI`, which must be set).
#![allow(clippy::unwrap_used)]

mod common;
mod suite;

mod sqlite {
    use crate::suite::suite;

    suite!(crate::common::Sqlite);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_earlier_version_upgrades_with_data_intact() {
        crate::suite::upgrades::every_earlier_sqlite_version_upgrades_with_data_intact().await;
    }

    #[tokio::test]
    async fn unwritable_path_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = store::SqliteStore::open(file.join("aleph.db"))
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err:?}");
    }

    #[tokio::test]
    async fn open_picks_sqlite_for_paths_and_sqlite_uris() {
        let dir = tempfile::tempdir().unwrap();
        let uri = format!("sqlite://{}", dir.path().join("a.db").display());
        let s = store::open(&uri).await.unwrap();
        assert_eq!(s.backend(), store::Backend::Sqlite);
        assert_eq!(s.schema_version().await.unwrap(), store::LATEST_VERSION);
        let s = store::open(dir.path().to_str().unwrap()).await.unwrap();
        assert_eq!(s.backend(), store::Backend::Sqlite);
        assert!(dir.path().join("aleph.db").is_file());
    }
}

mod postgres {
    use crate::suite::suite;

    suite!(crate::common::Postgres);

    #[tokio::test]
    async fn unreachable_server_is_unavailable() {
        let s = store::PgStore::connect("postgresql://aleph@127.0.0.1:9/nowhere", None)
            .await
            .unwrap();
        let err = store::Store::schema_version(&s).await.unwrap_err();
        assert!(err.is_transient(), "{err:?}");
    }

    #[tokio::test]
    async fn open_picks_postgres_for_postgres_uris() {
        // Keep the test database's default schema clean: name a schema of our own in the
        // URI, as a deployment sharing a database would.
        let (_, h) = crate::common::Postgres::unmigrated().await;
        let uri = format!("{}?options=-c%20search_path%3D{}", h.uri(), h.schema());
        let s = store::open(&uri).await.unwrap();
        assert_eq!(s.backend(), store::Backend::Postgres);
        assert_eq!(s.schema_version().await.unwrap(), store::LATEST_VERSION);
        let fresh = store::PgStore::connect(h.uri(), Some(h.schema()))
            .await
            .unwrap();
        assert_eq!(
            store::Store::schema_version(&fresh).await.unwrap(),
            store::LATEST_VERSION
        );
    }
}
