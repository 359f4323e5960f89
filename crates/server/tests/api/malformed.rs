//! Malformed input of every kind: bad JSON, wrong types, unknown schemata, huge bodies,
//! non-numeric ids, odd query strings and methods. Every answer must be a JSON 4xx (or a
//! success where the input is merely odd), never a 5xx; `Req::send` checks the shape.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::{TestApp, person};

struct Case {
    method: Method,
    uri: String,
    body: Option<(&'static str, Vec<u8>)>,
}

fn case(method: Method, uri: impl Into<String>) -> Case {
    Case {
        method,
        uri: uri.into(),
        body: None,
    }
}

fn with_body(method: Method, uri: impl Into<String>, ctype: &'static str, body: &[u8]) -> Case {
    Case {
        method,
        uri: uri.into(),
        body: Some((ctype, body.to_vec())),
    }
}

async fn send(app: &TestApp, c: &Case, auth: bool) -> StatusCode {
    let mut req = app.req(c.method.clone(), &c.uri);
    if auth {
        req = req.auth(&app.admin);
    }
    if let Some((ctype, body)) = &c.body {
        req = req.body(ctype, body.clone());
    }
    req.send().await.status
}

fn json_bodies() -> Vec<Vec<u8>> {
    let mut deep = "[".repeat(5000);
    deep.push_str(&"]".repeat(5000));
    vec![
        b"{".to_vec(),
        b"not json at all".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
        b"[1, 2,]".to_vec(),
        b"{\"a\": NaN}".to_vec(),
        b"\"just a string\"".to_vec(),
        b"12345678901234567890123456789".to_vec(),
        b"null".to_vec(),
        deep.into_bytes(),
    ]
}

#[tokio::test]
async fn bad_bodies_are_4xx() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "target").await;
    app.bulk(&app.admin, cid, &json!([person("p1", "Ann")]))
        .await;
    let eid = app
        .get("/api/2/entities?filter:schemata=Thing")
        .auth(&app.admin)
        .send()
        .await
        .json()["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let targets = [
        (Method::POST, "/api/2/collections".to_string()),
        (Method::PUT, format!("/api/2/collections/{cid}")),
        (Method::POST, format!("/api/2/collections/{cid}/_bulk")),
        (Method::POST, "/api/2/entities".to_string()),
        (Method::POST, format!("/api/2/entities/{eid}")),
        (Method::POST, "/api/2/sessions/login".to_string()),
        (Method::PUT, format!("/api/2/roles/{}", app.admin.id)),
        (
            Method::POST,
            format!("/api/2/collections/{cid}/permissions"),
        ),
    ];
    for (method, uri) in &targets {
        for body in json_bodies() {
            let c = with_body(method.clone(), uri.clone(), "application/json", &body);
            let status = send(&app, &c, true).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{method} {uri} {:?}",
                String::from_utf8_lossy(&body[..body.len().min(40)])
            );
        }
    }
    // Nothing of it was written.
    let after = app
        .get("/api/2/entities?filter:schemata=Thing")
        .auth(&app.admin)
        .send()
        .await
        .json();
    assert_eq!(after["total"], 1);
}

