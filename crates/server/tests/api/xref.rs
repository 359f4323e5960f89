//! Cross-referencing through the API: runs queued in the job ledger, Aleph's listing
//! shape and filters, permission filtering, mentions in both directions, decisions,
//! profiles, the export, query by example, and runs that resume and continue
//! incrementally.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use server::services::xref::{self as service, Route, RunOptions};
use store::{Access, JobOutcome, Stage, XrefQuery, XrefRunState};

use crate::common::{TestApp, User};

fn entity(value: Value) -> ftm::Entity {
    ftm::Entity::from_json(value, false).unwrap()
}

/// A mention, written as the analyzer writes them (not through `_bulk`: the schema is
/// hidden).
async fn mention(app: &TestApp, collection_id: i64, id: &str, name: &str, resolved: &str) {
    let m = entity(json!({"id": id, "schema": "Mention", "properties": {
        "name": [name], "resolved": [resolved], "document": ["doc"],
        "detectedSchema": ["Person"]}}));
    app.state
        .store
        .put_fragments(collection_id, &format!("analyze:{id}"), &[m])
        .await
        .unwrap();
}

struct World {
    app: TestApp,
    alice: User,
    bob: User,
    leak: i64,
    sanctions: i64,
    secret: i64,
}

/// Alice's leak, a sanctions list she can read, and Bob's secret collection.
async fn world() -> World {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let leak = app.collection(&alice, "leak").await;
    let sanctions = app.collection(&bob, "sanctions").await;
    let secret = app.collection(&bob, "secret").await;
    app.grant(sanctions, alice.id, Access::Read).await;
    app.bulk(
        &alice,
        leak,
        &json!([
            {"id": "a-putin", "schema": "Person", "properties": {
                "name": ["Vladimir Putin"], "birthDate": ["1952-10-07"]}},
            {"id": "a-acme", "schema": "Company", "properties": {
                "name": ["Acme Trading Ltd"], "jurisdiction": ["gb"]}},
            {"id": "a-other", "schema": "Person", "properties": {"name": ["Jane Roe"]}},
        ]),
    )
    .await;
    mention(&app, leak, "a-mention", "Viktor Yanukovych", "r-yanukovych").await;
    app.bulk(
        &bob,
        sanctions,
        &json!([
            {"id": "s-putin", "schema": "Person", "properties": {
                "name": ["PUTIN, Vladimir Vladimirovich"], "birthDate": ["1952-10-07"]}},
            {"id": "s-yanukovych", "schema": "Person", "properties": {
                "name": ["Viktor Fedorovych Yanukovych"]}},
            {"id": "s-acme", "schema": "Company", "properties": {
                "name": ["ACME TRADING LIMITED"], "jurisdiction": ["gb"]}},
        ]),
    )
    .await;
    mention(&app, sanctions, "s-mention", "Jane Roe", "r-roe").await;
    app.bulk(
        &bob,
        secret,
        &json!([{"id": "x-putin", "schema": "Person", "properties": {
            "name": ["Vladimir Putin"], "birthDate": ["1952-10-07"]}}]),
    )
    .await;
    World {
        app,
        alice,
        bob,
        leak,
        sanctions,
        secret,
    }
}

/// Run the queued xref jobs as a worker would.
async fn work_xref_queue(app: &TestApp) -> usize {
    let store = &app.state.store;
    let mut done = 0;
    loop {
        let jobs = store
            .claim(
                "test-worker",
                &[Stage::XREF.as_str()],
                1,
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        let Some(job) = jobs.into_iter().next() else {
            return done;
        };
        let outcome = service::run_job(store, &job).await;
        assert!(
            matches!(outcome, JobOutcome::Succeeded { .. }),
            "{outcome:?}"
        );
        store
            .complete("test-worker", job.id, outcome)
            .await
            .unwrap();
        done += 1;
    }
}

/// An id without the signature `_bulk` adds (`a-putin.4f1c…` is `a-putin`).
fn short(id: &str) -> String {
    id.split('.').next().unwrap_or(id).to_string()
}

fn pairs(listing: &Value) -> BTreeSet<(String, String)> {
    listing["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                short(r["entity"]["id"].as_str().unwrap()),
                short(r["match"]["id"].as_str().unwrap()),
            )
        })
        .collect()
}

/// The stored (signed) id of an entity.
async fn full_id(app: &TestApp, collection_id: i64, short_id: &str) -> String {
    let page = app
        .state
        .store
        .entity_page(store::EntityFilter::collection(collection_id), None, 1000)
        .await
        .unwrap();
    page.batch
        .entities
        .iter()
        .map(|e| e.entity.id().unwrap().to_string())
        .find(|id| short(id) == short_id)
        .unwrap()
}

