//! A test instance of the API: a temporary data directory, the real store, index and
//! archive, and a small request builder that sends through `tower::ServiceExt::oneshot`.
//! With `ALEPH_TEST_CONFIG=distributed` the store, index and archive are a fresh
//! PostgreSQL database, OpenSearch index and S3 bucket instead.

#[path = "../../../../tests/support/distributed.rs"]
mod distributed;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use server::{AppState, Settings};
use store::{Access, NewRole, PasswordHash};
use tempfile::TempDir;
use tower::ServiceExt;

pub const UI_URL: &str = "https://aleph.test/";

/// One API instance with an administrator.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub admin: User,
    _dir: TempDir,
}

/// A user made for a test, with the credentials to act as them.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub key: String,
}

impl User {
    /// The `Authorization` header value alephclient sends.
    pub fn auth(&self) -> String {
        format!("ApiKey {}", self.key)
    }
}

/// Settings for a data directory, independent of the environment of the test run
/// (except for `ALEPH_TEST_CONFIG`, which chooses the configuration).
pub fn settings(dir: &std::path::Path) -> Settings {
    let mut settings = embedded_settings(dir);
    if distributed::Config::from_env() == distributed::Config::Distributed {
        let deployment = distributed::Deployment::create();
        settings.database_uri = deployment.database_uri.clone();
        settings.index_path = std::path::PathBuf::from(&deployment.index_uri);
        settings.archive_s3 = Some(archive::S3Config {
            bucket: deployment.bucket.clone(),
            endpoint: Some(deployment.s3_url.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
        });
    }
    settings
}

fn embedded_settings(dir: &std::path::Path) -> Settings {
    Settings {
        data_dir: dir.to_path_buf(),
        database_uri: dir.join("aleph.db").display().to_string(),
        index_path: dir.join("index"),
        archive_path: dir.join("archive"),
        archive_s3: None,
        secret_key: "test-secret".into(),
        ui_url: UI_URL.into(),
        require_logged_in: false,
        maintenance: false,
        app_title: "Aleph test".into(),
        max_upload_bytes: 16 * 1024 * 1024,
        behind_proxy: false,
        audit_retention_days: 365,
        upload_burst: server::services::notifications::UPLOAD_BURST,
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with(|_| {}).await
    }

    /// An instance whose settings the test adjusts first (require_logged_in, maintenance…).
    pub async fn with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = settings(dir.path());
        configure(&mut settings);
        let state = server::open(settings).await.unwrap();
        let boot = server::bootstrap_admin(&state.store)
            .await
            .unwrap()
            .expect("an empty store gets an admin");
        let role = state.store.role_by_email(&boot.email).await.unwrap();
        let admin = User {
            id: role.id,
            email: boot.email,
            password: boot.password,
            key: boot.api_key,
        };
        let router = server::app(state.clone());
        TestApp {
            state,
            router,
            admin,
            _dir: dir,
        }
    }

    /// A new user with a password and an API key.
    pub async fn user(&self, name: &str) -> User {
        let email = format!("{name}@example.org");
        let password = format!("{name}-secret-pw");
        let mut new = NewRole::user(format!("password:{email}"), name, email.clone());
        new.password = Some(PasswordHash::new(&password).unwrap());
        let role = self.state.store.create_role(new).await.unwrap();
        let key = self.state.store.reset_api_key(role.id, None).await.unwrap();
        User {
            id: role.id,
            email,
            password,
            key: key.as_str().to_string(),
        }
    }

    /// A group with these members.
    pub async fn group(&self, name: &str, members: &[&User]) -> i64 {
        let group = self
            .state
            .store
            .create_role(NewRole::group(format!("group:{name}"), name))
            .await
            .unwrap();
        for m in members {
            self.state.store.add_member(group.id, m.id).await.unwrap();
        }
        group.id
    }

    pub async fn grant(&self, collection_id: i64, role_id: i64, access: Access) {
        self.state
            .store
            .set_permission(collection_id, role_id, access)
            .await
            .unwrap();
    }

    /// Make a collection readable by everyone (the guest role).
    pub async fn make_public(&self, collection_id: i64) {
        let guest = self.state.system_roles.guest;
        self.grant(collection_id, guest, Access::Read).await;
    }

    pub fn req(&self, method: Method, uri: &str) -> Req<'_> {
        Req {
            app: self,
            builder: Request::builder().method(method).uri(uri),
            body: Body::empty(),
        }
    }

    pub fn get(&self, uri: &str) -> Req<'_> {
        self.req(Method::GET, uri)
    }

    pub fn post(&self, uri: &str) -> Req<'_> {
        self.req(Method::POST, uri)
    }

    pub fn put(&self, uri: &str) -> Req<'_> {
        self.req(Method::PUT, uri)
    }

    pub fn delete(&self, uri: &str) -> Req<'_> {
        self.req(Method::DELETE, uri)
    }

    /// Create a collection as `user` through the API; returns its id.
    pub async fn collection(&self, user: &User, foreign_id: &str) -> i64 {
        let resp = self
            .post("/api/2/collections")
            .auth(user)
            .json(&serde_json::json!({"foreign_id": foreign_id, "label": foreign_id}))
            .send()
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.text());
        resp.json()["id"].as_str().unwrap().parse().unwrap()
    }

    /// Write entities into a collection through `_bulk`, expecting success.
    pub async fn bulk(&self, user: &User, collection_id: i64, entities: &Value) {
        let resp = self
            .post(&format!("/api/2/collections/{collection_id}/_bulk"))
            .auth(user)
            .json(entities)
            .send()
            .await;
        assert_eq!(resp.status, StatusCode::NO_CONTENT, "{}", resp.text());
    }
}

