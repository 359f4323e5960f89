//! What is matched (entities of matchable schemata and mentions) and query by example.

use ftm::{Entity, PropertyType};
use xref::{Matcher, Prepared, fold_mentions};

/// An entity prepared for matching, and whether it is a mention; `None` for what cannot
/// be matched (documents, pages, things without names or identifiers).
pub(super) fn prepare(entity: &Entity) -> Option<(Prepared, bool)> {
    if entity.schema().name() == "Mention" {
        let group = fold_mentions(std::iter::once(entity))
            .ok()?
            .into_iter()
            .next()?;
        let prepared = group.prepare();
        return prepared.is_matchable().then_some((prepared, true));
    }
    if !entity.schema().matchable() {
        return None;
    }
    let prepared = Prepared::new(entity);
    prepared.is_matchable().then_some((prepared, false))
}

/// Lowercase country codes of an entity, sorted and distinct.
pub fn countries(entity: &Entity) -> Vec<String> {
    let mut out: Vec<String> = entity
        .properties()
        .filter(|(p, _)| p.type_() == PropertyType::Country)
        .flat_map(|(_, values)| values.iter().map(|v| v.to_ascii_lowercase()))
        .collect();
    out.sort();
    out.dedup();
    out
}

pub(super) fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = a.iter().chain(b).cloned().collect();
    out.sort();
    out.dedup();
    out
}

/// Score one entity against candidates (query by example): best first, above
/// `keep_above`, with explanations.
pub fn match_example(
    example: &Entity,
    candidates: &[Entity],
    keep_above: f64,
) -> Vec<(usize, xref::Match)> {
    let matcher = Matcher::new();
    let Some((query, _)) = prepare(example) else {
        return Vec::new();
    };
    let mut scored: Vec<(usize, xref::Match)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.id() != example.id() || example.id().is_none())
        .filter_map(|(i, c)| {
            let (prepared, mention) = prepare(c)?;
            if mention {
                return None;
            }
            let m = matcher.score_prepared(&query, &prepared)?;
            (m.score > keep_above).then_some((i, m))
        })
        .collect();
    scored.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
    scored
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::services::xref::KEEP_ABOVE;

    fn entity(value: Value) -> Entity {
        Entity::from_json(value, false).unwrap()
    }

    #[test]
    fn mentions_and_entities_are_prepared_documents_are_not() {
        let person = entity(json!({"id": "p", "schema": "Person",
            "properties": {"name": ["Vladimir Putin"], "nationality": ["RU"]}}));
        let (_, mention) = prepare(&person).unwrap();
        assert!(!mention);
        assert_eq!(countries(&person), ["ru"]);
        let m = entity(json!({"id": "m", "schema": "Mention", "properties": {
            "name": ["Vladimir Putin"], "resolved": ["r1"], "document": ["d"],
            "detectedSchema": ["Person"]}}));
        assert!(prepare(&m).unwrap().1);
        let doc = entity(json!({"id": "d", "schema": "Document",
            "properties": {"title": ["Putin"]}}));
        assert!(prepare(&doc).is_none());
    }

    #[test]
    fn query_by_example_ranks_and_explains() {
        let example = entity(json!({"schema": "Person",
            "properties": {"name": ["Vladimir Putin"], "birthDate": ["1952-10-07"]}}));
        let candidates = [
            entity(json!({"id": "a", "schema": "Person",
                "properties": {"name": ["Angela Merkel"]}})),
            entity(json!({"id": "b", "schema": "Person",
                "properties": {"name": ["PUTIN, Vladimir"], "birthDate": ["1952-10-07"]}})),
            entity(json!({"id": "c", "schema": "Company",
                "properties": {"name": ["Vladimir Putin"]}})),
        ];
        let found = match_example(&example, &candidates, KEEP_ABOVE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 1);
        assert!(found[0].1.score > 0.9);
        assert!(found[0].1.feature("name").is_some());
    }
}