/// The full ids of several short ids, each in its collection.
async fn full_ids<'a>(
    app: &TestApp,
    short_ids: &[(i64, &'a str)],
) -> std::collections::HashMap<&'a str, String> {
    let mut ids = std::collections::HashMap::new();
    for &(collection_id, id) in short_ids {
        ids.insert(id, full_id(app, collection_id, id).await);
    }
    ids
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

async fn listing(app: &TestApp, user: &User, collection_id: i64, query: &str) -> Value {
    let resp = app
        .get(&format!("/api/2/collections/{collection_id}/xref?{query}"))
        .auth(user)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    resp.json()
}

#[tokio::test]
async fn xref_runs_as_a_job_and_lists_readable_matches_in_alephs_shape() {
    let w = world().await;
    let (app, alice) = (&w.app, &w.alice);
    let uri = format!("/api/2/collections/{}/xref", w.leak);
    // Queueing needs write access; a reader gets a 403, strangers too.
    app.post(&uri)
        .auth(&w.bob)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let resp = app.post(&uri).auth(alice).json(&json!({})).send().await;
    resp.expect(StatusCode::ACCEPTED);
    assert_eq!(resp.json(), json!({"status": "accepted"}));
    // Twice queued is one run.
    app.post(&uri)
        .auth(alice)
        .send()
        .await
        .expect(StatusCode::ACCEPTED);
    assert_eq!(work_xref_queue(app).await, 1);

    let body = listing(app, alice, w.leak, "").await;
    let found = pairs(&body);
    // Entities against entities, mentions in the leak against entities of the list, and
    // entities of the leak against mentions in the list.
    for expected in [
        pair("a-putin", "s-putin"),
        pair("a-acme", "s-acme"),
        pair("a-mention", "s-yanukovych"),
        pair("a-other", "s-mention"),
    ] {
        assert!(
            found.contains(&expected),
            "{expected:?} missing from {found:?}"
        );
    }
    let secret = w.secret.to_string();
    // Alice cannot read Bob's secret collection: no match into it, not even counted.
    assert!(!found.iter().any(|(_, m)| m == "x-putin"), "{found:?}");
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["match_collection_id"] != secret.as_str())
    );
    assert_eq!(body["total"], found.len());
    // Aleph's paging envelope and item shape.
    for key in [
        "status", "total", "page", "pages", "limit", "offset", "next", "previous",
    ] {
        assert!(body.get(key).is_some(), "{key} missing");
    }
    let first = &body["results"][0];
    for key in [
        "id",
        "score",
        "doubt",
        "method",
        "schema",
        "collection_id",
        "created_at",
        "entity",
        "match",
        "judgement",
        "writeable",
        "explanation",
    ] {
        assert!(first.get(key).is_some(), "{key} missing from {first}");
    }
    assert_eq!(first["collection_id"], w.leak.to_string());
    assert_eq!(first["judgement"], "no_judgement");
    assert_eq!(first["writeable"], true);
    assert_eq!(first["method"], xref::METHOD);
    assert!(
        !first["explanation"]["features"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(first["match"]["collection"]["id"], w.sanctions.to_string());
    // Best first, all above Aleph's cutoff.
    let scores: Vec<f64> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|s| s[0] >= s[1]), "{scores:?}");
    assert!(scores.iter().all(|s| *s > 0.5));

    // The administrator sees the match into the secret collection too.
    let all = listing(app, &app.admin, w.leak, "").await;
    assert!(pairs(&all).contains(&pair("a-putin", "x-putin")));
    // Asking for the secret collection by filter does not help Alice.
    let filtered = listing(
        app,
        alice,
        w.leak,
        &format!("filter:match_collection_id={}", w.secret),
    )
    .await;
    assert_eq!(filtered["total"], 0);
    // Filters: matched collection, schema, country, score range; sort by score only.
    let only = listing(
        app,
        &app.admin,
        w.leak,
        &format!("filter:match_collection_id={}", w.secret),
    )
    .await;
    assert_eq!(pairs(&only), BTreeSet::from([pair("a-putin", "x-putin")]));
    let companies = listing(app, alice, w.leak, "filter:schema=Company").await;
    assert_eq!(
        pairs(&companies),
        BTreeSet::from([pair("a-acme", "s-acme")])
    );
    let gb = listing(app, alice, w.leak, "filter:countries=gb").await;
    assert_eq!(pairs(&gb), BTreeSet::from([pair("a-acme", "s-acme")]));
    let top = scores[0];
    let high = listing(app, alice, w.leak, &format!("filter:gte:score={top}")).await;
    assert!(high["total"].as_u64().unwrap() >= 1);
    assert!(pairs(&high).len() < found.len());
    let low = listing(app, alice, w.leak, &format!("filter:lt:score={top}")).await;
    assert_eq!(
        low["total"].as_u64().unwrap() + high["total"].as_u64().unwrap(),
        found.len() as u64
    );
    let paged = listing(app, alice, w.leak, "limit=1&offset=1").await;
    assert_eq!(paged["results"].as_array().unwrap().len(), 1);
    assert_eq!(paged["results"][0]["score"].as_f64().unwrap(), scores[1]);
    app.get(&format!("{uri}?sort=random"))
        .auth(alice)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);

    // Reading needs read access to the collection itself.
    app.expect_each(
        &uri,
        &[
            (Method::GET, Some(&w.bob), StatusCode::FORBIDDEN),
            (Method::GET, None, StatusCode::FORBIDDEN),
        ],
    )
    .await;

    // The collection status shows the run.
    let status = app
        .get(&format!("/api/2/collections/{}/status", w.leak))
        .auth(alice)
        .send()
        .await;
    status.expect(StatusCode::OK);
    let xref = &status.json()["xref"];
    assert_eq!(xref["state"], "completed");
    assert_eq!(xref["percent"], 100.0);
    assert!(xref["processed"].as_u64().unwrap() >= 7);

    // The export has the same rows, as a spreadsheet.
    let resp = app.get(&format!("{uri}.xlsx")).auth(alice).send().await;
    resp.expect(StatusCode::OK);
    assert!(
        resp.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(resp.body.starts_with(b"PK"));
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(resp.body.to_vec())).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut book, "Cross-reference").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(rows[0][..3], ["Score", "Judgement", "Entity"]);
    let sheet_scores: Vec<f64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    // The workbook keeps 15 significant digits.
    assert_eq!(sheet_scores.len(), scores.len());
    assert!(
        sheet_scores
            .iter()
            .zip(&scores)
            .all(|(a, b)| (a - b).abs() < 1e-12),
        "{sheet_scores:?} {scores:?}"
    );
    app.get(&format!("{uri}.xlsx"))
        .auth(&w.bob)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn decisions_are_remembered() {
    let w = world().await;
    let (app, alice) = (&w.app, &w.alice);
    service::run(&app.state.store, w.leak, &RunOptions::default())
        .await
        .unwrap();
    let ids = full_ids(
        app,
        &[
            (w.leak, "a-acme"),
            (w.leak, "a-putin"),
            (w.sanctions, "s-acme"),
            (w.sanctions, "s-putin"),
        ],
    )
    .await;
    let ids = &ids;
    let judge = |user: &User, entity_id: &str, match_id: &str, judgement: &str| {
        let body = json!({"entity_id": ids[entity_id], "match_id": ids[match_id],
            "judgement": judgement, "collection_id": w.leak,
            "match_collection_id": w.sanctions});
        let user = user.clone();
        async move {
            app.post("/api/2/profiles/_pairwise")
                .auth(&user)
                .json(&body)
                .send()
                .await
        }
    };
    // Judging needs write access to the entity's collection.
    judge(&w.bob, "a-acme", "s-acme", "negative")
        .await
        .expect(StatusCode::FORBIDDEN);
    app.post("/api/2/profiles/_pairwise")
        .json(&json!({"entity_id": ids["a-acme"], "match_id": ids["s-acme"], "judgement": "negative"}))
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    judge(alice, "a-acme", "s-acme", "maybe")
        .await
        .expect(StatusCode::BAD_REQUEST);

    // A negative pair goes and is not proposed again, even by a full rerun.
    let resp = judge(alice, "a-acme", "s-acme", "negative").await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.json()["status"], "ok");
    assert!(!pairs(&listing(app, alice, w.leak, "").await).contains(&pair("a-acme", "s-acme")));
    let full = RunOptions {
        full: true,
        ..RunOptions::default()
    };
    service::run(&app.state.store, w.leak, &full).await.unwrap();
    let after = listing(app, alice, w.leak, "").await;
    assert!(!pairs(&after).contains(&pair("a-acme", "s-acme")));
    assert!(pairs(&after).contains(&pair("a-putin", "s-putin")));

    // A positive pair gets a profile, shown in the listing and as a merged entity.
    let resp = judge(alice, "a-putin", "s-putin", "positive").await;
    resp.expect(StatusCode::OK);
    let profile_id = resp.json()["profile_id"].as_str().unwrap().to_string();
    let listed = listing(app, alice, w.leak, "").await;
    let item = listed["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["entity"]["id"] == ids["a-putin"].as_str()
                && r["match"]["id"] == ids["s-putin"].as_str()
        })
        .unwrap()
        .clone();
    assert_eq!(item["judgement"], "positive");
    assert_eq!(item["profile_id"], profile_id.as_str());
    let profile = app
        .get(&format!("/api/2/profiles/{profile_id}"))
        .auth(alice)
        .send()
        .await;
    profile.expect(StatusCode::OK);
    let profile = profile.json();
    assert_eq!(profile["id"], profile_id.as_str());
    let mut members: Vec<String> = profile["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| short(v.as_str().unwrap()))
        .collect();
    members.sort();
    assert_eq!(members, ["a-putin", "s-putin"]);
    let names = profile["merged"]["properties"]["name"].as_array().unwrap();
    assert_eq!(names.len(), 2, "{profile}");
    // Nobody who cannot read either side sees the profile.
    let carol = app.user("carol").await;
    app.get(&format!("/api/2/profiles/{profile_id}"))
        .auth(&carol)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
    // Unsure is recorded; no_judgement takes the decision back.
    judge(alice, "a-putin", "s-putin", "no_judgement")
        .await
        .expect(StatusCode::OK);
    let listed = listing(app, alice, w.leak, "").await;
    assert!(
        listed["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["judgement"] == "no_judgement")
    );
}

#[tokio::test]
async fn a_run_resumes_from_its_checkpoint_and_continues_incrementally() {
    let w = world().await;
    let store = &w.app.state.store;
    let small = RunOptions {
        batch_size: 2,
        max_batches: Some(2),
        ..RunOptions::default()
    };
    // "Crash" after two batches: the run is left running with its checkpoint.
    let first = service::run(store, w.leak, &small).await.unwrap();
    assert_eq!(
        (first.mode, first.batches, first.completed),
        ("full", 2, false)
    );
    let run = store.xref_run(w.leak).await.unwrap().unwrap();
    assert_eq!(run.state, XrefRunState::Running);
    assert_eq!(run.processed, first.scanned);
    assert!(run.total > run.processed);
    let progress = service::progress(store, w.leak).await.unwrap();
    assert_eq!(progress["state"], "running");
    assert!(progress["percent"].as_f64().unwrap() < 100.0);

    // The rerun continues where it stopped: nothing is streamed twice.
    let rest = RunOptions {
        batch_size: 2,
        ..RunOptions::default()
    };
    let second = service::run(store, w.leak, &rest).await.unwrap();
    assert_eq!(second.mode, "resumed");
    assert!(second.completed);
    let run = store.xref_run(w.leak).await.unwrap().unwrap();
    assert_eq!(run.state, XrefRunState::Completed);
    assert_eq!(first.scanned + second.scanned, run.total);
    assert_eq!(run.processed, run.total);
    let resumed = all_pairs(store, w.leak).await;

    // The same as a run that never stopped.
    let full = RunOptions {
        full: true,
        ..RunOptions::default()
    };
    let clean = service::run(store, w.leak, &full).await.unwrap();
    assert_eq!(clean.mode, "full");
    assert_eq!(clean.scanned, run.total);
    assert_eq!(all_pairs(store, w.leak).await, resumed);

    // Nothing changed: an incremental run streams only what changed (nothing).
    let idle = service::run(store, w.leak, &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(idle.mode, "incremental");
    assert_eq!(idle.written, 0);
    assert_eq!(all_pairs(store, w.leak).await, resumed);

    // A new entity in the leak is matched without redoing the rest.
    w.app
        .bulk(
            &w.alice,
            w.leak,
            &json!([{"id": "a-yanukovych", "schema": "Person",
                "properties": {"name": ["Yanukovych Viktor"]}}]),
        )
        .await;
    // And a new entity in the list is matched against the leak's old entities.
    w.app
        .bulk(
            &w.bob,
            w.sanctions,
            &json!([{"id": "s-roe", "schema": "Person", "properties": {"name": ["Roe, Jane"]}}]),
        )
        .await;
    let more = service::run(store, w.leak, &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(more.mode, "incremental");
    assert!(more.completed);
    assert!(more.written >= 2, "{more:?}");
    let now = all_pairs(store, w.leak).await;
    assert!(
        now.contains(&pair("a-yanukovych", "s-yanukovych")),
        "{now:?}"
    );
    assert!(now.contains(&pair("a-other", "s-roe")), "{now:?}");
    assert!(now.is_superset(&resumed));
    // The new pass streamed every target once for the one new source, and only the
    // changed targets for all the old ones.
    assert!(more.sources >= 1);
}

async fn all_pairs(
    store: &std::sync::Arc<dyn store::Store>,
    collection_id: i64,
) -> BTreeSet<(String, String)> {
    let mut q = XrefQuery::collection(collection_id);
    q.limit = 1000;
    q.min_score = Some(service::SCORE_CUTOFF);
    store
        .xref_matches(&q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| (short(&i.matched.entity_id), short(&i.matched.match_id)))
        .collect()
}

#[tokio::test]
async fn match_by_example_uses_the_matcher_within_readable_collections() {
    let w = world().await;
    let (app, alice) = (&w.app, &w.alice);
    let example = json!({"schema": "Person", "properties": {
        "name": ["Vladimir Putin"], "birthDate": ["1952-10-07"]}});
    let resp = app
        .post("/api/2/match")
        .auth(alice)
        .json(&example)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let body = resp.json();
    let ids: Vec<String> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| short(r["id"].as_str().unwrap()))
        .collect();
    assert!(
        ids.contains(&"a-putin".into()) && ids.contains(&"s-putin".into()),
        "{ids:?}"
    );
    assert!(!ids.contains(&"x-putin".into()), "{ids:?}");
    assert!(!ids.contains(&"a-other".into()));
    let first = &body["results"][0];
    assert!(first["score"].as_f64().unwrap() > 0.9);
    assert!(first["explanation"]["features"].is_array());
    // Narrowed to one collection.
    let resp = app
        .post(&format!("/api/2/match?collection_ids={}", w.sanctions))
        .auth(alice)
        .json(&example)
        .send()
        .await;
    let ids: Vec<String> = resp.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| short(r["id"].as_str().unwrap()))
        .collect();
    assert_eq!(ids, ["s-putin"]);
    // The administrator reads everything.
    let resp = app
        .post("/api/2/match")
        .auth(&app.admin)
        .json(&example)
        .send()
        .await;
    assert!(
        resp.json()["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| short(r["id"].as_str().unwrap()) == "x-putin")
    );
    // Not an entity: a 400.
    app.post("/api/2/match")
        .auth(alice)
        .json(&json!({"schema": "NoSuchSchema"}))
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
}

/// Every stored match of a collection (any score, any target) with its score.
async fn scored_pairs(
    store: &std::sync::Arc<dyn store::Store>,
    collection_id: i64,
) -> BTreeSet<(String, i64, String, String, String)> {
    let mut q = XrefQuery::collection(collection_id);
    q.limit = 1000;
    store
        .xref_matches(&q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| {
            let m = i.matched;
            (
                short(&m.entity_id),
                m.match_collection_id,
                short(&m.match_id),
                format!("{:.6}", m.score),
                m.method,
            )
        })
        .collect()
}

#[tokio::test]
async fn the_index_route_finds_the_same_matches_as_the_memory_route() {
    let w = world().await;
    let store = &w.app.state.store;
    let memory = service::run(
        store,
        w.leak,
        &RunOptions {
            route: Some(Route::Memory),
            ..RunOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((memory.route, memory.completed), ("memory", true));
    let by_memory = scored_pairs(store, w.leak).await;
    // Both mention directions and a plain pair are among them.
    let names: BTreeSet<(String, String)> = by_memory
        .iter()
        .map(|(a, _, b, _, _)| (a.clone(), b.clone()))
        .collect();
    for expected in [
        pair("a-putin", "s-putin"),
        pair("a-mention", "s-yanukovych"),
        pair("a-other", "s-mention"),
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    assert!(by_memory.iter().all(|p| p.4 == xref::METHOD));

    let index_options = RunOptions {
        full: true,
        route: Some(Route::Index),
        index: Some(w.app.state.index.clone()),
        batch_size: 2,
        ..RunOptions::default()
    };
    let by_index_run = service::run(store, w.leak, &index_options).await.unwrap();
    assert_eq!(
        (by_index_run.route, by_index_run.completed),
        ("index", true)
    );
    assert_eq!(scored_pairs(store, w.leak).await, by_memory);

    // A collection larger than the memory chunk is matched a chunk of sources at a time
    // (here one per chunk, the targets streamed once per chunk): the same pairs, the
    // route unchanged, and a run stopped between chunks resumes into the next one.
    let chunked = RunOptions {
        full: true,
        index: Some(w.app.state.index.clone()),
        memory_chunk: 1,
        batch_size: 2,
        ..RunOptions::default()
    };
    let first = service::run(
        store,
        w.leak,
        &RunOptions {
            max_batches: Some(3),
            ..chunked.clone()
        },
    )
    .await
    .unwrap();
    assert!(!first.completed);
    let rest = service::run(
        store,
        w.leak,
        &RunOptions {
            full: false,
            ..chunked.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (rest.mode, rest.route, rest.completed),
        ("resumed", "memory", true)
    );
    assert!(rest.sources > 1, "{rest:?}");
    assert_eq!(scored_pairs(store, w.leak).await, by_memory);
    let whole = service::run(store, w.leak, &chunked).await.unwrap();
    assert!(whole.scanned > memory.scanned, "{whole:?} {memory:?}");
    assert_eq!(scored_pairs(store, w.leak).await, by_memory);
    let auto = RunOptions {
        full: true,
        index: Some(w.app.state.index.clone()),
        ..RunOptions::default()
    };
    assert_eq!(
        service::run(store, w.leak, &auto).await.unwrap().route,
        "memory"
    );

    // Incremental on the index route: a new target entity meets the old sources.
    service::run(store, w.leak, &index_options).await.unwrap();
    w.app
        .bulk(
            &w.bob,
            w.sanctions,
            &json!([{"id": "s-roe", "schema": "Person", "properties": {"name": ["Roe, Jane"]}}]),
        )
        .await;
    let more = service::run(
        store,
        w.leak,
        &RunOptions {
            full: false,
            ..index_options.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!((more.mode, more.route), ("incremental", "index"));
    assert!(
        all_pairs(store, w.leak)
            .await
            .contains(&pair("a-other", "s-roe"))
    );
}

/// A name word for entity `i` that is no one edit from any other (`Meraa`, `Merab`…).
fn filler_word(i: usize) -> String {
    let letter = |n: usize| char::from(b'a' + (n % 26) as u8);
    format!("Mer{}{}", letter(i / 26), letter(i))
}

#[tokio::test]
async fn the_index_route_finds_a_pair_among_many_sharing_its_common_words() {
    // The leak's company shares a rare word with its match, and two common ones ("Finance",
    // "OOO") with 80 others: more than the hits asked per entity. Ranked by relevance, the
    // rare word must count more than the common ones, or the match falls off the page.
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let leak = app.collection(&alice, "leak").await;
    let list = app.collection(&alice, "list").await;
    let people = app.collection(&alice, "people").await;
    app.bulk(
        &alice,
        leak,
        &json!([{"id": "l-pejutu", "schema": "Company", "properties": {
            "name": ["Pejutu Finance OOO"], "jurisdiction": ["ru"]}}]),
    )
    .await;
    let mut listed = vec![
        json!({"id": "w-pejutu", "schema": "Company", "properties": {
        "name": ["Pejutu Finance GmbH"], "jurisdiction": ["ru"]}}),
    ];
    listed.extend((0..80).map(|i| {
        json!({"id": format!("w-{i}"), "schema": "Company", "properties": {
            "name": [format!("{} Finance OOO", filler_word(i))]}})
    }));
    app.bulk(&alice, list, &Value::Array(listed)).await;
    // Other entities in the index, so that "Finance" and "OOO" are common but not
    // everywhere.
    let others: Vec<Value> = (0..240)
        .map(|i| {
            json!({"id": format!("p-{i}"), "schema": "Person", "properties": {
                "name": [format!("Anna {}", filler_word(i + 100))]}})
        })
        .collect();
    app.bulk(&alice, people, &Value::Array(others)).await;

    let store = &app.state.store;
    let options = RunOptions {
        against: Some(vec![list]),
        full: true,
        route: Some(Route::Index),
        index: Some(app.state.index.clone()),
        ..RunOptions::default()
    };
    let run = service::run(store, leak, &options).await.unwrap();
    assert_eq!((run.route, run.completed), ("index", true));
    let found = all_pairs(store, leak).await;
    assert!(found.contains(&pair("l-pejutu", "w-pejutu")), "{found:?}");
    // The memory route finds it too: the pair is a real match, not an index artefact.
    let memory = RunOptions {
        route: Some(Route::Memory),
        ..options
    };
    service::run(store, leak, &memory).await.unwrap();
    assert!(
        all_pairs(store, leak)
            .await
            .contains(&pair("l-pejutu", "w-pejutu"))
    );
}

#[tokio::test]
async fn a_run_of_a_newer_method_scores_every_pair_again() {
    let w = world().await;
    let store = &w.app.state.store;
    service::run(store, w.leak, &RunOptions::default())
        .await
        .unwrap();
    let before = scored_pairs(store, w.leak).await;
    assert!(!before.is_empty());
    // The same method continues incrementally (nothing changed, nothing written).
    let idle = service::run(store, w.leak, &RunOptions::default())
        .await
        .unwrap();
    assert_eq!((idle.mode, idle.written), ("incremental", 0));
    // Make the last run look as if an older matcher had scored it.
    let mut run = store.xref_run(w.leak).await.unwrap().unwrap();
    run.cursor["method"] = json!("xref-v1");
    store.save_xref_batch(&run, &[]).await.unwrap();
    let again = service::run(store, w.leak, &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(again.mode, "full");
    assert!(again.written >= before.len() as u64);
    let after = scored_pairs(store, w.leak).await;
    assert_eq!(after, before);
    assert!(after.iter().all(|p| p.4 == xref::METHOD));
}

#[tokio::test]
async fn writers_are_told_when_a_run_finishes() {
    let w = world().await;
    let (app, alice, bob) = (&w.app, &w.alice, &w.bob);
    let carol = app.user("carol").await;
    let dave = app.user("dave").await;
    app.grant(w.leak, carol.id, Access::Write).await;
    app.grant(w.leak, dave.id, Access::Read).await;
    service::run(&app.state.store, w.leak, &RunOptions::default())
        .await
        .unwrap();
    let shown = listing(app, alice, w.leak, "limit=0").await["total"]
        .as_u64()
        .unwrap();
    for (user, told) in [(alice, true), (&carol, true), (&dave, false), (bob, false)] {
        let resp = app.get("/api/2/notifications").auth(user).send().await;
        resp.expect(StatusCode::OK);
        let body = resp.json();
        let finished: Vec<&Value> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["event"]["name"] == "xref_finished")
            .collect();
        assert_eq!(finished.len(), usize::from(told), "{}: {body}", user.email);
        if told {
            let n = finished[0];
            assert_eq!(n["params"]["collection"]["id"], w.leak.to_string(), "{n}");
            // Each writer's count is what their own listing shows: Carol cannot read
            // the sanctions list, and nobody but Bob can read his secret one.
            let theirs = listing(app, user, w.leak, "limit=0").await["total"].clone();
            assert_eq!(n["params"]["matches"], theirs, "{}: {n}", user.email);
            // The message shows that count.
            let template = n["event"]["template"].as_str().unwrap_or_default();
            assert!(template.contains("{{matches}}"), "{n}");
        }
    }
    assert!(shown > 0);
}

#[tokio::test]
async fn decisions_are_profile_entity_sets() {
    let w = world().await;
    let (app, alice) = (&w.app, &w.alice);
    app.bulk(
        alice,
        w.leak,
        &json!([{"id": "a-putin-2", "schema": "Person", "properties": {
            "name": ["Putin, Vladimir V."], "birthDate": ["1952-10-07"]}}]),
    )
    .await;
    let store = &app.state.store;
    service::run(store, w.leak, &RunOptions::default())
        .await
        .unwrap();
    let ids = full_ids(
        app,
        &[
            (w.leak, "a-putin"),
            (w.leak, "a-putin-2"),
            (w.leak, "a-acme"),
            (w.sanctions, "s-putin"),
            (w.sanctions, "s-acme"),
        ],
    )
    .await;
    let pairwise = |entity: &str, matched: &str, judgement: &str| {
        let body = json!({"entity_id": ids[entity], "match_id": ids[matched],
            "judgement": judgement});
        async move {
            let resp = app
                .post("/api/2/profiles/_pairwise")
                .auth(alice)
                .json(&body)
                .send()
                .await;
            resp.expect(StatusCode::OK);
            resp.json()["profile_id"].as_str().map(str::to_string)
        }
    };
    let items = |set: String| async move {
        let resp = app
            .get(&format!("/api/2/entitysets/{set}/items"))
            .auth(alice)
            .send()
            .await;
        resp.expect(StatusCode::OK);
        let mut out: Vec<(String, String, Value)> = resp.json()["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    short(i["entity_id"].as_str().unwrap()),
                    i["judgement"].as_str().unwrap().to_string(),
                    i["compared_to_entity_id"].clone(),
                )
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    };
    let judgement_of = |entity: &'static str, matched: &'static str| async move {
        let listed = listing(app, alice, w.leak, "").await;
        listed["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                short(r["entity"]["id"].as_str().unwrap()) == entity
                    && short(r["match"]["id"].as_str().unwrap()) == matched
            })
            .map(|r| (r["judgement"].clone(), r["profile_id"].clone()))
    };

    // A pair judged through _pairwise is a profile set in the entity's collection.
    let p = pairwise("a-putin", "s-putin", "positive").await.unwrap();
    let sets = app
        .get("/api/2/entitysets?filter:type=profile")
        .auth(alice)
        .send()
        .await;
    sets.expect(StatusCode::OK);
    let sets = sets.json();
    assert_eq!(sets["total"], 1, "{sets}");
    assert_eq!(sets["results"][0]["id"], p.as_str());
    assert_eq!(sets["results"][0]["type"], "profile");
    assert_eq!(sets["results"][0]["collection"]["id"], w.leak.to_string());
    assert_eq!(
        items(p.clone()).await,
        [
            ("a-putin".into(), "positive".into(), Value::Null),
            ("s-putin".into(), "positive".into(), json!(ids["a-putin"])),
        ]
    );
    assert_eq!(
        judgement_of("a-putin", "s-putin").await,
        Some((json!("positive"), json!(p)))
    );
    // Lists are not profiles.
    let resp = app
        .get("/api/2/entitysets?filter:type=list")
        .auth(alice)
        .send()
        .await;
    assert_eq!(resp.json()["total"], 0);

    // A negative pair through _pairwise is a negative item.
    let q = pairwise("a-acme", "s-acme", "negative").await.unwrap();
    assert_ne!(q, p);
    assert_eq!(
        items(q.clone()).await,
        [
            ("a-acme".into(), "positive".into(), Value::Null),
            ("s-acme".into(), "negative".into(), json!(ids["a-acme"])),
        ]
    );

    // Judging an item of the profile set is a pair decision: negative takes the pair
    // out of the listing, and a full rerun does not propose it again.
    app.post(&format!("/api/2/entitysets/{p}/items"))
        .auth(alice)
        .json(
            &json!({"entity_id": ids["s-putin"], "judgement": "negative",
            "compared_to_entity_id": ids["a-putin"]}),
        )
        .send()
        .await
        .expect(StatusCode::OK);
    assert_eq!(judgement_of("a-putin", "s-putin").await, None);
    let full = RunOptions {
        full: true,
        ..RunOptions::default()
    };
    service::run(store, w.leak, &full).await.unwrap();
    assert_eq!(judgement_of("a-putin", "s-putin").await, None);
    assert!(judgement_of("a-putin-2", "s-putin").await.is_some());
    // Positive again through the set: the rerun lists the pair with its profile.
    app.post(&format!("/api/2/entitysets/{p}/items"))
        .auth(alice)
        .json(&json!({"entity_id": ids["s-putin"], "judgement": "positive"}))
        .send()
        .await
        .expect(StatusCode::OK);
    service::run(store, w.leak, &full).await.unwrap();
    assert_eq!(
        judgement_of("a-putin", "s-putin").await,
        Some((json!("positive"), json!(p)))
    );

    // Similar: the other Putin of the leak, not the judged ones, nothing unreadable.
    let similar = |user: &User| {
        let uri = format!("/api/2/profiles/{p}/similar");
        let user = user.clone();
        async move { app.get(&uri).auth(&user).send().await }
    };
    let resp = similar(alice).await;
    resp.expect(StatusCode::OK);
    let found: Vec<String> = resp.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| short(r["entity"]["id"].as_str().unwrap()))
        .collect();
    assert_eq!(found, ["a-putin-2"], "{}", resp.json());
    assert!(resp.json()["results"][0]["score"].as_f64().unwrap() > 0.5);
    app.grant(w.secret, alice.id, Access::Read).await;
    let resp = similar(alice).await;
    let mut found: Vec<String> = resp.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| short(r["entity"]["id"].as_str().unwrap()))
        .collect();
    found.sort();
    assert_eq!(found, ["a-putin-2", "x-putin"]);
    let dave = app.user("dave").await;
    similar(&dave).await.expect(StatusCode::NOT_FOUND);
    app.get(&format!("/api/2/profiles/{p}"))
        .auth(&dave)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
    // A list's id is not a profile.
    let list = app
        .post("/api/2/entitysets")
        .auth(alice)
        .json(&json!({"label": "people", "type": "list", "collection_id": w.leak.to_string()}))
        .send()
        .await;
    assert!(list.status.is_success(), "{}", list.text());
    let list_id = list.json()["id"].as_str().unwrap().to_string();
    app.get(&format!("/api/2/profiles/{list_id}"))
        .auth(alice)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);

    // A positive pair joins two profiles: the match's profile moves into the entity's.
    let r = pairwise("a-putin-2", "s-putin", "positive").await.unwrap();
    assert_ne!(r, p);
    app.get(&format!("/api/2/profiles/{p}"))
        .auth(alice)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
    let profile = app
        .get(&format!("/api/2/profiles/{r}"))
        .auth(alice)
        .send()
        .await;
    profile.expect(StatusCode::OK);
    let mut members: Vec<String> = profile.json()["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| short(v.as_str().unwrap()))
        .collect();
    members.sort();
    assert_eq!(members, ["a-putin", "a-putin-2", "s-putin"]);
    assert_eq!(profile.json()["merged"]["id"], r.as_str());
    let sets = app
        .get_json("/api/2/entitysets?filter:type=profile", alice)
        .await;
    assert_eq!(sets["total"], 2, "{sets}");
    // The profile's neighbourhood: what refers to any member, once.
    app.bulk(
        alice,
        w.leak,
        &json!([{"id": "a-own", "schema": "Ownership", "properties": {
            "owner": ["a-putin"], "asset": ["a-acme"]}}]),
    )
    .await;
    let resp = app
        .get(&format!("/api/2/profiles/{r}/expand"))
        .auth(alice)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let expanded = resp.json();
    let neighbours: Vec<String> = expanded["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["entities"].as_array().unwrap().iter())
        .map(|e| short(e["id"].as_str().unwrap()))
        .collect();
    assert_eq!(neighbours, ["a-own"], "{expanded}");
    app.get(&format!("/api/2/profiles/{r}/expand"))
        .auth(&dave)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
    // Still no list among the profiles.
    assert!(
        sets["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["type"] == "profile")
    );
}
