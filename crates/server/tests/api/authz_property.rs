//! An authorization property test: in seeded random worlds of users, groups, collections
//! and grants, no read endpoint ever shows a caller an entity, a count or a facet value of
//! a collection they cannot read, and every readable thing is shown. The expected access
//! is computed here, independently of the server, from the grants the world was built with.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use server::services::entities::{self as write, ORIGIN_BULK, WriteOptions};
use store::{Access, NewCollection, NewRole};

use crate::common::{TestApp, User};

const WORLDS: u64 = 12;
const SCHEMATA: [&str; 4] = ["Person", "Company", "Organization", "Vessel"];
const COUNTRIES: [&str; 10] = ["de", "fr", "gb", "us", "ru", "br", "in", "za", "mx", "jp"];

/// What one collection holds: entity plain ids with their schema, and its country.
struct CollectionFacts {
    id: i64,
    country: &'static str,
    entities: Vec<(String, &'static str)>,
    /// Deleted after it was filled: nobody, not even an admin, may see it again.
    deleted: bool,
}

/// A caller and what they may read and write, as the world's grants say.
struct Caller {
    name: String,
    user: Option<User>,
    readable: BTreeSet<i64>,
    writable: BTreeSet<i64>,
}

struct World {
    app: TestApp,
    collections: Vec<CollectionFacts>,
    callers: Vec<Caller>,
}

async fn key_user(app: &TestApp, name: &str) -> User {
    let email = format!("{name}@authz.test");
    let role = app
        .state
        .store
        .create_role(NewRole::user(
            format!("password:{email}"),
            name,
            email.clone(),
        ))
        .await
        .unwrap();
    let key = app.state.store.reset_api_key(role.id, None).await.unwrap();
    User {
        id: role.id,
        email,
        password: String::new(),
        key: key.as_str().to_string(),
    }
}

async fn build(seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let app = TestApp::new().await;
    let system = app.state.system_roles;
    let n_users = rng.random_range(2..6);
    let n_groups = rng.random_range(0..4);
    let n_collections = rng.random_range(2..8);

    let mut users = Vec::new();
    for u in 0..n_users {
        users.push(key_user(&app, &format!("w{seed}u{u}")).await);
    }
    let mut memberships: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut groups = Vec::new();
    for g in 0..n_groups {
        let members: Vec<&User> = users.iter().filter(|_| rng.random_bool(0.4)).collect();
        let gid = app.group(&format!("w{seed}g{g}"), &members).await;
        for m in members {
            memberships.entry(m.id).or_default().insert(gid);
        }
        groups.push(gid);
    }
    // Every role that can hold a grant: users, groups and the two system roles.
    let mut grantees: Vec<i64> = users.iter().map(|u| u.id).collect();
    grantees.extend(&groups);
    grantees.push(system.guest);
    grantees.push(system.authenticated);

    let mut grants: BTreeMap<(i64, i64), Access> = BTreeMap::new();
    let mut collections = Vec::new();
    for c in 0..n_collections {
        // Written through the service `_bulk` uses, with one index commit per world: a
        // commit per collection would make the worlds slow to build.
        let collection = app
            .state
            .store
            .create_collection(NewCollection::new(format!("w{seed}c{c}"), format!("c{c}")))
            .await
            .unwrap();
        let cid = collection.id;
        let country = COUNTRIES[c % COUNTRIES.len()];
        let entities: Vec<(String, &'static str)> = (0..rng.random_range(1..5))
            .map(|e| {
                (
                    format!("c{c}x{e}"),
                    SCHEMATA[rng.random_range(0..SCHEMATA.len())],
                )
            })
            .collect();
        let batch: Vec<ftm::Entity> = entities
            .iter()
            .enumerate()
            .map(|(i, (id, schema))| {
                let raw = json!({"id": id, "schema": schema,
                                 "properties": {"name": [format!("shared marker {id}")],
                                                "country": [country]}});
                write::prepare(&collection, raw, &WriteOptions::bulk(), i).unwrap()
            })
            .collect();
        write::write_uncommitted(&app.state.store, &app.state.index, cid, ORIGIN_BULK, &batch)
            .await
            .unwrap();
        for &role in &grantees {
            if !rng.random_bool(0.25) {
                continue;
            }
            let is_system = role == system.guest || role == system.authenticated;
            let access = if !is_system && rng.random_bool(0.5) {
                Access::Write
            } else {
                Access::Read
            };
            app.grant(cid, role, access).await;
            grants.insert((cid, role), access);
        }
        // Some grants are taken back again.
        if let Some((&(gc, gr), _)) = grants.iter().find(|((gc, _), _)| *gc == cid)
            && rng.random_bool(0.3)
        {
            app.grant(gc, gr, Access::None).await;
            grants.remove(&(gc, gr));
        }
        collections.push(CollectionFacts {
            id: cid,
            country,
            entities,
            deleted: false,
        });
    }
    app.state.index.commit().await.unwrap();
    if rng.random_bool(0.5) {
        let victim = rng.random_range(0..collections.len());
        let cid = collections[victim].id;
        app.delete(&format!("/api/2/collections/{cid}"))
            .auth(&app.admin)
            .send()
            .await
            .expect(StatusCode::NO_CONTENT);
        collections[victim].deleted = true;
    }
    // One user may be blocked: they are anonymous from then on.
    let blocked = rng.random_bool(0.5).then(|| users[0].id);
    if let Some(id) = blocked {
        app.state.store.set_role_blocked(id, true).await.unwrap();
    }

    let live: BTreeSet<i64> = collections
        .iter()
        .filter(|c| !c.deleted)
        .map(|c| c.id)
        .collect();
    let access_of = |roles: &[i64]| {
        let mut readable = BTreeSet::new();
        let mut writable = BTreeSet::new();
        for (&(cid, role), access) in &grants {
            if roles.contains(&role) && live.contains(&cid) {
                readable.insert(cid);
                if access.write() {
                    writable.insert(cid);
                }
            }
        }
        (readable, writable)
    };
    let mut callers = Vec::new();
    let (readable, writable) = access_of(&[system.guest]);
    callers.push(Caller {
        name: "anonymous".into(),
        user: None,
        readable,
        writable,
    });
    for user in &users {
        let roles: Vec<i64> = if Some(user.id) == blocked {
            vec![system.guest]
        } else {
            let mut roles = vec![system.guest, system.authenticated, user.id];
            roles.extend(memberships.get(&user.id).into_iter().flatten());
            roles
        };
        let (readable, writable) = access_of(&roles);
        callers.push(Caller {
            name: format!("user {} (blocked: {})", user.id, Some(user.id) == blocked),
            user: Some(user.clone()),
            readable,
            writable,
        });
    }
    callers.push(Caller {
        name: "admin".into(),
        user: Some(app.admin.clone()),
        readable: live.clone(),
        writable: live,
    });
    World {
        app,
        collections,
        callers,
    }
}

impl World {
    async fn get(&self, caller: &Caller, uri: &str) -> (StatusCode, Vec<u8>) {
        let mut req = self.app.get(uri);
        if let Some(u) = &caller.user {
            req = req.auth(u);
        }
        let resp = req.send().await;
        (resp.status, resp.body)
    }

    async fn get_json(&self, caller: &Caller, uri: &str) -> Value {
        let (status, body) = self.get(caller, uri).await;
        assert_eq!(status, StatusCode::OK, "{} GET {uri}", caller.name);
        serde_json::from_slice(&body).unwrap()
    }

    /// The collection an entity id belongs to, from its plain part (`c{n}x{m}`).
    fn owner_of(&self, entity_id: &str) -> i64 {
        let plain = entity_id.split('.').next().unwrap();
        self.collections
            .iter()
            .find(|c| c.entities.iter().any(|(id, _)| id == plain))
            .unwrap_or_else(|| panic!("unknown entity {entity_id}"))
            .id
    }

    fn visible<'a>(&'a self, caller: &'a Caller) -> impl Iterator<Item = &'a CollectionFacts> {
        self.collections
            .iter()
            .filter(|c| caller.readable.contains(&c.id))
    }
}

fn facet_map(listing: &Value, name: &str) -> BTreeMap<String, u64> {
    listing["facets"][name]["values"]
        .as_array()
        .unwrap_or_else(|| panic!("no facet {name}"))
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_string(),
                v["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn check_collections(world: &World, caller: &Caller) {
    let listing = world
        .get_json(caller, "/api/2/collections?limit=1000")
        .await;
    let listed: BTreeSet<i64> = listing["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        listed, caller.readable,
        "{}: collection listing",
        caller.name
    );
    assert_eq!(listing["total"], caller.readable.len(), "{}", caller.name);
    for c in &listing["results"].as_array().unwrap()[..] {
        let id: i64 = c["id"].as_str().unwrap().parse().unwrap();
        let facts = world.collections.iter().find(|f| f.id == id).unwrap();
        assert_eq!(
            c["count"],
            facts.entities.len(),
            "{}: count of {id}",
            caller.name
        );
        assert_eq!(
            c["writeable"],
            caller.writable.contains(&id),
            "{}",
            caller.name
        );
    }
    for c in &world.collections {
        let (status, body) = world
            .get(caller, &format!("/api/2/collections/{}", c.id))
            .await;
        let want = if c.deleted {
            StatusCode::NOT_FOUND
        } else if caller.readable.contains(&c.id) {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, want, "{}: view collection {}", caller.name, c.id);
        if status == StatusCode::OK {
            let view: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(view["count"], c.entities.len());
        }
        let (status, _) = world
            .get(caller, &format!("/api/2/collections/{}/status", c.id))
            .await;
        assert_eq!(status, want, "{}: status of {}", caller.name, c.id);
        let (status, _) = world
            .get(caller, &format!("/api/2/collections/{}/permissions", c.id))
            .await;
        let want = if c.deleted {
            StatusCode::NOT_FOUND
        } else if caller.writable.contains(&c.id) {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, want, "{}: permissions of {}", caller.name, c.id);
    }
}

async fn check_search(world: &World, caller: &Caller) {
    let facets = "&facet=collection_id&facet=schema&facet=countries\
                  &facet_size:collection_id=100&facet_size:schema=100&facet_size:countries=100";
    for (path, q) in [
        ("entities", ""),
        ("entities", "&q=shared"),
        ("search", "&q=marker%20OR%20nothing"),
    ] {
        let uri = format!("/api/2/{path}?filter:schemata=Thing&limit=500{q}{facets}");
        let listing = world.get_json(caller, &uri).await;
        let mut want_collections = BTreeMap::new();
        let mut want_schemata = BTreeMap::new();
        let mut want_countries = BTreeMap::new();
        let mut want_ids = BTreeSet::new();
        for c in world.visible(caller) {
            want_collections.insert(c.id.to_string(), c.entities.len() as u64);
            *want_countries.entry(c.country.to_string()).or_insert(0) += c.entities.len() as u64;
            for (id, schema) in &c.entities {
                *want_schemata.entry(schema.to_string()).or_insert(0) += 1;
                want_ids.insert(format!("{}:{id}", c.id));
            }
        }
        let mut got_ids = BTreeSet::new();
        for hit in listing["results"].as_array().unwrap() {
            let id = hit["id"].as_str().unwrap();
            let owner = world.owner_of(id);
            assert_eq!(hit["collection"]["id"], owner.to_string());
            got_ids.insert(format!("{owner}:{}", id.split('.').next().unwrap()));
        }
        assert_eq!(got_ids, want_ids, "{}: search hits {uri}", caller.name);
        assert_eq!(listing["total"], want_ids.len(), "{}", caller.name);
        assert_eq!(
            facet_map(&listing, "collection_id"),
            want_collections,
            "{}",
            caller.name
        );
        assert_eq!(
            facet_map(&listing, "schema"),
            want_schemata,
            "{}",
            caller.name
        );
        assert_eq!(
            facet_map(&listing, "countries"),
            want_countries,
            "{}",
            caller.name
        );
    }
    // Filtering on a collection one cannot read finds nothing, and says nothing about it.
    for c in &world.collections {
        let uri = format!(
            "/api/2/entities?filter:schemata=Thing&filter:collection_id={}&facet=collection_id",
            c.id
        );
        let listing = world.get_json(caller, &uri).await;
        let want = if caller.readable.contains(&c.id) {
            c.entities.len()
        } else {
            0
        };
        assert_eq!(
            listing["total"], want,
            "{}: filtered on {}",
            caller.name, c.id
        );
        // The facet leaves out its own filter (drill-down), so it shows the other readable
        // collections; the filtered one is echoed as active, and without its label unless
        // it is readable.
        let values = listing["facets"]["collection_id"]["values"]
            .as_array()
            .unwrap();
        for v in values {
            let id: i64 = v["id"].as_str().unwrap().parse().unwrap();
            if caller.readable.contains(&id) {
                let facts = world.collections.iter().find(|f| f.id == id).unwrap();
                assert_eq!(
                    v["count"],
                    facts.entities.len(),
                    "{}: {listing}",
                    caller.name
                );
            } else {
                assert_eq!(id, c.id, "{}: {listing}", caller.name);
                assert_eq!(v["count"], 0, "{}: {listing}", caller.name);
                assert_eq!(v["label"], id.to_string(), "{}: label leaked", caller.name);
            }
        }
    }
}

async fn check_entities(world: &World, caller: &Caller) {
    // Signed ids of every entity, as the admin sees them.
    let admin = world.callers.last().unwrap();
    let all = world
        .get_json(admin, "/api/2/entities?filter:schemata=Thing&limit=1000")
        .await;
    for hit in all["results"].as_array().unwrap() {
        let id = hit["id"].as_str().unwrap();
        let owner = world.owner_of(id);
        let want = if caller.readable.contains(&owner) {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        for path in ["entities", "documents"] {
            let (status, _) = world.get(caller, &format!("/api/2/{path}/{id}")).await;
            assert_eq!(status, want, "{}: view {path}/{id}", caller.name);
        }
    }
}

fn stream_owners(world: &World, body: &[u8]) -> BTreeMap<i64, usize> {
    let mut owners = BTreeMap::new();
    for line in std::str::from_utf8(body).unwrap().lines() {
        let entity: Value = serde_json::from_str(line).unwrap();
        let owner = world.owner_of(entity["id"].as_str().unwrap());
        assert_eq!(entity["collection_id"], owner.to_string());
        *owners.entry(owner).or_insert(0) += 1;
    }
    owners
}

async fn check_streams(world: &World, caller: &Caller) {
    let want: BTreeMap<i64, usize> = world
        .collections
        .iter()
        .filter(|c| caller.writable.contains(&c.id))
        .map(|c| (c.id, c.entities.len()))
        .collect();
    let (status, body) = world.get(caller, "/api/2/entities/_stream").await;
    if caller.user.is_some() && !caller.name.contains("blocked: true") {
        assert_eq!(status, StatusCode::OK, "{}", caller.name);
        assert_eq!(
            stream_owners(world, &body),
            want,
            "{}: global stream",
            caller.name
        );
    } else {
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", caller.name);
    }
    for c in &world.collections {
        let (status, body) = world
            .get(caller, &format!("/api/2/collections/{}/_stream", c.id))
            .await;
        if caller.writable.contains(&c.id) {
            assert_eq!(status, StatusCode::OK, "{}", caller.name);
            let owners = stream_owners(world, &body);
            assert_eq!(owners, BTreeMap::from([(c.id, c.entities.len())]));
        } else {
            assert!(
                status.is_client_error(),
                "{}: stream of {}",
                caller.name,
                c.id
            );
        }
    }
}

async fn check_statistics(world: &World, caller: &Caller) {
    let stats = world.get_json(caller, "/api/2/statistics").await;
    let visible: Vec<&CollectionFacts> = world.visible(caller).collect();
    let things: usize = visible.iter().map(|c| c.entities.len()).sum();
    assert_eq!(stats["things"], things, "{}: statistics", caller.name);
    let mut countries = BTreeMap::new();
    let mut schemata = BTreeMap::new();
    for c in &visible {
        *countries.entry(c.country.to_string()).or_insert(0u64) += c.entities.len() as u64;
        for (_, s) in &c.entities {
            *schemata.entry(s.to_string()).or_insert(0u64) += 1;
        }
    }
    let as_map = |v: &Value| -> BTreeMap<String, u64> {
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect()
    };
    assert_eq!(as_map(&stats["countries"]), countries, "{}", caller.name);
    assert_eq!(as_map(&stats["schemata"]), schemata, "{}", caller.name);
    assert_eq!(stats["collections"], visible.len(), "{}", caller.name);
}

#[tokio::test]
async fn no_read_endpoint_leaks_across_permissions() {
    for seed in 0..WORLDS {
        let world = build(seed).await;
        for caller in &world.callers {
            check_collections(&world, caller).await;
            check_search(&world, caller).await;
            check_entities(&world, caller).await;
            check_streams(&world, caller).await;
            check_statistics(&world, caller).await;
        }
    }
}
