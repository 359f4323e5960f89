//! The index half of `aleph upgrade` for OpenSearch: create the index and its alias when
//! missing, and when the existing index was made with an older layout, build a new index
//! from the store beside it and move the alias in one step. Searches keep reading the old
//! index (through the alias) the whole time, so running servers keep answering.

use std::sync::Arc;
use std::time::Duration;

use index::{IndexError, OpenSearchIndex, OpenSearchOptions, SearchIndex};
use server::services::reindex;
use store::{EntityFilter, Store};

/// Writes that land in the store while the rebuild runs are picked up by a second pass
/// over what changed since it started, minus this margin for clocks and late commits.
const CATCH_UP_MARGIN: Duration = Duration::from_secs(60);

/// What the index upgrade did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexUpgrade {
    UpToDate,
    /// Created where there was none.
    Created,
    /// Rebuilt into a new index with this many entities.
    Rebuilt {
        entities: u64,
    },
}

/// Bring the OpenSearch index at `uri` to this build's layout, rebuilding it from `store`
/// when needed.
pub async fn upgrade(uri: &str, store: &Arc<dyn Store>) -> anyhow::Result<IndexUpgrade> {
    // Shards and replicas from the environment shape the index when it is created here.
    let options = OpenSearchOptions::from_env()?;
    let existed = alias_exists(uri, &options).await?;
    match OpenSearchIndex::connect(uri, options.clone()).await {
        Ok(_) if existed => return Ok(IndexUpgrade::UpToDate),
        Ok(_) => return Ok(IndexUpgrade::Created),
        Err(IndexError::IncompatibleLayout { .. }) => {}
        Err(other) => return Err(other.into()),
    }
    let started = store::now();
    let rebuild = OpenSearchIndex::begin_rebuild(uri, options).await?;
    let target: Arc<dyn SearchIndex> = Arc::new(rebuild.index.clone());
    let filled = async {
        let done = reindex::all(store, &target, |c, done| {
            println!("  {:<24} {} entities", c.foreign_id, done.entities);
        })
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
        // What servers wrote meanwhile went to the old index through the alias.
        let since = started - CATCH_UP_MARGIN;
        reindex::load(store, &target, EntityFilter::all().updated_since(since))
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        anyhow::Ok(done.entities)
    }
    .await;
    match filled {
        Ok(entities) => {
            rebuild.finish().await?;
            Ok(IndexUpgrade::Rebuilt { entities })
        }
        Err(err) => {
            let _ = rebuild.abandon().await;
            Err(err)
        }
    }
}

/// Whether the alias exists, asked without creating anything (connecting creates it).
async fn alias_exists(uri: &str, options: &OpenSearchOptions) -> anyhow::Result<bool> {
    Ok(!matches!(layout(uri, options).await?, Layout::Missing))
}

/// The state of an OpenSearch index as `aleph upgrade --check` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// No alias yet: the first start creates it.
    Missing,
    Current,
    /// These indices behind the alias have an older layout and would be rebuilt.
    Older(Vec<String>),
}

/// Look at the alias and its indices' layout without changing anything.
pub async fn layout(uri: &str, options: &OpenSearchOptions) -> anyhow::Result<Layout> {
    let (base, name) = index::opensearch::split_uri(uri);
    let name = name.unwrap_or_else(|| options.index.clone());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let response = http.get(format!("{base}/_alias/{name}")).send().await?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Ok(Layout::Missing);
    }
    anyhow::ensure!(
        status.is_success(),
        "OpenSearch at {base} answered {status} when asked for the alias {name}"
    );
    let indices: serde_json::Value = response.json().await?;
    let mut older = Vec::new();
    for index in indices.as_object().map(|o| o.keys()).into_iter().flatten() {
        let mapping: serde_json::Value = http
            .get(format!("{base}/{index}/_mapping"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let version = mapping[index]["mappings"]["_meta"]["aleph_layout"].as_u64();
        if version != Some(index::opensearch::LAYOUT_VERSION) {
            older.push(index.clone());
        }
    }
    Ok(if older.is_empty() {
        Layout::Current
    } else {
        Layout::Older(older)
    })
}
