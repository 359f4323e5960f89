//! Mentions: names found in documents, folded into entities that can be matched.
//!
//! The analyzer emits one `Mention` per name per document, all mentions of one name
//! sharing a `resolved` id. Folding them gives one pseudo-entity per `resolved` id —
//! a `LegalEntity`, narrowed to `Person`, `Company`… when the detected schemata agree —
//! carrying every spelling, the documents' countries, e-mails and phones. Such an
//! entity can be matched against the entities of any collection, and any collection's
//! entities against it: Aleph only ran the first direction. A pseudo-entity that found
//! matches can be [`reify`]'d into an entity worth storing.

use std::collections::BTreeMap;

use ftm::{Entity, EntityError, ModelError, Schema, model};

use crate::Prepared;
use crate::prepared::PrepareOptions;

/// What can go wrong when folding mentions.
#[derive(Debug, thiserror::Error)]
pub enum MentionError {
    #[error(transparent)]
    Entity(#[from] EntityError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// The mentions of one name, folded.
#[derive(Debug, Clone)]
pub struct MentionGroup {
    /// The pseudo-entity: id = the `resolved` id, schema = `LegalEntity` or narrower.
    pub entity: Entity,
    /// Ids of the folded `Mention` entities, sorted.
    pub mentions: Vec<String>,
    /// The documents mentioning the name, sorted.
    pub documents: Vec<String>,
}

impl MentionGroup {
    /// Prepare the pseudo-entity for matching; its countries are context, so that a
    /// document about two countries does not count against an entity of one of them.
    pub fn prepare(&self) -> Prepared {
        Prepared::with_options(
            &self.entity,
            PrepareOptions {
                context_countries: true,
            },
        )
    }
}

#[derive(Default)]
struct Gathered<'a> {
    names: Vec<&'a str>,
    countries: Vec<&'a str>,
    emails: Vec<&'a str>,
    phones: Vec<&'a str>,
    schemata: Vec<&'a str>,
    mentions: Vec<&'a str>,
    documents: Vec<&'a str>,
}

/// Fold `Mention` entities into one pseudo-entity per `resolved` id, in id order.
/// Entities of other schemata and mentions without `resolved` are skipped; the input
/// need not be sorted.
pub fn fold_mentions<'a>(
    mentions: impl IntoIterator<Item = &'a Entity>,
) -> Result<Vec<MentionGroup>, MentionError> {
    let mut groups: BTreeMap<&'a str, Gathered<'a>> = BTreeMap::new();
    for mention in mentions {
        if mention.schema().name() != "Mention" {
            continue;
        }
        for resolved in mention.get("resolved") {
            let g = groups.entry(resolved.as_str()).or_default();
            let values = |p: &str| mention.get(p).iter().map(String::as_str);
            g.names.extend(values("name"));
            g.countries.extend(values("contextCountry"));
            g.emails.extend(values("contextEmail"));
            g.phones.extend(values("contextPhone"));
            g.schemata.extend(values("detectedSchema"));
            g.documents.extend(values("document"));
            if let Some(id) = mention.id() {
                g.mentions.push(id);
            }
        }
    }
    let mut folded = Vec::with_capacity(groups.len());
    for (resolved, g) in groups {
        let schema = narrowed_schema(&g.schemata)?;
        let mut entity = Entity::new(schema);
        entity.set_id(Some(resolved.to_owned()));
        for (prop, values) in [
            ("name", &g.names),
            ("country", &g.countries),
            ("email", &g.emails),
            ("phone", &g.phones),
        ] {
            for value in values.iter() {
                // Mention values were cleaned when the mention was made.
                entity.add_cleaned(prop, *value)?;
            }
        }
        let sorted = |mut v: Vec<&str>| {
            v.sort_unstable();
            v.dedup();
            v.into_iter().map(str::to_owned).collect::<Vec<_>>()
        };
        folded.push(MentionGroup {
            entity,
            mentions: sorted(g.mentions),
            documents: sorted(g.documents),
        });
    }
    Ok(folded)
}

/// `LegalEntity`, narrowed by every detected schema; back to `LegalEntity` when two of
/// them disagree (a name tagged both as a person and as a company). Unknown names are
/// ignored.
fn narrowed_schema(detected: &[&str]) -> Result<&'static Schema, MentionError> {
    let m = model();
    let base = m.schema("LegalEntity")?;
    let mut schema = base;
    for name in detected {
        let Some(other) = m.get(name) else { continue };
        match m.common_schema(schema, other) {
            Ok(common) => schema = common,
            Err(_) => return Ok(base),
        }
    }
    Ok(schema)
}

