use serde_json::json;
use store::{
    DeleteMode, NewDecision, PairJudgement, Store, XrefMatch, XrefQuery, XrefRun, XrefRunState, now,
};

use super::{collection, user};
use crate::common::Harness;

fn pair(
    c: i64,
    e: &str,
    mc: i64,
    m: &str,
    score: f64,
    schema: &str,
    countries: &[&str],
) -> XrefMatch {
    XrefMatch {
        collection_id: c,
        entity_id: e.into(),
        match_collection_id: mc,
        match_id: m.into(),
        score,
        schema: schema.into(),
        countries: countries.iter().map(|c| c.to_string()).collect(),
        method: "xref-v1".into(),
        explanation: json!({"features": [{"name": "name", "value": score}]}),
        created_at: now(),
    }
}

fn run(collection_id: i64, against: Vec<i64>, cursor: serde_json::Value) -> XrefRun {
    XrefRun {
        collection_id,
        state: XrefRunState::Running,
        against,
        cursor,
        processed: 0,
        total: 10,
        matches: 0,
        started_at: now(),
        updated_at: now(),
        finished_at: None,
        watermark: None,
    }
}

fn ids(page: &store::Page<store::XrefItem>) -> Vec<(&str, &str)> {
    page.items
        .iter()
        .map(|i| (i.matched.entity_id.as_str(), i.matched.match_id.as_str()))
        .collect()
}

