//! The hand-maintained OpenAPI document (`src/openapi.json`) against the router
//! (`src/routes/mod.rs`): every route and method is described, nothing described is
//! missing from the router, and the document is what `GET /api/openapi.json` serves.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::Value;

use crate::common::TestApp;

const ROUTES: &str = include_str!("../../src/routes/mod.rs");
const DOCUMENT: &str = include_str!("../../src/openapi.json");
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// `(path, method)` of every `.route("path", get(..).post(..))` in the router's source.
fn routed() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut rest = ROUTES;
    while let Some(start) = rest.find(".route(") {
        let call = &rest[start + ".route(".len()..];
        // The arguments end at the parenthesis that closes `.route(`.
        let mut depth = 1;
        let end = call
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| i)
            .expect("balanced parentheses");
        let args = &call[..end];
        let open = args.find('"').expect("a path literal");
        let close = open + 1 + args[open + 1..].find('"').expect("a closed literal");
        let path = &args[open + 1..close];
        let handlers = &args[close + 1..];
        for method in METHODS {
            let needle = format!("{method}(");
            let called = handlers.match_indices(&needle).any(|(i, _)| {
                // `delete(` as a method, not `collections::delete` or `undelete(`.
                let before = handlers[..i].chars().next_back();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            });
            if called {
                out.insert((path.to_string(), method.to_string()));
            }
        }
        rest = &call[end..];
    }
    out
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                out.insert((path.clone(), method.to_string()));
            }
        }
    }
    out
}

/// Follow a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => doc
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {pointer}")),
        None => value,
    }
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let doc: Value = serde_json::from_str(DOCUMENT).expect("openapi.json is JSON");
    let routes = routed();
    assert!(
        routes.len() > 30,
        "the router parse found {} routes",
        routes.len()
    );
    assert!(routes.contains(&("/api/2/collections/{id}".into(), "delete".into())));
    let documented = documented(&doc);
    let missing: Vec<_> = routes.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.json: {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "openapi.json describes routes that do not exist: {stale:?}"
    );
}

#[test]
fn the_document_is_well_formed() {
    let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}"));
            assert!(
                operation_ids.insert(id.to_string()),
                "duplicate operationId {id}"
            );
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
            // Every `{param}` of the path is declared as a path parameter.
            let declared: BTreeSet<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| resolve(&doc, p))
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            let in_path: BTreeSet<String> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(str::to_string)
                .collect();
            assert_eq!(declared, in_path, "{method} {path}");
            for response in op["responses"].as_object().unwrap().values() {
                resolve(&doc, response);
            }
            if let Some(body) = op.get("requestBody") {
                assert!(body["content"].as_object().is_some_and(|c| !c.is_empty()));
            }
        }
    }
}

#[tokio::test]
async fn the_document_is_served() {
    let app = TestApp::new().await;
    let resp = app.get("/api/openapi.json").send().await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.headers["content-type"], "application/json");
    let served = resp.json();
    let file: Value = serde_json::from_str(DOCUMENT).unwrap();
    assert_eq!(served, file);
}

/// An upload whose stored bytes a purge of another collection deleted meanwhile answers
/// 409 (`services::upload`), which clients must be able to tell from a failure.
#[test]
fn the_upload_documents_its_conflict() {
    let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
    let responses = &doc["paths"]["/api/2/collections/{id}/ingest"]["post"]["responses"];
    let conflict = resolve(&doc, &responses["409"]);
    assert!(
        conflict["description"]
            .as_str()
            .is_some_and(|d| d.contains("upload it again")),
        "{conflict}"
    );
    assert_eq!(
        conflict["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Error"
    );
}
