//! Cross-referencing results, runs and decisions in SQLite.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::{opt_time, time};
use crate::time::to_micros;
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

fn read_run(row: &Row<'_>) -> Result<XrefRun> {
    let against: String = row.get(2)?;
    let cursor: String = row.get(3)?;
    Ok(XrefRun {
        collection_id: row.get(0)?,
        state: row.get::<_, String>(1)?.parse()?,
        against: serde_json::from_str(&against)
            .map_err(|e| StoreError::Corrupt(format!("xref run targets: {e}")))?,
        cursor: serde_json::from_str(&cursor)
            .map_err(|e| StoreError::Corrupt(format!("xref run cursor: {e}")))?,
        processed: count(row.get(4)?),
        total: count(row.get(5)?),
        matches: count(row.get(6)?),
        started_at: time(row.get(7)?)?,
        updated_at: time(row.get(8)?)?,
        finished_at: opt_time(row.get(9)?)?,
        watermark: opt_time(row.get(10)?)?,
    })
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn put_run(conn: &Connection, run: &XrefRun) -> Result<()> {
    let against = serde_json::to_string(&run.against).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(&format!(
        "INSERT INTO xref_runs ({RUN_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (collection_id) DO UPDATE SET state = excluded.state,
             against = excluded.against, cursor = excluded.cursor,
             processed = excluded.processed, total = excluded.total,
             matches = excluded.matches, started_at = excluded.started_at,
             updated_at = excluded.updated_at, finished_at = excluded.finished_at,
             watermark = excluded.watermark"
    ))?
    .execute(params![
        run.collection_id,
        run.state.as_str(),
        against,
        run.cursor.to_string(),
        signed(run.processed),
        signed(run.total),
        signed(run.matches),
        to_micros(run.started_at),
        to_micros(run.updated_at),
        run.finished_at.map(to_micros),
        run.watermark.map(to_micros),
    ])?;
    Ok(())
}

pub(super) fn begin_run(conn: &Connection, run: &XrefRun, clear: bool) -> Result<u64> {
    super::collections::get(conn, run.collection_id, false)?;
    let removed = if clear {
        conn.execute(
            "DELETE FROM xref_matches WHERE collection_id = ?1",
            [run.collection_id],
        )? as u64
    } else {
        0
    };
    put_run(conn, run)?;
    Ok(removed)
}

pub(super) fn save_batch(conn: &Connection, run: &XrefRun, matches: &[XrefMatch]) -> Result<u64> {
    let mut written = 0;
    {
        // A pair keeps its best score; a pair judged negative is never proposed again.
        let mut insert = conn.prepare_cached(
            "INSERT INTO xref_matches (collection_id, entity_id, match_collection_id, match_id,
                 score, schema, countries, method, explanation, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
             WHERE NOT EXISTS (SELECT 1 FROM xref_decisions d WHERE d.collection_id = ?1
                 AND d.entity_id = ?2 AND d.match_collection_id = ?3 AND d.match_id = ?4
                 AND d.judgement = 'negative')
             ON CONFLICT (collection_id, entity_id, match_collection_id, match_id)
             DO UPDATE SET score = excluded.score, schema = excluded.schema,
                 countries = excluded.countries, method = excluded.method,
                 explanation = excluded.explanation, created_at = excluded.created_at
             WHERE excluded.score > xref_matches.score OR xref_matches.method <> excluded.method",
        )?;
        for m in matches {
            m.check()?;
            written += insert.execute(params![
                m.collection_id,
                m.entity_id,
                m.match_collection_id,
                m.match_id,
                m.score,
                m.schema,
                m.countries_key(),
                m.method,
                m.explanation.to_string(),
                to_micros(m.created_at),
            ])? as u64;
        }
    }
    put_run(conn, run)?;
    Ok(written)
}

pub(super) fn run(conn: &Connection, collection_id: i64) -> Result<Option<XrefRun>> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM xref_runs WHERE collection_id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([collection_id])?;
    rows.next()?.map(read_run).transpose()
}

fn values(args: Vec<XrefArg>) -> Vec<SqlValue> {
    args.into_iter()
        .map(|a| match a {
            XrefArg::Int(i) => SqlValue::Integer(i),
            XrefArg::Float(f) => SqlValue::Real(f),
            XrefArg::Text(t) => SqlValue::Text(t),
        })
        .collect()
}

fn read_item(row: &Row<'_>) -> Result<XrefItem> {
    let explanation: String = row.get(8)?;
    let judgement: Option<String> = row.get(10)?;
    Ok(XrefItem {
        matched: XrefMatch {
            collection_id: row.get(0)?,
            entity_id: row.get(1)?,
            match_collection_id: row.get(2)?,
            match_id: row.get(3)?,
            score: row.get(4)?,
            schema: row.get(5)?,
            countries: countries_from_key(&row.get::<_, String>(6)?),
            method: row.get(7)?,
            explanation: serde_json::from_str(&explanation)
                .map_err(|e| StoreError::Corrupt(format!("xref explanation: {e}")))?,
            created_at: time(row.get(9)?)?,
        },
        judgement: judgement.as_deref().map(parse_judgement).transpose()?,
        profile_id: row.get(11)?,
    })
}