pub async fn xref_runs_checkpoint_and_matches_filter<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let a = collection(&*store, "xref_a").await;
    let b = collection(&*store, "xref_b").await;
    let c = collection(&*store, "xref_c").await;
    assert_eq!(store.xref_run(a).await.unwrap(), None);

    let mut r = run(a, vec![b, c], json!({"phase": "targets", "after": null}));
    assert_eq!(store.begin_xref_run(&r, true).await.unwrap(), 0);
    assert_eq!(store.xref_run(a).await.unwrap().unwrap(), r);

    // A batch and its checkpoint are saved together.
    r.cursor = json!({"phase": "targets", "after": "m3"});
    r.processed = 3;
    r.matches = 4;
    let batch = [
        pair(a, "e1", b, "m1", 0.91, "Person", &["de"]),
        pair(a, "e1", c, "m2", 0.55, "Person", &["ru", "de"]),
        pair(a, "e2", b, "m3", 0.75, "Company", &["gb"]),
        pair(a, "e3", c, "m3", 0.40, "Company", &[]),
    ];
    assert_eq!(store.save_xref_batch(&r, &batch).await.unwrap(), 4);
    let saved = store.xref_run(a).await.unwrap().unwrap();
    assert_eq!(saved.cursor, json!({"phase": "targets", "after": "m3"}));
    assert_eq!((saved.processed, saved.total, saved.matches), (3, 10, 4));

    // Best first, with the explanation as written.
    let mut q = XrefQuery::collection(a);
    let all = store.xref_matches(&q).await.unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(
        ids(&all),
        [("e1", "m1"), ("e2", "m3"), ("e1", "m2"), ("e3", "m3")]
    );
    assert_eq!(
        all.items[0].matched.explanation["features"][0]["name"],
        "name"
    );
    assert_eq!(all.items[1].matched.countries, ["gb"]);
    assert_eq!(all.items[0].judgement, None);

    // A pair keeps its best score.
    let lower = [pair(a, "e1", b, "m1", 0.6, "Person", &["de"])];
    assert_eq!(store.save_xref_batch(&r, &lower).await.unwrap(), 0);
    let higher = [pair(a, "e3", c, "m3", 0.8, "Company", &[])];
    assert_eq!(store.save_xref_batch(&r, &higher).await.unwrap(), 1);
    let page = store.xref_matches(&q).await.unwrap();
    assert_eq!(page.items[0].matched.score, 0.91);
    assert_eq!(ids(&page)[1], ("e3", "m3"));

    // Filters: collections (the permission filter), schema, country, score range, paging.
    q.match_collections = Some(vec![c]);
    assert_eq!(
        ids(&store.xref_matches(&q).await.unwrap()),
        [("e3", "m3"), ("e1", "m2")]
    );
    q.match_collections = Some(vec![]);
    assert_eq!(store.xref_matches(&q).await.unwrap().total, 0);
    q.match_collections = None;
    q.schemata = vec!["Company".into()];
    assert_eq!(store.xref_matches(&q).await.unwrap().total, 2);
    q.schemata = vec![];
    q.countries = vec!["DE".into()];
    assert_eq!(
        ids(&store.xref_matches(&q).await.unwrap()),
        [("e1", "m1"), ("e1", "m2")]
    );
    q.countries = vec![];
    q.min_score = Some(0.55);
    q.max_score = Some(0.85);
    assert_eq!(
        ids(&store.xref_matches(&q).await.unwrap()),
        [("e3", "m3"), ("e2", "m3")]
    );
    q.min_score = None;
    q.max_score = None;
    q.entity_ids = vec!["e1".into()];
    assert_eq!(store.xref_matches(&q).await.unwrap().total, 2);
    q.entity_ids = vec![];
    q.offset = 1;
    q.limit = 2;
    let page = store.xref_matches(&q).await.unwrap();
    assert_eq!((page.total, page.items.len()), (4, 2));
    assert_eq!(ids(&page)[0], ("e3", "m3"));

    // Invalid scores are refused, with nothing written.
    let bad = [pair(a, "e9", b, "m9", 1.5, "Person", &[])];
    assert!(store.save_xref_batch(&r, &bad).await.is_err());

    // Completing, then restarting without and with clearing.
    r.state = XrefRunState::Completed;
    r.finished_at = Some(now());
    r.watermark = Some(r.started_at);
    store.save_xref_batch(&r, &[]).await.unwrap();
    let done = store.xref_run(a).await.unwrap().unwrap();
    assert_eq!(done.state, XrefRunState::Completed);
    assert_eq!(done.watermark, Some(r.started_at));
    assert_eq!(store.begin_xref_run(&r, false).await.unwrap(), 0);
    assert_eq!(match_total(&*store, a).await, 4);
    assert_eq!(store.begin_xref_run(&r, true).await.unwrap(), 4);
    assert_eq!(match_total(&*store, a).await, 0);

    // Runs need a live collection; deleting a collection removes its rows and the
    // matches pointing into it.
    assert!(
        store
            .begin_xref_run(&run(987_654, vec![], json!(null)), true)
            .await
            .is_err()
    );
    store
        .save_xref_batch(&r, &[pair(a, "e1", b, "m1", 0.9, "Person", &[])])
        .await
        .unwrap();
    store
        .save_xref_batch(
            &run(c, vec![a], json!(null)),
            &[pair(c, "x", a, "e1", 0.9, "Person", &[])],
        )
        .await
        .unwrap();
    store.delete_collection(b, DeleteMode::Hard).await.unwrap();
    assert_eq!(match_total(&*store, a).await, 0);
    store.delete_collection(a, DeleteMode::Hard).await.unwrap();
    assert_eq!(store.xref_run(a).await.unwrap(), None);
    assert_eq!(match_total(&*store, c).await, 0);
}

const POSITIVE: Option<PairJudgement> = Some(PairJudgement::Positive);
const NEGATIVE: Option<PairJudgement> = Some(PairJudgement::Negative);
const UNSURE: Option<PairJudgement> = Some(PairJudgement::Unsure);

/// How many matches a collection lists.
async fn match_total(store: &dyn Store, collection_id: i64) -> u64 {
    store
        .xref_matches(&XrefQuery::collection(collection_id))
        .await
        .unwrap()
        .total
}

fn decision(
    c: i64,
    e: &str,
    mc: i64,
    m: &str,
    judgement: Option<PairJudgement>,
    role: Option<i64>,
) -> NewDecision {
    NewDecision {
        collection_id: c,
        entity_id: e.into(),
        match_collection_id: mc,
        match_id: m.into(),
        judgement,
        role_id: role,
    }
}