#[tokio::test]
async fn wrong_types_in_json_are_400() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "types").await;
    let bodies = [
        json!({"label": ["a"]}),
        json!({"label": {"a": 1}}),
        json!({"label": "ok", "foreign_id": 5}),
        json!({"label": "ok", "casefile": "maybe"}),
        json!({"label": "ok", "languages": {"en": true}}),
        json!({"label": "ok", "countries": [null, 3]}),
        json!({"label": "ok", "summary": false}),
        json!({"label": "ok", "category": null, "frequency": 12}),
        json!([{"label": "in a list"}]),
    ];
    for body in &bodies {
        let resp = app
            .post("/api/2/collections")
            .auth(&app.admin)
            .json(body)
            .send()
            .await;
        assert_eq!(
            resp.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            resp.text()
        );
    }
    let entities = [
        json!({"schema": "Person", "collection_id": cid, "properties": [1, 2]}),
        json!({"schema": "Person", "collection_id": cid, "properties": "name"}),
        json!({"schema": ["Person"], "collection_id": cid}),
        json!({"schema": "Interval", "collection_id": cid}),
        json!({"schema": "", "collection_id": cid}),
        json!({"collection_id": cid}),
    ];
    for body in &entities {
        let resp = app
            .post("/api/2/entities")
            .auth(&app.admin)
            .json(body)
            .send()
            .await;
        assert_eq!(
            resp.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            resp.text()
        );
    }
    let bulk = [
        json!([{"id": {"nested": true}, "schema": "Person"}]),
        json!([{"id": "x", "schema": "Person", "properties": ["name"]}]),
        json!([{"id": "x", "schema": "Person", "properties": true}]),
        json!([{"id": "x", "schema": {"name": "Person"}}]),
    ];
    for body in &bulk {
        let resp = app
            .post(&format!("/api/2/collections/{cid}/_bulk"))
            .auth(&app.admin)
            .json(body)
            .send()
            .await;
        assert_eq!(
            resp.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            resp.text()
        );
    }
}

#[tokio::test]
async fn huge_bodies_are_refused_with_json() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "huge").await;
    // Past the configured limit (16 MiB in these tests).
    let mut huge = b"[".to_vec();
    huge.extend(std::iter::repeat_n(b' ', 17 * 1024 * 1024));
    huge.push(b']');
    for uri in [
        format!("/api/2/collections/{cid}/_bulk"),
        "/api/2/collections".to_string(),
        "/api/2/entities".to_string(),
    ] {
        let c = with_body(Method::POST, uri.clone(), "application/json", &huge);
        let status = send(&app, &c, true).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
    }
}

#[tokio::test]
async fn odd_ids_in_paths() {
    let app = TestApp::new().await;
    let ids = [
        "abc",
        "-1",
        "0",
        "1.0",
        "99999999999999999999999",
        "%20",
        "%FF",
        "%00",
        "1%2F2",
        "%E2%82%AC",
        "1;DROP%20TABLE",
    ];
    for id in ids {
        for (method, uri) in [
            (Method::GET, format!("/api/2/collections/{id}")),
            (Method::PUT, format!("/api/2/collections/{id}")),
            (Method::DELETE, format!("/api/2/collections/{id}")),
            (Method::POST, format!("/api/2/collections/{id}/_bulk")),
            (Method::GET, format!("/api/2/collections/{id}/_stream")),
            (Method::POST, format!("/api/2/collections/{id}/reindex")),
            (Method::POST, format!("/api/2/collections/{id}/touch")),
            (Method::GET, format!("/api/2/collections/{id}/permissions")),
            (Method::GET, format!("/api/2/entities/{id}")),
            (Method::DELETE, format!("/api/2/entities/{id}")),
            (Method::GET, format!("/api/2/roles/{id}")),
            (Method::POST, format!("/api/2/roles/{id}/generate_api_key")),
        ] {
            let c = with_body(method.clone(), uri.clone(), "application/json", b"[]");
            for auth in [true, false] {
                let status = send(&app, &c, auth).await;
                assert!(
                    status.is_client_error(),
                    "{method} {uri} auth={auth}: {status}"
                );
            }
        }
    }
}

