//! The workers: processes that take jobs from the job table and run pipeline stages
//! (ingest → analyze → index) on them.

pub mod sandbox;