impl TestApp {
    /// `GET uri` as `user`, read as JSON (whatever the status; a 4xx is an error object).
    pub async fn get_json(&self, uri: &str, user: &User) -> Value {
        self.get(uri).auth(user).send().await.json()
    }

    /// Send the same bodiless request to `uri` once per step, as the step's user (anonymous
    /// with `None`), in order, and assert each step's status. The steps are the point of
    /// the call (who may do what, and what is left after), so a failure names the step,
    /// the request, the user and the body.
    pub async fn expect_each(&self, uri: &str, steps: &[(Method, Option<&User>, StatusCode)]) {
        for (i, (method, user, status)) in steps.iter().enumerate() {
            let mut req = self.req(method.clone(), uri);
            if let Some(user) = user {
                req = req.auth(user);
            }
            let resp = req.send().await;
            let who = user.map_or("anonymous", |u| u.email.as_str());
            assert_eq!(
                resp.status,
                *status,
                "step {i}: {method} {uri} as {who}: body: {}",
                resp.text()
            );
        }
    }
}

/// A request being built.
pub struct Req<'a> {
    app: &'a TestApp,
    builder: axum::http::request::Builder,
    body: Body,
}

impl Req<'_> {
    /// Authenticate with the user's API key, as alephclient does.
    pub fn auth(self, user: &User) -> Self {
        self.header(header::AUTHORIZATION.as_str(), &user.auth())
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    pub fn json(mut self, value: &Value) -> Self {
        self.builder = self
            .builder
            .header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(serde_json::to_vec(value).unwrap());
        self
    }

    /// A raw body with a content type.
    pub fn body(mut self, content_type: &str, body: impl Into<Body>) -> Self {
        self.builder = self.builder.header(header::CONTENT_TYPE, content_type);
        self.body = body.into();
        self
    }

    pub async fn send(self) -> Resp {
        let request = self.builder.body(self.body).unwrap();
        let response = self.app.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let resp = Resp {
            status,
            headers,
            body: body.to_vec(),
        };
        resp.check_error_shape();
        resp
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Every error is JSON `{"status": "error", "message": …}`; no request of these tests
    /// may ever meet a 5xx.
    fn check_error_shape(&self) {
        assert!(
            !self.status.is_server_error(),
            "server error {}: {}",
            self.status,
            self.text()
        );
        if self.status.is_client_error() {
            let body = self.json();
            assert_eq!(body["status"], "error", "{body}");
            assert!(body["message"].is_string(), "{body}");
        }
    }

    /// Assert the status, with the body in the message.
    #[track_caller]
    pub fn expect(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "body: {}", self.text());
        self
    }
}

/// The ids of a listing's results, sorted.
pub fn result_ids(listing: &Value) -> Vec<String> {
    let mut ids: Vec<String> = listing["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

pub const BOUNDARY: &str = "XyZboundary42";

/// A multipart upload body as alephclient sends it: `meta` JSON, then the file.
pub fn multipart(meta: &Value, file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{meta}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Upload one file through `POST /collections/{id}/ingest`.
pub async fn upload_file(
    app: &TestApp,
    user: &User,
    cid: i64,
    meta: &Value,
    name: &str,
    bytes: &[u8],
) -> Resp {
    app.post(&format!(
        "/api/2/collections/{cid}/ingest?sync=False&index=True"
    ))
    .auth(user)
    .body(
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        multipart(meta, name, bytes),
    )
    .send()
    .await
}

/// A small FtM entity.
pub fn person(id: &str, name: &str) -> Value {
    serde_json::json!({"id": id, "schema": "Person", "properties": {"name": [name]}})
}