#[tokio::test]
async fn odd_query_strings_never_fail_the_server() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "odd").await;
    app.bulk(&app.admin, cid, &json!([person("p1", "Ann")]))
        .await;
    let queries = [
        "filter:schemata=Thing&limit=1e3",
        "filter:schemata=Thing&limit=99999999999999999999999",
        "filter:schemata=Thing&offset=0x10",
        "filter:schemata=Thing&limit=&offset=",
        "filter:schemata=Thing&filter:collection_id=abc",
        "filter:schemata=Thing&filter:collection_id=99999999999999999999",
        "filter:schemata=Thing&facet=nonexistent",
        "filter:schemata=Thing&facet=",
        "filter:schemata=Thing&facet=properties.nope",
        "filter:schemata=Thing&facet_size:schema=-1&facet=schema",
        "filter:schemata=Thing&facet_size:schema=100000000&facet=schema",
        "filter:schemata=Thing&facet_interval:dates=fortnight&facet=dates",
        "filter:schemata=Thing&q=%00%01%02",
        "filter:schemata=Thing&q=%FF%FE",
        "filter:schemata=Thing&q=((((((((((((((((((((((((((((((",
        "filter:schemata=Thing&q=*",
        "filter:schemata=Thing&q=name:*",
        "filter:schemata=Thing&q=~~~~^^^^",
        "filter:schemata=Thing&q=a%20AND%20OR%20NOT",
        "filter:schemata=Thing&q=\"unterminated",
        "filter:schemata=Thing&q=dates:[2000%20TO%20*]",
        "filter:schemata=Thing&q=dates:[zzz%20TO%20yyy]",
        "filter:schemata=Thing&sort=",
        "filter:schemata=Thing&sort=:desc",
        "filter:schemata=Thing&sort=label&sort=score&sort=dates&sort=properties.name:desc",
        "filter:schemata=Thing&highlight=true&highlight_count=-1",
        "filter:schemata=Thing&highlight=true&highlight_length=99999999999",
        "filter:schemata=Thing&filter:gte:dates=2020&filter:lt:dates=now-1y",
        "filter:schemata=Thing&filter:gte:dates=now%2B%2B%2B",
        "filter:schemata=Thing&filter:dates=99999-99-99",
        "filter:schemata=Thing&empty:properties.name=perhaps",
        "filter:schemata=Thing&exclude:schema=Person",
        "filter:schemata=Thing&filter:id=",
        "filter:schemata=Thing&filter:=x",
        "filter:schemata=Thing&:=:&&&==&%%%",
        "filter%3Aschemata=Thing&filter%3Aschema%3D=Person",
        "filter:schema=Person&filter:schema=Nope",
        "filter:schemata=Thing&filter:schemata=Mention",
        "filter:schemata=Thing&prefix=a&next_limit=5",
        "filter:schemata=Thing&callback=alert",
        "filter:schemata=Thing&api_key=",
        "filter:schemata=Thing&dehydrate=true&expand=yes",
    ];
    for query in queries {
        // What a client would send on the wire: the characters a URI cannot hold, escaped.
        let query = query
            .replace('"', "%22")
            .replace('^', "%5E")
            .replace('[', "%5B")
            .replace(']', "%5D");
        for base in ["/api/2/entities", "/api/2/search"] {
            let uri = format!("{base}?{query}");
            let resp = app.get(&uri).auth(&app.admin).send().await;
            if resp.status.is_success() {
                assert!(resp.json()["results"].is_array(), "{uri}");
            }
        }
    }
    let collection_queries = [
        "limit=abc",
        "offset=-1",
        "sort=banana",
        "filter:creator_id=abc",
        "filter:category=nonsense",
        "q=%00",
        "q=((((",
        "prefix=%FF",
        "filter:foreign_id=",
        "limit=0",
    ];
    for query in collection_queries {
        let resp = app
            .get(&format!("/api/2/collections?{query}"))
            .auth(&app.admin)
            .send()
            .await;
        if resp.status.is_success() {
            assert!(resp.json()["results"].is_array(), "{query}");
        }
    }
    for query in [
        "schema=Nope",
        "include=",
        "include=nothing,at,all",
        "schema=",
        "schema=%FF",
    ] {
        let resp = app
            .get(&format!("/api/2/collections/{cid}/_stream?{query}"))
            .auth(&app.admin)
            .send()
            .await;
        assert!(!resp.status.is_server_error(), "{query}");
    }
    for query in [
        "prefix=%FF%FF%FF%FF%FF%FF",
        "prefix=",
        "exclude:id=abc&prefix=abcdefgh",
    ] {
        app.get(&format!("/api/2/roles/_suggest?{query}"))
            .auth(&app.admin)
            .send()
            .await
            .expect(StatusCode::OK);
    }
    for query in ["flush=x", "flush=%FF"] {
        app.post(&format!("/api/2/collections/{cid}/reindex?{query}"))
            .auth(&app.admin)
            .send()
            .await
            .expect(StatusCode::BAD_REQUEST);
    }
}