pub(super) fn list(conn: &Connection, query: &XrefQuery) -> Result<Page<XrefItem>> {
    let (cond, args) = xref_condition(query, false);
    let args = values(args);
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM xref_matches m WHERE {cond}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let n = args.len();
    let sql = format!(
        "SELECT m.collection_id, m.entity_id, m.match_collection_id, m.match_id, m.score,
             m.schema, m.countries, m.method, m.explanation, m.created_at, d.judgement,
             d.profile_id
         FROM xref_matches m
         LEFT JOIN xref_decisions d ON d.collection_id = m.collection_id
             AND d.entity_id = m.entity_id AND d.match_collection_id = m.match_collection_id
             AND d.match_id = m.match_id
         WHERE {cond}
         ORDER BY m.score DESC, m.entity_id, m.match_collection_id, m.match_id
         LIMIT ?{} OFFSET ?{}",
        n + 1,
        n + 2
    );
    let mut all = args;
    all.push(SqlValue::Integer(signed(query.limit)));
    all.push(SqlValue::Integer(signed(query.offset)));
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(all.iter()))?;
    let mut items = Vec::new();
    while let Some(row) = rows.next()? {
        items.push(read_item(row)?);
    }
    Ok(Page {
        items,
        total: count(total),
    })
}

const DECISION_COLUMNS: &str = "collection_id, entity_id, match_collection_id, match_id, \
     judgement, role_id, profile_id, created_at, updated_at";

fn read_decision(row: &Row<'_>) -> Result<Decision> {
    Ok(Decision {
        collection_id: row.get(0)?,
        entity_id: row.get(1)?,
        match_collection_id: row.get(2)?,
        match_id: row.get(3)?,
        judgement: parse_judgement(&row.get::<_, String>(4)?)?,
        role_id: row.get(5)?,
        profile_id: row.get(6)?,
        created_at: time(row.get(7)?)?,
        updated_at: time(row.get(8)?)?,
    })
}

fn profile_of(conn: &Connection, collection_id: i64, entity_id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT profile_id FROM xref_decisions WHERE collection_id = ?1 AND entity_id = ?2
                 AND profile_id IS NOT NULL
             ORDER BY profile_id LIMIT 1",
        )?
        .query_row(params![collection_id, entity_id], |r| r.get(0))
        .optional()?)
}

pub(super) fn decide(
    conn: &Connection,
    new: &NewDecision,
    now: Timestamp,
) -> Result<Option<Decision>> {
    super::collections::get(conn, new.collection_id, false)?;
    super::collections::get(conn, new.match_collection_id, false)?;
    let a = (new.collection_id, new.entity_id.as_str());
    let b = (new.match_collection_id, new.match_id.as_str());
    if a == b {
        return Err(StoreError::invalid(
            "an entity cannot be judged against itself",
        ));
    }
    let delete = "DELETE FROM xref_decisions WHERE collection_id = ?1 AND entity_id = ?2
                  AND match_collection_id = ?3 AND match_id = ?4";
    let Some(judgement) = new.judgement else {
        for (x, y) in [(a, b), (b, a)] {
            conn.prepare_cached(delete)?
                .execute(params![x.0, x.1, y.0, y.1])?;
        }
        return Ok(None);
    };
    let profile = match judgement {
        PairJudgement::Positive => {
            let pa = profile_of(conn, a.0, a.1)?;
            let pb = profile_of(conn, b.0, b.1)?;
            let chosen = match (&pa, &pb) {
                (Some(x), Some(y)) => x.min(y).clone(),
                (Some(x), None) | (None, Some(x)) => x.clone(),
                (None, None) => new_profile_id(a, b),
            };
            // Two profiles joined by this pair become one.
            for old in [pa, pb].into_iter().flatten() {
                if old != chosen {
                    conn.prepare_cached(
                        "UPDATE xref_decisions SET profile_id = ?1 WHERE profile_id = ?2",
                    )?
                    .execute(params![chosen, old])?;
                }
            }
            Some(chosen)
        }
        PairJudgement::Negative => {
            for (x, y) in [(a, b), (b, a)] {
                conn.prepare_cached(
                    "DELETE FROM xref_matches WHERE collection_id = ?1 AND entity_id = ?2
                     AND match_collection_id = ?3 AND match_id = ?4",
                )?
                .execute(params![x.0, x.1, y.0, y.1])?;
            }
            None
        }
        PairJudgement::Unsure => None,
    };
    let ts = to_micros(now);
    for (x, y) in [(a, b), (b, a)] {
        conn.prepare_cached(&format!(
            "INSERT INTO xref_decisions ({DECISION_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
             ON CONFLICT (collection_id, entity_id, match_collection_id, match_id)
             DO UPDATE SET judgement = excluded.judgement, role_id = excluded.role_id,
                 profile_id = excluded.profile_id, updated_at = excluded.updated_at"
        ))?
        .execute(params![
            x.0,
            x.1,
            y.0,
            y.1,
            judgement.as_str(),
            new.role_id,
            profile,
            ts
        ])?;
    }
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM xref_decisions WHERE collection_id = ?1
         AND entity_id = ?2 AND match_collection_id = ?3 AND match_id = ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![a.0, a.1, b.0, b.1])?;
    rows.next()?.map(read_decision).transpose()
}

pub(super) fn decisions(
    conn: &Connection,
    collection_id: i64,
    entity_id: &str,
) -> Result<Vec<Decision>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM xref_decisions WHERE collection_id = ?1
         AND entity_id = ?2 ORDER BY match_collection_id, match_id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![collection_id, entity_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read_decision(row)?);
    }
    Ok(out)
}

pub(super) fn profile(conn: &Connection, profile_id: &str) -> Result<Vec<Decision>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM xref_decisions WHERE profile_id = ?1
         ORDER BY collection_id, entity_id, match_collection_id, match_id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([profile_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read_decision(row)?);
    }
    Ok(out)
}