/// Turn a pseudo-entity that found matches into an entity worth storing, as Aleph does:
/// the schema narrowed to the matches' schemata where they agree, and only the
/// countries some match confirms. The result is marked `mutable` in its context, since
/// users may correct it.
pub fn reify(group: &MentionGroup, matches: &[&Entity]) -> Result<Entity, MentionError> {
    let m = model();
    let mut schema = group.entity.schema();
    for matched in matches {
        if let Ok(common) = m.common_schema(schema, matched.schema()) {
            schema = common;
        }
    }
    let mut entity = Entity::new(schema);
    entity.set_id(group.entity.id().map(str::to_owned));
    for (prop, value) in group.entity.values() {
        if prop.name() == "country" && !matches.iter().any(|e| e.countries().contains(&value)) {
            continue;
        }
        entity.add_cleaned(prop.name(), value)?;
    }
    entity
        .context
        .insert("mutable".to_owned(), serde_json::Value::Bool(true));
    Ok(entity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Matcher;

    fn mention(
        id: &str,
        doc: &str,
        resolved: &str,
        name: &str,
        schema: &str,
        country: &str,
    ) -> Entity {
        let mut e = Entity::with_id("Mention", id).unwrap();
        e.add("name", name).unwrap();
        e.add("document", doc).unwrap();
        e.add("resolved", resolved).unwrap();
        e.add("detectedSchema", schema).unwrap();
        e.add("contextCountry", country).unwrap();
        e
    }

    #[test]
    fn folds_by_resolved_and_narrows_the_schema() {
        let mentions = [
            mention("m1", "d1", "r1", "Vladimir Putin", "Person", "ru"),
            mention("m2", "d2", "r1", "Putin, Vladimir", "Person", "ua"),
            mention("m3", "d2", "r2", "Acme Ltd", "Company", "gb"),
            mention("m4", "d3", "r2", "Acme Ltd", "Person", "gb"),
        ];
        let groups = fold_mentions(&mentions).unwrap();
        assert_eq!(groups.len(), 2);
        let putin = &groups[0];
        assert_eq!(putin.entity.id(), Some("r1"));
        assert_eq!(putin.entity.schema().name(), "Person");
        assert_eq!(putin.entity.get("name").len(), 2);
        assert_eq!(putin.entity.countries(), ["ru", "ua"]);
        assert_eq!(putin.documents, ["d1", "d2"]);
        assert_eq!(putin.mentions, ["m1", "m2"]);
        // Person and Company disagree: back to LegalEntity.
        assert_eq!(groups[1].entity.schema().name(), "LegalEntity");
    }

    #[test]
    fn mentions_match_entities_in_both_directions() {
        let groups = fold_mentions(&[
            mention("m1", "d1", "r1", "Владимир Путин", "Person", "ru"),
            mention("m2", "d1", "r1", "Vladimir Putin", "Person", "de"),
        ])
        .unwrap();
        let pseudo = groups[0].prepare();
        let mut putin = Entity::with_id("Person", "p1").unwrap();
        putin.add("name", "Vladimir Vladimirovich Putin").unwrap();
        putin.add("nationality", "ru").unwrap();
        let putin = Prepared::new(&putin);
        let matcher = Matcher::new();
        let forward = matcher.score_prepared(&pseudo, &putin).unwrap();
        let backward = matcher.score_prepared(&putin, &pseudo).unwrap();
        assert!(forward.score > 0.7, "{}", forward.explain());
        assert_eq!(forward.score, backward.score);

        // Context countries that differ are no evidence against.
        let mut namesake = Entity::with_id("Person", "p2").unwrap();
        namesake.add("name", "Vladimir Putin").unwrap();
        namesake.add("nationality", "fr").unwrap();
        let result = matcher
            .score_prepared(&pseudo, &Prepared::new(&namesake))
            .unwrap();
        assert!(result.feature("country_mismatch").is_none());
    }

    #[test]
    fn reified_entities_keep_confirmed_countries() {
        let groups = fold_mentions(&[
            mention("m1", "d1", "r1", "Acme", "Organization", "gb"),
            mention("m2", "d2", "r1", "Acme", "Organization", "fr"),
        ])
        .unwrap();
        let mut company = Entity::with_id("Company", "c1").unwrap();
        company.add("name", "Acme Ltd").unwrap();
        company.add("jurisdiction", "gb").unwrap();
        let reified = reify(&groups[0], &[&company]).unwrap();
        assert_eq!(reified.schema().name(), "Company");
        assert_eq!(reified.countries(), ["gb"]);
        assert_eq!(
            reified.context.get("mutable"),
            Some(&serde_json::Value::Bool(true))
        );
    }
}
