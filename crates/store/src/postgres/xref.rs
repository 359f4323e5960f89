//! Cross-referencing results, runs and decisions in PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{collections, query};
use crate::xref::{XrefArg, countries_from_key, new_profile_id, parse_judgement, xref_condition};
use crate::{
    Decision, NewDecision, Page, PairJudgement, Result, StoreError, Timestamp, XrefItem, XrefMatch,
    XrefQuery, XrefRun,
};

const RUN_COLUMNS: &str = "collection_id, state, against, cursor, processed, total, matches, \
     started_at, updated_at, finished_at, watermark";

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn read_run(row: &Row) -> Result<XrefRun> {
    let against: String = row.try_get(2)?;
    let cursor: String = row.try_get(3)?;
    Ok(XrefRun {
        collection_id: row.try_get(0)?,
        state: row.try_get::<_, String>(1)?.parse()?,
        against: serde_json::from_str(&against)
            .map_err(|e| StoreError::Corrupt(format!("xref run targets: {e}")))?,
        cursor: serde_json::from_str(&cursor)
            .map_err(|e| StoreError::Corrupt(format!("xref run cursor: {e}")))?,
        processed: count(row.try_get(4)?),
        total: count(row.try_get(5)?),
        matches: count(row.try_get(6)?),
        started_at: row.try_get(7)?,
        updated_at: row.try_get(8)?,
        finished_at: row.try_get(9)?,
        watermark: row.try_get(10)?,
    })
}