pub async fn xref_decisions_profiles_and_negatives<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let a = collection(&*store, "dec_a").await;
    let b = collection(&*store, "dec_b").await;
    let jane = user(&*store, "jane").await;
    let r = run(a, vec![b], json!(null));
    let matches = [
        pair(a, "e1", b, "m1", 0.9, "Person", &[]),
        pair(a, "e2", b, "m2", 0.8, "Person", &[]),
        pair(a, "e3", b, "m3", 0.7, "Person", &[]),
    ];
    store.save_xref_batch(&r, &matches).await.unwrap();
    let back = [pair(b, "m2", a, "e2", 0.8, "Person", &[])];
    store
        .save_xref_batch(&run(b, vec![a], json!(null)), &back)
        .await
        .unwrap();

    // Positive: recorded for both directions, with a profile shared by later pairs.
    let d = store
        .decide(&decision(a, "e1", b, "m1", POSITIVE, Some(jane.id)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.judgement, PairJudgement::Positive);
    assert_eq!(d.role_id, Some(jane.id));
    let profile = d.profile_id.clone().unwrap();
    let other_side = store.decisions(b, "m1").await.unwrap();
    assert_eq!(other_side.len(), 1);
    assert_eq!(
        (
            other_side[0].match_collection_id,
            other_side[0].match_id.as_str()
        ),
        (a, "e1")
    );
    assert_eq!(other_side[0].profile_id.as_deref(), Some(profile.as_str()));
    let chained = store
        .decide(&decision(b, "m1", a, "e3", POSITIVE, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(chained.profile_id.as_deref(), Some(profile.as_str()));
    let members = store.profile_decisions(&profile).await.unwrap();
    assert_eq!(members.len(), 4);

    // Two profiles joined by a positive pair become one.
    let other = store
        .decide(&decision(a, "x1", b, "x2", POSITIVE, None))
        .await
        .unwrap()
        .unwrap()
        .profile_id
        .unwrap();
    assert_ne!(other, profile);
    let joined = store
        .decide(&decision(a, "x1", a, "e1", POSITIVE, None))
        .await
        .unwrap()
        .unwrap()
        .profile_id
        .unwrap();
    assert_eq!(joined, profile.clone().min(other.clone()));
    assert_eq!(store.profile_decisions(&joined).await.unwrap().len(), 8);
    let gone = if joined == profile { other } else { profile };
    assert!(store.profile_decisions(&gone).await.unwrap().is_empty());

    // The listing shows judgements.
    let page = store.xref_matches(&XrefQuery::collection(a)).await.unwrap();
    assert_eq!(page.items[0].judgement, Some(PairJudgement::Positive));
    assert_eq!(page.items[0].profile_id.as_deref(), Some(joined.as_str()));
    assert_eq!(page.items[1].judgement, None);

    // Negative: the pair's matches go, in both directions, and are not written again.
    store
        .decide(&decision(b, "m2", a, "e2", NEGATIVE, Some(jane.id)))
        .await
        .unwrap();
    let page = store.xref_matches(&XrefQuery::collection(a)).await.unwrap();
    assert_eq!(ids(&page), [("e1", "m1"), ("e3", "m3")]);
    assert_eq!(match_total(&*store, b).await, 0);
    assert_eq!(store.save_xref_batch(&r, &matches).await.unwrap(), 0);
    assert_eq!(match_total(&*store, a).await, 2);

    // Unsure is recorded without a profile; no judgement removes the decision.
    let unsure = store
        .decide(&decision(a, "e3", b, "m3", UNSURE, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (unsure.judgement, unsure.profile_id),
        (PairJudgement::Unsure, None)
    );
    assert!(
        store
            .decide(&decision(a, "e3", b, "m3", None, None))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .decisions(a, "e3")
            .await
            .unwrap()
            .iter()
            .all(|d| d.match_id != "m3")
    );
    assert!(store.decisions(b, "m3").await.unwrap().is_empty());
    // Undoing the negative lets the pair be proposed again.
    store
        .decide(&decision(a, "e2", b, "m2", None, None))
        .await
        .unwrap();
    assert_eq!(store.save_xref_batch(&r, &matches[1..2]).await.unwrap(), 1);

    // Self-pairs and unknown collections are refused.
    assert!(
        store
            .decide(&decision(a, "e1", a, "e1", POSITIVE, None))
            .await
            .is_err()
    );
    assert!(
        store
            .decide(&decision(a, "e1", 987_654, "m", POSITIVE, None))
            .await
            .is_err()
    );

    // A deleted user's decisions stay, without the user.
    store.delete_role(jane.id).await.unwrap();
    let kept = store.decisions(a, "e1").await.unwrap();
    assert!(kept.iter().all(|d| d.role_id.is_none()));
    assert!(!kept.is_empty());
}
