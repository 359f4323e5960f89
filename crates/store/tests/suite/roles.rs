use chrono::Duration;
use store::{
    Access, DeleteMode, NewCollection, NewRole, PasswordHash, RoleKind, RoleQuery, RoleUpdate,
    Store, StoreError, now,
};

use super::{collection, group, user};
use crate::common::Harness;

/// Give `role` this access to the collection (a set-up step, which must not fail).
async fn grant(store: &dyn Store, collection_id: i64, role: i64, access: Access) {
    store
        .set_permission(collection_id, role, access)
        .await
        .unwrap();
}

pub async fn system_roles_exist_after_migrations<H: Harness>() {
    let (store, _h) = H::fresh().await;
    assert_eq!(store.schema_version().await.unwrap(), store::LATEST_VERSION);
    let system = store.system_roles().await.unwrap();
    assert_ne!(system.guest, system.authenticated);
    let guest = store.role(system.guest).await.unwrap();
    assert_eq!(guest.kind, RoleKind::System);
    assert_eq!(guest.foreign_id, store::GUEST_FOREIGN_ID);
    let auth = store
        .role_by_foreign_id(store::AUTHENTICATED_FOREIGN_ID)
        .await
        .unwrap();
    assert_eq!(auth.id, system.authenticated);
    let q = RoleQuery {
        kind: Some(RoleKind::System),
        limit: 10,
        ..RoleQuery::default()
    };
    assert_eq!(store.list_roles(&q).await.unwrap().total, 2);
}

pub async fn roles_listed_by_name_prefix<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let emile = user(&*store, "Émile").await;
    let emilia = user(&*store, "emilia").await;
    user(&*store, "Bob").await;
    let team = group(&*store, "Émigrés").await;
    let q = |prefix: &str, kind: Option<RoleKind>, limit: u32, offset: u64| RoleQuery {
        kind,
        name_prefix: Some(prefix.into()),
        limit,
        offset,
        ..RoleQuery::default()
    };
    let ids = |page: store::Page<store::Role>| -> (Vec<i64>, u64) {
        (page.items.iter().map(|r| r.id).collect(), page.total)
    };
    // Case-insensitive beyond ASCII, the same on both backends.
    let all = store.list_roles(&q("émi", None, 10, 0)).await.unwrap();
    assert_eq!(ids(all), (vec![emile.id, team.id], 2));
    let users = store
        .list_roles(&q("EMI", Some(RoleKind::User), 10, 0))
        .await
        .unwrap();
    assert_eq!(ids(users), (vec![emilia.id], 1));
    // Pages count only the matches.
    let second = store.list_roles(&q("É", None, 1, 1)).await.unwrap();
    assert_eq!(ids(second), (vec![team.id], 2));
    let none = store.list_roles(&q("zz", None, 10, 0)).await.unwrap();
    assert_eq!(ids(none), (vec![], 0));
}

