//! Analysis: languages and mentions in what was extracted from one document, kept under
//! `analyze:<id>`. The `process` stage runs it on the extraction in memory; the `analyze`
//! stage runs it again on what the store holds (re-analysis on demand, and `analyze` jobs
//! queued before `process` existed), then queues the `index` stage.

use std::sync::Arc;

use ftm::Entity;
use ingest::ErrorClass;
use store::{Job, Stage};

use super::{
    StageEnd, Writes, analyze_origin, failed, infrastructure, ingest_origin, next_job, succeeded,
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
    // What the earlier analysis found is in what was read (the merged entity): without
    // it, values found again would count as old and not be written again.
    let entities: Vec<Entity> = batch
        .entities
        .into_iter()
        .map(|s| without_analysis(s.entity))
        .collect();
    let (entities, results) = analyze_entities(analyzer, known, &collection, entities).await;
    let written = match results {
        Ok(w) => w,
        Err(AnalysisFailed(message)) if entities.is_empty() => {
            return Ok(StageEnd::alone(infrastructure(message)));
        }
        Err(AnalysisFailed(message)) => {
            return Ok(StageEnd::alone(failed(ErrorClass::Internal, message)));
        }
    };
    let next = if wants_index(job) {
        vec![next_job(Stage::INDEX, job, &entity_id)]
    } else {
        Vec::new()
    };
    Ok(StageEnd {
        outcome: succeeded(),
        next,
        writes: Some(Writes {
            collection_id: collection.id,
            origins: vec![(analyze_origin(&entity_id), written)],
        }),
    })
}

/// The properties analysis writes (languages, countries and what the text mentions):
/// `analyze:<id>` holds them, and nothing else should.
const ANALYSIS_PROPERTIES: [&str; 10] = [
    "detectedLanguage",
    "detectedCountry",
    "namesMentioned",
    "peopleMentioned",
    "companiesMentioned",
    "locationMentioned",
    "emailMentioned",
    "phoneMentioned",
    "ibanMentioned",
    "ipMentioned",
];

/// `entity` without what an analysis added to it, to be analysed afresh.
pub(super) fn without_analysis(mut entity: Entity) -> Entity {
    for prop in ANALYSIS_PROPERTIES {
        entity.pop(prop);
    }
    entity
}

/// Why the analysis of a document's entities failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AnalysisFailed(pub String);

/// Analyse one document's entities (the file's own and what was extracted from it) with
/// its collection's context: the fragments for `analyze:<id>` (what analysis added to
/// each entity, and the mentions found). The entities are handed back unchanged.
pub(super) async fn analyze_entities(
    analyzer: &Arc<analyze::Analyzer>,
    known: Arc<analyze::known::KnownNames>,
    collection: &store::Collection,
    entities: Vec<Entity>,
) -> (Vec<Entity>, Result<Vec<Entity>, AnalysisFailed>) {
    let context = analyze::Context {
        collection_countries: collection.countries.clone(),
        collection_languages: collection.languages.clone(),
        known: (!known.is_empty()).then_some(known),
        ..analyze::Context::default()
    };
    let analyzer = analyzer.clone();
    let namespace = ftm::Namespace::new(&collection.foreign_id);
    // Pure CPU work: off the async threads. The entities go there and come back, rather
    // than being copied (a document's text can be large).
    let task = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        // Together, so that a document of pages is judged from its pages' verdicts.
        // A panic in the analyzer fails this document's analysis, not its extraction.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
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
            })
        }))
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the analyzer panicked")));
        (entities, result.map(|()| out))
    });
    match task.await {
        Ok((entities, result)) => (
            entities,
            result.map_err(|e| AnalysisFailed(format!("analysis failed: {e}"))),
        ),
        // The task was cancelled (the runtime is shutting down): the entities went with it.
        Err(e) => (
            Vec::new(),
            Err(AnalysisFailed(format!("analysis failed: {e}"))),
        ),
    }
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