/// Download names come from users (a collection's foreign id may be any text) and a header
/// value must be visible ASCII: the failures CSV of a collection named in Cyrillic with quotes
/// still downloads, with an ASCII fallback name and the exact name percent-encoded.
#[tokio::test]
async fn download_names_from_any_foreign_id() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "Отчёт \"2024\"\u{7f}").await;
    let resp = app
        .get(&format!(
            "/api/2/collections/{cid}/processing?format=csv&before_version=t%7D%C3%B4"
        ))
        .auth(&app.admin)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let disposition = resp.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82%20%222024%22"),
        "{disposition}"
    );
    assert!(resp.text().starts_with("path,stage,"), "{}", resp.text());
}

#[tokio::test]
async fn unsupported_methods_and_content_types() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "methods").await;
    for (method, uri) in [
        (Method::PATCH, "/api/2/collections".to_string()),
        (Method::DELETE, "/api/2/collections".to_string()),
        (Method::PATCH, format!("/api/2/collections/{cid}")),
        (Method::GET, format!("/api/2/collections/{cid}/_bulk")),
        (Method::DELETE, "/api/2/metadata".to_string()),
        (Method::GET, "/api/2/sessions/login".to_string()),
        (Method::PUT, "/api/2/entities".to_string()),
    ] {
        let status = send(&app, &case(method.clone(), uri.clone()), true).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
    }
    // A form where JSON is expected, and odd content types, are read or refused cleanly.
    let form = with_body(
        Method::POST,
        "/api/2/collections",
        "application/x-www-form-urlencoded",
        b"label=From+a+form&foreign_id=form1",
    );
    assert_eq!(send(&app, &form, true).await, StatusCode::OK);
    let bad_form = with_body(
        Method::POST,
        "/api/2/collections",
        "application/x-www-form-urlencoded",
        b"%%%&&&===",
    );
    assert_eq!(send(&app, &bad_form, true).await, StatusCode::BAD_REQUEST);
    let multipart = with_body(
        Method::POST,
        format!("/api/2/collections/{cid}/_bulk"),
        "multipart/form-data; boundary=x",
        b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n",
    );
    assert_eq!(send(&app, &multipart, true).await, StatusCode::BAD_REQUEST);
    let empty = with_body(
        Method::POST,
        format!("/api/2/collections/{cid}/_bulk"),
        "application/json",
        b"",
    );
    assert_eq!(send(&app, &empty, true).await, StatusCode::BAD_REQUEST);
}

/// A file part cut off before its closing boundary (a client that dies mid-upload, or a
/// fuzzer's body) is the client's fault: the stream error surfaces inside the archive
/// write, and must still come out as a 400, not as an archive I/O failure.
#[tokio::test]
async fn truncated_multipart_upload_is_400() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "cut").await;
    let cut = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                Content-Type: text/plain\r\n\r\nsome bytes and then nothing";
    let resp = app
        .post(&format!("/api/2/collections/{cid}/ingest"))
        .auth(&app.admin)
        .body("multipart/form-data; boundary=x", cut.to_vec())
        .send()
        .await;
    resp.expect(StatusCode::BAD_REQUEST);
    assert!(resp.text().contains("multipart"), "{}", resp.text());
}

/// Queries that pass the parser but that the search backend refuses when it compiles them
/// are the caller's fault too: a pattern with an empty-width assertion (Tantivy's regular
/// expressions have none) and a presence test on the full text.
#[tokio::test]
async fn queries_the_backend_refuses_are_400() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "refused").await;
    app.bulk(&app.admin, cid, &json!([person("p1", "Ann")]))
        .await;
    for query in [
        "q=/a%5Cb/",
        "q=/%5Ea$/",
        "q=/(?m)%5Ex/",
        "q=text:/x%5CB/",
        "empty:text=true",
    ] {
        for base in ["/api/2/search", "/api/2/entities"] {
            let uri = format!("{base}?filter:schemata=Thing&{query}");
            let resp = app.get(&uri).auth(&app.admin).send().await;
            assert_eq!(
                resp.status,
                StatusCode::BAD_REQUEST,
                "{uri}: {}",
                resp.text()
            );
        }
    }
}