async fn put_run<C: GenericClient>(c: &C, run: &XrefRun) -> Result<()> {
    let against = serde_json::to_string(&run.against).unwrap_or_else(|_| "[]".into());
    let cursor = run.cursor.to_string();
    let (processed, total, matches) = (
        signed(run.processed),
        signed(run.total),
        signed(run.matches),
    );
    query(
        c,
        &format!(
            "INSERT INTO xref_runs ({RUN_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (collection_id) DO UPDATE SET state = EXCLUDED.state,
                 against = EXCLUDED.against, cursor = EXCLUDED.cursor,
                 processed = EXCLUDED.processed, total = EXCLUDED.total,
                 matches = EXCLUDED.matches, started_at = EXCLUDED.started_at,
                 updated_at = EXCLUDED.updated_at, finished_at = EXCLUDED.finished_at,
                 watermark = EXCLUDED.watermark"
        ),
        &[
            &run.collection_id,
            &run.state.as_str(),
            &against,
            &cursor,
            &processed,
            &total,
            &matches,
            &run.started_at,
            &run.updated_at,
            &run.finished_at,
            &run.watermark,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn begin_run<C: GenericClient>(c: &C, run: &XrefRun, clear: bool) -> Result<u64> {
    collections::lock_live_keys(c, &[run.collection_id]).await?;
    let removed = if clear {
        c.execute(
            "DELETE FROM xref_matches WHERE collection_id = $1",
            &[&run.collection_id],
        )
        .await?
    } else {
        0
    };
    put_run(c, run).await?;
    Ok(removed)
}

pub(super) async fn save_batch<C: GenericClient>(
    c: &C,
    run: &XrefRun,
    matches: &[XrefMatch],
) -> Result<u64> {
    let mut ids: Vec<i64> = matches
        .iter()
        .flat_map(|m| [m.collection_id, m.match_collection_id])
        .collect();
    ids.push(run.collection_id);
    collections::lock_live_keys(c, &ids).await?;
    let mut written = 0;
    // A pair keeps its best score; a pair judged negative is never proposed again.
    let stmt = c
        .prepare_cached(
            "INSERT INTO xref_matches (collection_id, entity_id, match_collection_id, match_id,
                 score, schema, countries, method, explanation, created_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
             WHERE NOT EXISTS (SELECT 1 FROM xref_decisions d WHERE d.collection_id = $1
                 AND d.entity_id = $2 AND d.match_collection_id = $3 AND d.match_id = $4
                 AND d.judgement = 'negative')
             ON CONFLICT (collection_id, entity_id, match_collection_id, match_id)
             DO UPDATE SET score = EXCLUDED.score, schema = EXCLUDED.schema,
                 countries = EXCLUDED.countries, method = EXCLUDED.method,
                 explanation = EXCLUDED.explanation, created_at = EXCLUDED.created_at
             WHERE EXCLUDED.score > xref_matches.score
                 OR xref_matches.method <> EXCLUDED.method",
        )
        .await?;
    for m in matches {
        m.check()?;
        let countries = m.countries_key();
        let explanation = m.explanation.to_string();
        written += c
            .execute(
                &stmt,
                &[
                    &m.collection_id,
                    &m.entity_id,
                    &m.match_collection_id,
                    &m.match_id,
                    &m.score,
                    &m.schema,
                    &countries,
                    &m.method,
                    &explanation,
                    &m.created_at,
                ],
            )
            .await?;
    }
    put_run(c, run).await?;
    Ok(written)
}

pub(super) async fn run<C: GenericClient>(c: &C, collection_id: i64) -> Result<Option<XrefRun>> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM xref_runs WHERE collection_id = $1");
    query(c, &sql, &[&collection_id])
        .await?
        .first()
        .map(read_run)
        .transpose()
}

fn boxed(args: Vec<XrefArg>) -> Vec<Box<dyn ToSql + Sync + Send>> {
    args.into_iter()
        .map(|a| -> Box<dyn ToSql + Sync + Send> {
            match a {
                XrefArg::Int(i) => Box::new(i),
                XrefArg::Float(f) => Box::new(f),
                XrefArg::Text(t) => Box::new(t),
            }
        })
        .collect()
}

fn read_item(row: &Row) -> Result<XrefItem> {
    let explanation: String = row.try_get(8)?;
    let judgement: Option<String> = row.try_get(10)?;
    Ok(XrefItem {
        matched: XrefMatch {
            collection_id: row.try_get(0)?,
            entity_id: row.try_get(1)?,
            match_collection_id: row.try_get(2)?,
            match_id: row.try_get(3)?,
            score: row.try_get(4)?,
            schema: row.try_get(5)?,
            countries: countries_from_key(&row.try_get::<_, String>(6)?),
            method: row.try_get(7)?,
            explanation: serde_json::from_str(&explanation)
                .map_err(|e| StoreError::Corrupt(format!("xref explanation: {e}")))?,
            created_at: row.try_get(9)?,
        },
        judgement: judgement.as_deref().map(parse_judgement).transpose()?,
        profile_id: row.try_get(11)?,
    })
}

pub(super) async fn list<C: GenericClient>(c: &C, q: &XrefQuery) -> Result<Page<XrefItem>> {
    let (cond, args) = xref_condition(q, true);
    let mut args = boxed(args);
    let n = args.len();
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    let total: i64 = c
        .query_one(
            &format!("SELECT COUNT(*) FROM xref_matches m WHERE {cond}"),
            &refs,
        )
        .await?
        .try_get(0)?;
    args.push(Box::new(signed(q.limit)));
    args.push(Box::new(signed(q.offset)));
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    let sql = format!(
        "SELECT m.collection_id, m.entity_id, m.match_collection_id, m.match_id, m.score,
             m.schema, m.countries, m.method, m.explanation, m.created_at, d.judgement,
             d.profile_id
         FROM xref_matches m
         LEFT JOIN xref_decisions d ON d.collection_id = m.collection_id
             AND d.entity_id = m.entity_id AND d.match_collection_id = m.match_collection_id
             AND d.match_id = m.match_id
         WHERE {cond}
         ORDER BY m.score DESC, m.entity_id COLLATE \"C\", m.match_collection_id,
             m.match_id COLLATE \"C\"
         LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let rows = c.query(&sql, &refs).await?;
    let items = rows.iter().map(read_item).collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        total: count(total),
    })
}

const DECISION_COLUMNS: &str = "collection_id, entity_id, match_collection_id, match_id, \
     judgement, role_id, profile_id, created_at, updated_at";

fn read_decision(row: &Row) -> Result<Decision> {
    Ok(Decision {
        collection_id: row.try_get(0)?,
        entity_id: row.try_get(1)?,
        match_collection_id: row.try_get(2)?,
        match_id: row.try_get(3)?,
        judgement: parse_judgement(&row.try_get::<_, String>(4)?)?,
        role_id: row.try_get(5)?,
        profile_id: row.try_get(6)?,
        created_at: row.try_get(7)?,
        updated_at: row.try_get(8)?,
    })
}

async fn profile_of<C: GenericClient>(
    c: &C,
    collection_id: i64,
    entity_id: &str,
) -> Result<Option<String>> {
    let rows = query(
        c,
        "SELECT profile_id FROM xref_decisions WHERE collection_id = $1 AND entity_id = $2
             AND profile_id IS NOT NULL
         ORDER BY profile_id LIMIT 1",
        &[&collection_id, &entity_id],
    )
    .await?;
    rows.first().map(|r| Ok(r.try_get(0)?)).transpose()
}

pub(super) async fn decide<C: GenericClient>(
    c: &C,
    new: &NewDecision,
    now: Timestamp,
) -> Result<Option<Decision>> {
    collections::lock_live_keys(c, &[new.collection_id, new.match_collection_id]).await?;
    let a = (new.collection_id, new.entity_id.as_str());
    let b = (new.match_collection_id, new.match_id.as_str());
    if a == b {
        return Err(StoreError::invalid(
            "an entity cannot be judged against itself",
        ));
    }
    let Some(judgement) = new.judgement else {
        for (x, y) in [(a, b), (b, a)] {
            query(
                c,
                "DELETE FROM xref_decisions WHERE collection_id = $1 AND entity_id = $2
                 AND match_collection_id = $3 AND match_id = $4",
                &[&x.0, &x.1, &y.0, &y.1],
            )
            .await?;
        }
        return Ok(None);
    };
    let profile = match judgement {
        PairJudgement::Positive => {
            let pa = profile_of(c, a.0, a.1).await?;
            let pb = profile_of(c, b.0, b.1).await?;
            let chosen = match (&pa, &pb) {
                (Some(x), Some(y)) => x.min(y).clone(),
                (Some(x), None) | (None, Some(x)) => x.clone(),
                (None, None) => new_profile_id(a, b),
            };
            // Two profiles joined by this pair become one.
            for old in [pa, pb].into_iter().flatten() {
                if old != chosen {
                    query(
                        c,
                        "UPDATE xref_decisions SET profile_id = $1 WHERE profile_id = $2",
                        &[&chosen, &old],
                    )
                    .await?;
                }
            }
            Some(chosen)
        }
        PairJudgement::Negative => {
            for (x, y) in [(a, b), (b, a)] {
                query(
                    c,
                    "DELETE FROM xref_matches WHERE collection_id = $1 AND entity_id = $2
                     AND match_collection_id = $3 AND match_id = $4",
                    &[&x.0, &x.1, &y.0, &y.1],
                )
                .await?;
            }
            None
        }
        PairJudgement::Unsure => None,
    };
    for (x, y) in [(a, b), (b, a)] {
        query(
            c,
            &format!(
                "INSERT INTO xref_decisions ({DECISION_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
                 ON CONFLICT (collection_id, entity_id, match_collection_id, match_id)
                 DO UPDATE SET judgement = EXCLUDED.judgement, role_id = EXCLUDED.role_id,
                     profile_id = EXCLUDED.profile_id, updated_at = EXCLUDED.updated_at"
            ),
            &[
                &x.0,
                &x.1,
                &y.0,
                &y.1,
                &judgement.as_str(),
                &new.role_id,
                &profile,
                &now,
            ],
        )
        .await?;
    }
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM xref_decisions WHERE collection_id = $1
         AND entity_id = $2 AND match_collection_id = $3 AND match_id = $4"
    );
    query(c, &sql, &[&a.0, &a.1, &b.0, &b.1])
        .await?
        .first()
        .map(read_decision)
        .transpose()
}

pub(super) async fn decisions<C: GenericClient>(
    c: &C,
    collection_id: i64,
    entity_id: &str,
) -> Result<Vec<Decision>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM xref_decisions WHERE collection_id = $1
         AND entity_id = $2 ORDER BY match_collection_id, match_id COLLATE \"C\""
    );
    query(c, &sql, &[&collection_id, &entity_id])
        .await?
        .iter()
        .map(read_decision)
        .collect()
}

pub(super) async fn profile<C: GenericClient>(c: &C, profile_id: &str) -> Result<Vec<Decision>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM xref_decisions WHERE profile_id = $1
         ORDER BY collection_id, entity_id COLLATE \"C\", match_collection_id,
             match_id COLLATE \"C\""
    );
    query(c, &sql, &[&profile_id])
        .await?
        .iter()
        .map(read_decision)
        .collect()
}
