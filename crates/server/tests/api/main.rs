//! HTTP tests of the Aleph-compatible API, sent through the router without a socket. They
//! port what Aleph's own API tests check (auth header variants, 401/403 rules, collection
//! CRUD, `_bulk`, search and paging, archive tokens, roles, groups, permissions, sessions),
//! plus malformed input of every kind: every answer must be JSON, and never a 5xx.

#![allow(clippy::unwrap_used)]

mod common;

mod admin;
mod alerts;
mod archive;
mod audit;
mod auth;
mod authz_property;
mod base;
mod bulk;
mod collections;
mod entities;
mod entitysets;
mod exports;
mod ingest;
mod malformed;
mod mappings;
mod neighbours;
mod openapi;
mod paging;
mod process;
mod purge;
mod readiness;
mod reconcile;
mod roles;
mod search;
mod xref;
