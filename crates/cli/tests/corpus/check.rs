//! Reading a processed collection back through the API and comparing it with what the
//! corpus expects: every entity from `_stream` (the store), phrases through `/search`
//! (the index).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Expect;
use crate::common::Server;

/// Every entity of a collection, by id, read from `_stream`.
pub async fn entities(server: &Server, collection_id: &str) -> BTreeMap<String, Value> {
    let body = reqwest::Client::new()
        .get(format!(
            "{}/api/2/collections/{collection_id}/_stream",
            server.url
        ))
        .header("Authorization", format!("ApiKey {}", server.api_key))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

pub fn values<'a>(entity: &'a Value, prop: &str) -> Vec<&'a str> {
    entity["properties"][prop]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

pub fn first<'a>(entity: &'a Value, prop: &str) -> &'a str {
    values(entity, prop).first().copied().unwrap_or("")
}

/// Files and folders (entities with a `fileName`) by their path in the collection.
pub fn by_path(all: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (id, e) in all {
        if first(e, "fileName").is_empty() {
            continue;
        }
        let mut names = vec![first(e, "fileName").to_string()];
        let mut parent = first(e, "parent").to_string();
        let mut guard = 0;
        while let Some(p) = all.get(&parent) {
            names.push(first(p, "fileName").to_string());
            parent = first(p, "parent").to_string();
            guard += 1;
            assert!(guard < 100, "a parent cycle at {id}");
        }
        names.reverse();
        if let Some(old) = out.insert(names.join("/"), id.clone()) {
            panic!("two files at {}: {old} and {id}", names.join("/"));
        }
    }
    out
}

/// `entity` was made from the file `doc_id`: it is the file, a descendant, a page of it, or
/// something it names or that names it.
fn related(all: &BTreeMap<String, Value>, entity: &Value, doc_id: &str) -> bool {
    let id = entity["id"].as_str().unwrap_or("");
    if id == doc_id {
        return true;
    }
    for prop in ["parent", "ancestors", "document", "proof"] {
        if values(entity, prop).contains(&doc_id) {
            return true;
        }
    }
    all.get(doc_id).is_some_and(|doc| {
        doc["properties"].as_object().is_some_and(|props| {
            props
                .values()
                .filter_map(Value::as_array)
                .flatten()
                .any(|v| v.as_str() == Some(id))
        })
    })
}

/// Ids of the entities a full-text search for `phrase` in the collection returns.
pub async fn search(server: &Server, collection_id: &str, phrase: &str) -> Vec<String> {
    let response = reqwest::Client::new()
        .get(format!("{}/api/2/search", server.url))
        .query(&[
            ("q", phrase),
            ("filter:collection_id", collection_id),
            // What the web UI asks for: every Thing (documents, people, events…).
            ("filter:schemata", "Thing"),
            ("limit", "50"),
        ])
        .header("Authorization", format!("ApiKey {}", server.api_key))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let page: Value = response.json().await.unwrap();
    assert!(status.is_success(), "search {phrase:?}: {status} {page}");
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

/// What does not match the expectations, one line per problem.
pub async fn problems(server: &Server, collection_id: &str, expects: &[Expect]) -> Vec<String> {
    let all = entities(server, collection_id).await;
    let paths = by_path(&all);
    let mut problems = Vec::new();
    // Every file and folder carries the processing facts, and its ancestors chain.
    for (path, id) in &paths {
        let e = &all[id];
        for prop in ["processingStatus", "processingAgent", "processedAt"] {
            if first(e, prop).is_empty() {
                problems.push(format!("{path}: no {prop}"));
            }
        }
        if !first(e, "contentHash").is_empty() {
            for prop in ["fileSize", "mimeType"] {
                if first(e, prop).is_empty() {
                    problems.push(format!("{path}: no {prop}"));
                }
            }
        }
        let parent = first(e, "parent");
        if let Some(p) = all.get(parent) {
            let mut want: Vec<&str> = values(p, "ancestors");
            want.push(parent);
            if values(e, "ancestors") != want {
                problems.push(format!(
                    "{path}: ancestors {:?}, expected {want:?}",
                    values(e, "ancestors")
                ));
            }
        }
    }
    for x in expects {
        let Some(id) = paths.get(&x.rel) else {
            problems.push(format!("{}: not in the collection", x.rel));
            continue;
        };
        let e = &all[id];
        let schema = e["schema"].as_str().unwrap_or("");
        if schema != x.schema {
            problems.push(format!("{}: schema {schema}, expected {}", x.rel, x.schema));
        }
        let status = first(e, "processingStatus");
        let error = first(e, "processingError");
        if status != x.status {
            problems.push(format!(
                "{}: status {status:?} ({error}), expected {}",
                x.rel, x.status
            ));
        }
        if let Some(why) = x.error
            && !error.to_lowercase().contains(why)
        {
            problems.push(format!(
                "{}: error {error:?} does not mention {why:?}",
                x.rel
            ));
        }
        let mut children: Vec<&str> = all
            .values()
            .filter(|c| first(c, "parent") == id && !first(c, "fileName").is_empty())
            .map(|c| first(c, "fileName"))
            .collect();
        children.sort();
        let is_container = matches!(x.schema, "Package" | "Email") || !x.children.is_empty();
        if is_container && children != x.children && !x.derived.iter().any(|d| d.0 == "Email") {
            problems.push(format!(
                "{}: children {children:?}, expected {:?}",
                x.rel, x.children
            ));
        }
        for (derived, n) in &x.derived {
            let found = all
                .values()
                .filter(|d| d["schema"] == *derived && related(&all, d, id) && d["id"] != *id)
                .count();
            if found != *n {
                problems.push(format!(
                    "{}: {found} {derived} entities, expected {n}",
                    x.rel
                ));
            }
        }
        if let Some(phrase) = x.phrase {
            let hits = search(server, collection_id, phrase).await;
            let ok = hits
                .iter()
                .filter_map(|h| all.get(h))
                .any(|h| related(&all, h, id) || descends(&all, h, id));
            if !ok {
                let schemata: BTreeSet<&str> = hits
                    .iter()
                    .filter_map(|h| all.get(h))
                    .filter_map(|h| h["schema"].as_str())
                    .collect();
                problems.push(format!(
                    "{}: a search for {phrase:?} finds nothing made from it ({} hits: {schemata:?})",
                    x.rel,
                    hits.len()
                ));
            }
        }
    }
    problems
}

/// `entity` sits somewhere below `doc_id` (through parents), or is a page of such a file.
fn descends(all: &BTreeMap<String, Value>, entity: &Value, doc_id: &str) -> bool {
    let mut current = entity;
    for _ in 0..100 {
        let up = [first(current, "parent"), first(current, "document")]
            .into_iter()
            .find(|p| !p.is_empty());
        match up {
            Some(p) if p == doc_id => return true,
            Some(p) => match all.get(p) {
                Some(next) => current = next,
                None => return false,
            },
            None => return false,
        }
    }
    false
}
