//! The `analyze` stage: languages and mentions in what ingest extracted from one document,
//! kept under `analyze:<id>`, then the `index` stage.

use std::sync::Arc;

use ftm::Entity;
use ingest::ErrorClass;
use store::{Job, Stage};

use super::{
    StageEnd, analyze_origin, failed, infrastructure, ingest_origin, next_job, succeeded,
    wants_index,
};
use crate::state::AppState;

/// Run an `analyze` job: detect languages and mentions in what ingest extracted from one
/// document, keep the results under `analyze:<id>`, then queue the `index` stage.
pub async fn run_analyze(
    state: &AppState,
    analyzer: &Arc<analyze::Analyzer>,
    known: Arc<analyze::known::KnownNames>,
    job: &Job,
) -> StageEnd {
    match analyze_document(state, analyzer, known, job).await {
        Ok(end) => end,
        Err(e) => StageEnd::alone(infrastructure(e)),
    }
}

async fn analyze_document(
    state: &AppState,
    analyzer: &Arc<analyze::Analyzer>,
    known: Arc<analyze::known::KnownNames>,
    job: &Job,
) -> anyhow::Result<StageEnd> {
    let Some(entity_id) = job.entity_id.clone() else {
        return Ok(StageEnd::alone(failed(
            ErrorClass::Internal,
            "analyze job without an entity",
        )));
    };
    let collection = match state.store.collection(job.collection_id).await {
        Ok(c) => c,
        Err(store::StoreError::NotFound { .. }) => return Ok(StageEnd::alone(succeeded())),
        Err(e) => return Err(e.into()),
    };
    let mut ids = state
        .store
        .origin_entity_ids(collection.id, &ingest_origin(&entity_id))
        .await?;
    if !ids.contains(&entity_id) {
        ids.push(entity_id.clone());
    }
    let batch = state.store.entities(collection.id, &ids).await?;
    let context = analyze::Context {
        collection_countries: collection.countries.clone(),
        collection_languages: collection.languages.clone(),
        known: (!known.is_empty()).then_some(known),
        ..analyze::Context::default()
    };
    let analyzer = analyzer.clone();
    let namespace = ftm::Namespace::new(&collection.foreign_id);
    let entities: Vec<Entity> = batch.entities.into_iter().map(|s| s.entity).collect();
    // Pure CPU work: off the async threads.
    let results = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        // Together, so that a document of pages is judged from its pages' verdicts.
        analyzer.analyze_each(&entities, &context, |entity, analysis| {
            if let Some(fragment) = additions(entity, &analysis.entity)? {
                out.push(fragment);
            }
            // Mentions are new entities of this collection: their ids are signed like
            // every other id in it.
            for mention in &analysis.mentions {
                out.push(sign_mention(&namespace, mention)?);
            }
            Ok::<_, anyhow::Error>(())
        })?;
        Ok::<_, anyhow::Error>(out)
    })
    .await?;
    let written = match results {
        Ok(w) => w,
        Err(e) => {
            return Ok(StageEnd::alone(failed(ErrorClass::Internal, e.to_string())));
        }
    };
    state
        .store
        .replace_origin(collection.id, &analyze_origin(&entity_id), &written)
        .await?;
    let next = if wants_index(job) {
        vec![next_job(Stage::INDEX, job, &entity_id)]
    } else {
        Vec::new()
    };
    Ok(StageEnd {
        outcome: succeeded(),
        next,
    })
}

/// Sign a mention's ids with its collection's namespace, except a `resolved` link to a
/// known entity of the gazetteer: that id is already signed by the entity's own
/// collection (hash-resolved names are bare hex and never contain a dot).
fn sign_mention(namespace: &ftm::Namespace, mention: &Entity) -> Result<Entity, ftm::EntityError> {
    let known: Vec<String> = mention
        .get("resolved")
        .iter()
        .filter(|r| r.contains('.'))
        .cloned()
        .collect();
    let mut signed = namespace.apply(mention)?;
    if !known.is_empty() {
        signed.pop("resolved");
        signed.add_all("resolved", &known)?;
    }
    Ok(signed)
}

/// A fragment with only the values analysis added to `before` (so the store does not keep
/// a second copy of the text), or `None` if it added nothing.
fn additions(before: &Entity, after: &Entity) -> Result<Option<Entity>, ftm::EntityError> {
    let mut fragment = Entity::new(after.schema());
    fragment.set_id(after.id().map(str::to_string));
    for (prop, values) in after.properties() {
        let old = before.get(prop.name());
        for v in values {
            if !old.contains(v) {
                fragment.add_cleaned(prop.name(), v.clone())?;
            }
        }
    }
    Ok((!fragment.is_empty()).then_some(fragment))
}
