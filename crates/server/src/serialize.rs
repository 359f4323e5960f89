//! The JSON shapes of Aleph's API: collections, roles and entities.
//!
//! Aleph drops every key whose value is `null`, `""`, `[]` or `{}` from serialised objects
//! (but not from the paging envelope), writes ids as strings and datetimes as naive ISO
//! strings with microseconds; clients rely on all three.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use ftm::PropertyType;
use serde_json::{Map, Value, json};
use store::{Collection, Role};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::tokens::{self, ArchiveClaims};

/// Aleph's datetime format: naive UTC with microseconds.
pub fn datetime(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Remove empty values recursively (Aleph's `clean_object`); booleans and zeros stay.
pub fn clean(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, clean(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(clean)
                .filter(|v| !is_empty(v))
                .collect(),
        ),
        other => other,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// An entity as the index or the store returns it, with what Aleph shows beside it.
#[derive(Debug, Clone)]
pub struct EntityView {
    /// FtM JSON: `id`, `schema`, `properties`…
    pub entity: Value,
    pub collection_id: i64,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub mutable: bool,
    pub role_id: Option<i64>,
    pub score: f32,
    pub highlight: Vec<String>,
}

impl EntityView {
    pub fn from_hit(hit: index::Hit) -> EntityView {
        EntityView {
            entity: hit.entity,
            collection_id: hit.collection_id,
            created_at: hit.created_at,
            updated_at: hit.updated_at,
            mutable: hit.mutable,
            role_id: hit.role_id,
            score: hit.score,
            highlight: hit.highlight,
        }
    }

    pub fn from_stored(stored: &store::StoredEntity) -> EntityView {
        EntityView {
            entity: stored.entity.to_json(),
            collection_id: stored.collection_id,
            created_at: Some(stored.created_at),
            updated_at: Some(stored.updated_at),
            mutable: stored
                .origins
                .iter()
                .any(|o| o == crate::services::entities::ORIGIN_API),
            role_id: None,
            score: 0.0,
            highlight: Vec::new(),
        }
    }

    pub fn id(&self) -> &str {
        self.entity["id"].as_str().unwrap_or_default()
    }
}

/// Serialises objects for one request, caching the lookups they need (public
/// collections, creators, nested collections).
pub struct Serializer<'a> {
    state: &'a AppState,
    actor: &'a Actor,
    public: BTreeSet<i64>,
    roles: HashMap<i64, Option<Value>>,
    collections: HashMap<i64, Option<Value>>,
}

impl<'a> Serializer<'a> {
    pub async fn new(state: &'a AppState, actor: &'a Actor) -> ApiResult<Serializer<'a>> {
        // Public: readable by every visitor (guest) or by every logged-in user.
        let system = state.system_roles;
        let public = state
            .store
            .access_sets(&[system.guest, system.authenticated])
            .await?
            .readable;
        Ok(Serializer {
            state,
            actor,
            public,
            roles: HashMap::new(),
            collections: HashMap::new(),
        })
    }

    fn url(&self, path: &str) -> String {
        self.state.settings.url(path)
    }

    /// A role as nested in other objects (`creator`, `role`).
    pub fn role_nested(&self, role: &Role) -> Value {
        json!({
            "id": role.id.to_string(),
            "type": role.kind.as_str(),
            "name": role.name,
            "label": role.name,
            "links": {"self": self.url(&format!("api/2/roles/{}", role.id))},
            "writeable": self.actor.is_admin || self.actor.id() == Some(role.id),
            "shallow": true,
        })
    }

    /// A role in full, as `GET /roles/{id}` shows it to someone who may edit it.
    pub fn role_full(&self, role: &Role) -> Value {
        let mut value = self.role_nested(role);
        let writeable = self.actor.is_admin || self.actor.id() == Some(role.id);
        value["shallow"] = json!(false);
        if writeable {
            let extra = json!({
                "email": role.email,
                "locale": role.locale,
                "is_admin": role.is_admin,
                "is_muted": role.is_muted,
                "is_tester": role.is_tester,
                "is_blocked": role.is_blocked,
                "has_password": role.password.is_some(),
                "has_api_key": role.has_api_key,
                "api_key_expires_at": role.api_key_expires_at.as_ref().map(datetime),
                "created_at": datetime(&role.created_at),
                "updated_at": datetime(&role.updated_at),
            });
            if let (Value::Object(v), Value::Object(e)) = (&mut value, extra) {
                v.extend(e);
            }
        }
        clean(value)
    }

    async fn creator(&mut self, id: i64) -> Option<Value> {
        if let Some(cached) = self.roles.get(&id) {
            return cached.clone();
        }
        let value = self
            .state
            .store
            .role(id)
            .await
            .ok()
            .map(|r| self.role_nested(&r));
        self.roles.insert(id, value.clone());
        value
    }

    /// A collection object (the list shape; `deep` adds what `GET /collections/{id}` shows).
    pub async fn collection(&mut self, c: &Collection, count: Option<u64>) -> Value {
        let id = c.id.to_string();
        let creator = match c.creator_id {
            Some(cid) => self.creator(cid).await,
            None => None,
        };
        let value = json!({
            "id": id,
            "collection_id": id,
            "foreign_id": c.foreign_id,
            "label": c.label,
            "summary": c.summary,
            "category": c.category.as_str(),
            "frequency": c.frequency.as_str(),
            "countries": c.countries,
            "languages": c.languages,
            "publisher": c.publisher,
            "publisher_url": c.publisher_url,
            "info_url": c.info_url,
            "data_url": c.data_url,
            "casefile": c.casefile(),
            "secret": !self.public.contains(&c.id),
            "restricted": c.restricted,
            "xref": c.xref,
            "count": count.unwrap_or(0),
            "created_at": datetime(&c.created_at),
            "updated_at": datetime(&c.updated_at),
            "data_updated_at": c.data_updated_at.as_ref().map(datetime),
            "creator": creator,
            "links": {
                "self": self.url(&format!("api/2/collections/{id}")),
                "xref_export": self.url(&format!("api/2/collections/{id}/xref.xlsx")),
                "reconcile": self.url(&format!("api/2/collections/{id}/reconcile")),
                "ui": self.url(&format!("datasets/{id}")),
            },
            "writeable": self.actor.can_write(c.id),
            "shallow": true,
        });
        clean(value)
    }

    /// The nested collection of an entity (cached per request).
    pub async fn collection_by_id(&mut self, id: i64) -> Option<Value> {
        if let Some(cached) = self.collections.get(&id) {
            return cached.clone();
        }
        let value = match self.state.store.collection(id).await {
            Ok(c) => Some(self.collection(&c, None).await),
            Err(_) => None,
        };
        self.collections.insert(id, value.clone());
        value
    }

    /// An entity in Aleph's shape. `nested` holds already-serialised entities to put in
    /// place of entity-typed property values.
    pub async fn entity(&mut self, view: &EntityView, nested: &HashMap<String, Value>) -> Value {
        let id = view.id().to_string();
        let schema_name = view.entity["schema"].as_str().unwrap_or_default();
        let schema = ftm::model().get(schema_name);
        let mut properties = view.entity["properties"].clone();
        if let (Some(schema), Value::Object(props)) = (schema, &mut properties) {
            for (name, values) in props.iter_mut() {
                let is_ref = schema
                    .property(name)
                    .is_some_and(|p| p.type_() == PropertyType::Entity);
                if let (true, Value::Array(items)) = (is_ref, values) {
                    for item in items.iter_mut() {
                        if let Some(found) = item.as_str().and_then(|v| nested.get(v)) {
                            *item = found.clone();
                        }
                    }
                }
            }
        }
        let collection = self.collection_by_id(view.collection_id).await;
        let mut links = Map::new();
        links.insert(
            "self".into(),
            json!(self.url(&format!("api/2/entities/{id}"))),
        );
        links.insert(
            "expand".into(),
            json!(self.url(&format!("api/2/entities/{id}/expand"))),
        );
        links.insert(
            "tags".into(),
            json!(self.url(&format!("api/2/entities/{id}/tags"))),
        );
        links.insert("ui".into(), json!(self.url(&format!("entities/{id}"))));
        if schema.is_some_and(|s| s.is_a_name("Document")) {
            let first = |p: &str| view.entity["properties"][p][0].as_str().map(str::to_string);
            let file_name = first("fileName");
            let mime = first("mimeType");
            for (link, prop, mime_type) in [
                ("file", "contentHash", mime.clone()),
                ("pdf", "pdfHash", Some("application/pdf".to_string())),
                ("csv", "csvHash", Some("text/csv".to_string())),
            ] {
                if let Some(hash) = first(prop) {
                    links.insert(
                        link.into(),
                        json!(self.archive_url(&hash, file_name.clone(), mime_type)),
                    );
                }
            }
        }
        let writeable =
            self.actor.is_admin || (view.mutable && self.actor.can_write(view.collection_id));
        let mut value = json!({
            "id": id,
            "schema": schema_name,
            "properties": properties,
            "collection": collection,
            "mutable": view.mutable,
            "created_at": view.created_at.as_ref().map(datetime),
            "updated_at": view.updated_at.as_ref().map(datetime),
            "highlight": view.highlight,
            "links": Value::Object(links),
            "writeable": writeable,
            "shallow": true,
        });
        if view.score > 0.0 {
            value["score"] = json!(view.score);
        }
        if let Some(role_id) = view.role_id {
            value["role_id"] = json!(role_id.to_string());
        }
        clean(value)
    }

    /// A download URL authorised by a token.
    pub fn archive_url(
        &self,
        hash: &str,
        file_name: Option<String>,
        mime: Option<String>,
    ) -> String {
        let claims = ArchiveClaims {
            c: hash.to_string(),
            f: file_name,
            m: mime,
            exp: Utc::now().timestamp() + 24 * 3600,
            r: self.actor.id(),
        };
        let token = tokens::sign(&self.state.settings.secret_key, &claims);
        self.url(&format!("api/2/archive?token={token}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_drops_empty_values_but_keeps_false_and_zero() {
        let v = clean(
            json!({"a": null, "b": "", "c": [], "d": {}, "e": false, "f": 0,
                             "g": {"h": [null, "", "x"], "i": {}}}),
        );
        assert_eq!(v, json!({"e": false, "f": 0, "g": {"h": ["x"]}}));
    }

    #[test]
    fn datetimes_are_naive_with_microseconds() {
        let t = DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap();
        assert_eq!(datetime(&t), "2023-11-14T22:13:20.123456");
    }
}
