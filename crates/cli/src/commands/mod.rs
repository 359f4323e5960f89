//! One module per command group; each parses its own arguments and returns an exit code.

pub mod admin;
pub mod audit;
pub mod client;
pub mod crawldir;
pub mod data;
pub mod export;
pub mod ftm;
pub mod index_upgrade;
pub mod mapping;
pub mod migrate;
pub mod processing;
pub mod serve;
pub mod xref;