pub async fn role_crud_and_email_uniqueness<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let mut new = NewRole::user("password:jane@example.org", "Jane", "Jane@Example.org");
    new.password = Some(PasswordHash::new("secret one").unwrap());
    new.locale = Some("de".into());
    let jane = store.create_role(new).await.unwrap();
    assert_eq!(jane.kind, RoleKind::User);
    assert_eq!(jane.email.as_deref(), Some("Jane@Example.org"));
    assert!(!jane.is_admin && !jane.is_blocked && !jane.has_api_key);
    assert!(jane.check_password("secret one"));
    assert!(!jane.check_password("secret two"));

    let found = store.role_by_email("jane@EXAMPLE.org").await.unwrap();
    assert_eq!(found, jane);
    assert_eq!(store.role(jane.id).await.unwrap(), jane);
    assert!(matches!(
        store.role_by_email("nobody@example.org").await,
        Err(StoreError::NotFound { .. })
    ));

    // Emails are unique among users, whatever their case; foreign ids among all roles.
    let err = store
        .create_role(NewRole::user("oidc:123", "Other Jane", "JANE@example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Conflict {
                what: "user email",
                ..
            }
        ),
        "{err:?}"
    );
    let err = store
        .create_role(NewRole::group("password:jane@example.org", "Group"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { what: "role", .. }),
        "{err:?}"
    );

    let joe = user(&*store, "joe").await;
    let update = RoleUpdate {
        email: Some("jane@example.org".into()),
        ..RoleUpdate::default()
    };
    assert!(matches!(
        store.update_role(joe.id, update).await,
        Err(StoreError::Conflict { .. })
    ));
    let update = RoleUpdate {
        name: Some("Jane D.".into()),
        password: Some(PasswordHash::new("secret two").unwrap()),
        is_admin: Some(true),
        is_muted: Some(true),
        locale: Some(String::new()),
        ..RoleUpdate::default()
    };
    let jane2 = store.update_role(jane.id, update).await.unwrap();
    assert_eq!(jane2.name, "Jane D.");
    assert!(jane2.is_admin && jane2.is_muted);
    assert_eq!(jane2.locale, None);
    assert!(jane2.check_password("secret two") && !jane2.check_password("secret one"));
    assert_eq!(jane2.email, jane.email);

    store.record_login(jane.id).await.unwrap();
    assert!(store.role(jane.id).await.unwrap().last_login_at.is_some());

    let g = group(&*store, "team").await;
    assert_eq!(g.kind, RoleKind::Group);
    let groups = RoleQuery {
        kind: Some(RoleKind::Group),
        limit: 10,
        ..RoleQuery::default()
    };
    let page = store.list_roles(&groups).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].id, g.id);
    let by_email = RoleQuery {
        email: Some("JOE@example.org".into()),
        limit: 10,
        ..RoleQuery::default()
    };
    assert_eq!(
        store.list_roles(&by_email).await.unwrap().items[0].id,
        joe.id
    );

    // System roles are not for editing or deleting.
    let system = store.system_roles().await.unwrap();
    assert!(matches!(
        store.update_role(system.guest, RoleUpdate::default()).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.delete_role(system.authenticated).await,
        Err(StoreError::Invalid(_))
    ));
    // Only users can be blocked or have keys.
    assert!(matches!(
        store.set_role_blocked(g.id, true).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn api_keys_resolve_only_for_unblocked_users<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let u = user(&*store, "keyholder").await;
    assert_eq!(store.role_by_api_key("anything").await.unwrap(), None);

    let key = store.reset_api_key(u.id, None).await.unwrap();
    let found = store.role_by_api_key(key.as_str()).await.unwrap().unwrap();
    assert_eq!(found.id, u.id);
    assert!(found.has_api_key);

    let key2 = store.reset_api_key(u.id, None).await.unwrap();
    assert_ne!(key.as_str(), key2.as_str());
    assert_eq!(store.role_by_api_key(key.as_str()).await.unwrap(), None);
    assert!(
        store
            .role_by_api_key(key2.as_str())
            .await
            .unwrap()
            .is_some()
    );

    store.set_role_blocked(u.id, true).await.unwrap();
    assert_eq!(store.role_by_api_key(key2.as_str()).await.unwrap(), None);
    store.set_role_blocked(u.id, false).await.unwrap();
    assert!(
        store
            .role_by_api_key(key2.as_str())
            .await
            .unwrap()
            .is_some()
    );

    let expired = store
        .reset_api_key(u.id, Some(now() - Duration::seconds(1)))
        .await
        .unwrap();
    assert_eq!(store.role_by_api_key(expired.as_str()).await.unwrap(), None);
    let later = now() + Duration::days(30);
    let valid = store.reset_api_key(u.id, Some(later)).await.unwrap();
    let r = store
        .role_by_api_key(valid.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.api_key_expires_at, Some(later));

    store.revoke_api_key(u.id).await.unwrap();
    assert_eq!(store.role_by_api_key(valid.as_str()).await.unwrap(), None);
    assert!(!store.role(u.id).await.unwrap().has_api_key);

    let g = group(&*store, "keyless").await;
    assert!(matches!(
        store.reset_api_key(g.id, None).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn sessions_expire_and_end_on_block<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let u = user(&*store, "sessioned").await;
    let token = store
        .create_session(u.id, now() + Duration::hours(1))
        .await
        .unwrap();
    assert!(token.as_str().starts_with(&format!("{}.", u.id)));
    let r = store
        .resolve_session(token.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.id, u.id);
    assert_eq!(store.resolve_session("1.bogus").await.unwrap(), None);

    let old = store
        .create_session(u.id, now() - Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(store.resolve_session(old.as_str()).await.unwrap(), None);
    assert_eq!(store.delete_expired_sessions().await.unwrap(), 1);
    assert!(
        store
            .resolve_session(token.as_str())
            .await
            .unwrap()
            .is_some()
    );

    assert!(store.delete_session(token.as_str()).await.unwrap());
    assert!(!store.delete_session(token.as_str()).await.unwrap());
    assert_eq!(store.resolve_session(token.as_str()).await.unwrap(), None);

    // Blocking ends every session, and a blocked user gets none.
    let t = store
        .create_session(u.id, now() + Duration::hours(1))
        .await
        .unwrap();
    store.set_role_blocked(u.id, true).await.unwrap();
    assert_eq!(store.resolve_session(t.as_str()).await.unwrap(), None);
    assert!(matches!(
        store.create_session(u.id, now() + Duration::hours(1)).await,
        Err(StoreError::Invalid(_))
    ));
    store.set_role_blocked(u.id, false).await.unwrap();
    assert_eq!(store.resolve_session(t.as_str()).await.unwrap(), None);
}

pub async fn permissions_readable_sets_with_groups<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let system = store.system_roles().await.unwrap();
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let team = group(&*store, "team").await;
    store.add_member(team.id, alice.id).await.unwrap();
    store.add_member(team.id, alice.id).await.unwrap(); // twice is fine

    let mut own = NewCollection::new("own", "Alice's");
    own.creator_id = Some(alice.id);
    let own = store.create_collection(own).await.unwrap().id;
    let shared = collection(&*store, "shared").await;
    let public = collection(&*store, "public").await;
    let hidden = collection(&*store, "hidden").await;
    grant(&*store, shared, team.id, Access::Read).await;
    grant(&*store, public, system.guest, Access::Read).await;

    let alice_roles = store.role_set(alice.id).await.unwrap();
    let mut sorted = alice_roles.clone();
    sorted.sort();
    let mut expected = vec![system.guest, system.authenticated, alice.id, team.id];
    expected.sort();
    assert_eq!(sorted, expected);
    let groups = store.groups_of(alice.id).await.unwrap();
    assert_eq!(groups.iter().map(|g| g.id).collect::<Vec<_>>(), [team.id]);
    let members = store.members_of(team.id).await.unwrap();
    assert_eq!(members.iter().map(|m| m.id).collect::<Vec<_>>(), [alice.id]);

    let sets = store.access_sets(&alice_roles).await.unwrap();
    assert_eq!(sets.readable.iter().copied().collect::<Vec<_>>(), {
        let mut v = vec![own, shared, public];
        v.sort();
        v
    });
    assert_eq!(sets.writable.iter().copied().collect::<Vec<_>>(), [own]);
    assert!(!sets.readable.contains(&hidden));

    let bob_sets = store
        .access_sets(&store.role_set(bob.id).await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        bob_sets.readable.iter().copied().collect::<Vec<_>>(),
        [public]
    );
    assert!(bob_sets.writable.is_empty());

    // Write implies read; upgrading and revoking replace the row.
    grant(&*store, shared, team.id, Access::Write).await;
    let sets = store.access_sets(&alice_roles).await.unwrap();
    assert!(sets.writable.contains(&shared) && sets.readable.contains(&shared));
    let perms = store.permissions(shared).await.unwrap();
    assert_eq!(perms.len(), 1);
    assert!(perms[0].access.read() && perms[0].access.write());
    grant(&*store, shared, team.id, Access::None).await;
    assert!(store.permissions(shared).await.unwrap().is_empty());
    grant(&*store, shared, team.id, Access::Read).await;

    // Leaving the group loses its collections.
    assert!(store.remove_member(team.id, alice.id).await.unwrap());
    assert!(!store.remove_member(team.id, alice.id).await.unwrap());
    let alice_roles = store.role_set(alice.id).await.unwrap();
    assert!(!alice_roles.contains(&team.id));
    let sets = store.access_sets(&alice_roles).await.unwrap();
    assert!(!sets.readable.contains(&shared));

    // Soft-deleted collections leave every set.
    store
        .delete_collection(own, DeleteMode::Soft)
        .await
        .unwrap();
    let sets = store.access_sets(&alice_roles).await.unwrap();
    assert!(!sets.readable.contains(&own));

    // Only users join groups, only groups have members.
    assert!(matches!(
        store.add_member(team.id, team.id).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.add_member(alice.id, bob.id).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.add_member(team.id, 987_654).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.set_permission(987_654, bob.id, Access::Read).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.set_permission(public, 987_654, Access::Read).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn public_collections_and_system_role_limits<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let system = store.system_roles().await.unwrap();
    let open = collection(&*store, "open").await;
    let members_only = collection(&*store, "members").await;
    let secret = collection(&*store, "secret").await;
    grant(&*store, open, system.guest, Access::Read).await;
    grant(&*store, members_only, system.authenticated, Access::Read).await;
    assert!(store.is_public(open).await.unwrap());
    assert!(!store.is_public(members_only).await.unwrap());
    assert!(!store.is_public(secret).await.unwrap());

    // Anonymous visitors act as guest only; logged-in users also as authenticated.
    let anonymous = store.access_sets(&[system.guest]).await.unwrap();
    assert_eq!(
        anonymous.readable.iter().copied().collect::<Vec<_>>(),
        [open]
    );
    let u = user(&*store, "visitor").await;
    let logged_in = store
        .access_sets(&store.role_set(u.id).await.unwrap())
        .await
        .unwrap();
    assert!(logged_in.readable.contains(&open) && logged_in.readable.contains(&members_only));
    assert!(!logged_in.readable.contains(&secret));

    for role in [system.guest, system.authenticated] {
        assert!(matches!(
            store.set_permission(open, role, Access::Write).await,
            Err(StoreError::Invalid(_))
        ));
    }
    assert!(store.is_public(open).await.unwrap());
}

pub async fn deleting_a_role_cascades_with_counts<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let leaver = user(&*store, "leaver").await;
    let stayer = user(&*store, "stayer").await;
    let g1 = group(&*store, "g1").await;
    let g2 = group(&*store, "g2").await;
    store.add_member(g1.id, leaver.id).await.unwrap();
    store.add_member(g2.id, leaver.id).await.unwrap();
    store.add_member(g1.id, stayer.id).await.unwrap();
    let mut made = NewCollection::new("made", "Made by leaver");
    made.creator_id = Some(leaver.id);
    let made = store.create_collection(made).await.unwrap().id;
    let other = collection(&*store, "other").await;
    grant(&*store, other, leaver.id, Access::Read).await;
    grant(&*store, other, g1.id, Access::Read).await;
    store
        .create_session(leaver.id, now() + Duration::hours(1))
        .await
        .unwrap();
    store.reset_api_key(leaver.id, None).await.unwrap();

    let removed = store.delete_role(leaver.id).await.unwrap();
    assert_eq!(removed.memberships, 2);
    assert_eq!(removed.permissions, 2); // creator's write on `made`, read on `other`
    assert_eq!(removed.sessions, 1);
    assert_eq!(removed.collections_orphaned, 1);
    assert!(matches!(
        store.role(leaver.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let made = store.collection(made).await.unwrap();
    assert_eq!(made.creator_id, None);
    assert_eq!(store.permissions(other).await.unwrap().len(), 1);

    // Deleting a group removes its members' memberships and its permissions.
    let removed = store.delete_role(g1.id).await.unwrap();
    assert_eq!((removed.memberships, removed.permissions), (1, 1));
    assert!(store.groups_of(stayer.id).await.unwrap().is_empty());
    assert!(store.permissions(other).await.unwrap().is_empty());
    assert!(matches!(
        store.delete_role(g1.id).await,
        Err(StoreError::NotFound { .. })
    ));
}
