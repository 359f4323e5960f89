//! The web interface investigators work in, served by `aleph serve` at `/`.
//!
//! It is a small single-page application in plain HTML, CSS and native ES modules: no
//! front-end build step, so `cargo build` is all it takes. Every file is embedded in the
//! binary with `include_bytes!`; the pages talk only to the public `/api/2`, so whatever
//! the interface shows is also in the API.
//!
//! [`response`] answers a `GET` for any non-API path: a file under `/static/`, or the
//! application shell for a page path (`/search`, `/collections/12`, `/entities/…`), whose
//! scripts then route on the URL in the browser. Assets carry a content hash in an `ETag`
//! so that a reload costs a `304`.

mod assets;

pub use assets::{Asset, asset};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Page paths the browser-side router knows; anything else under them is routed in the
/// browser too (an unknown id is the API's 404, shown in the page).
const PAGE_PREFIXES: &[&str] = &[
    "/login",
    "/logout",
    "/search",
    "/collections",
    "/entities",
    "/settings",
    "/status",
    "/help",
    "/sets",
    "/lists",
    "/diagrams",
    "/timelines",
    "/notifications",
    "/admin",
];

/// Whether `path` is a page of the interface (served the shell) rather than a missing file.
pub fn is_page(path: &str) -> bool {
    path == "/"
        || PAGE_PREFIXES.iter().any(|p| {
            path.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
}

/// The response for a `GET` of `path` (without its query string), given the request's
/// headers for `If-None-Match`. `None` when the path is neither an asset nor a page.
pub fn response(path: &str, headers: &HeaderMap) -> Option<Response> {
    let (found, cache) = if let Some(found) = asset(path) {
        (found, "no-cache")
    } else if is_page(path) {
        // The shell is tiny and must never be stale after an upgrade.
        (asset("/index.html")?, "no-store")
    } else {
        return None;
    };
    let etag = format!("\"{:016x}\"", found.hash);
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, found.content_type)], found.body).into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Documents under review may carry hostile HTML; ours never needs a foreign origin.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
             frame-src 'self' blob: data:; object-src 'self'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    Some(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body(resp: Response) -> String {
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn pages_get_the_shell_and_assets_their_type() {
        for page in [
            "/",
            "/search",
            "/collections/3/status",
            "/entities/abc.def",
            "/diagrams/7",
            "/notifications",
            "/admin/users",
        ] {
            let resp = response(page, &HeaderMap::new()).unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(
                resp.headers()[header::CONTENT_TYPE],
                "text/html; charset=utf-8"
            );
            assert!(body(resp).await.contains("/static/js/app.js"));
        }
        let css = response("/static/app.css", &HeaderMap::new()).unwrap();
        assert_eq!(
            css.headers()[header::CONTENT_TYPE],
            "text/css; charset=utf-8"
        );
        let js = response("/static/js/app.js", &HeaderMap::new()).unwrap();
        assert_eq!(
            js.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert!(body(js).await.contains("import"));
    }

    #[test]
    fn unknown_paths_are_not_pages() {
        for path in [
            "/favicon.txt",
            "/searching",
            "/static/nope.js",
            "/api",
            "/entitiesx",
        ] {
            assert!(response(path, &HeaderMap::new()).is_none(), "{path}");
        }
    }

    #[test]
    fn a_matching_etag_is_a_304() {
        let first = response("/static/app.css", &HeaderMap::new()).unwrap();
        let etag = first.headers()[header::ETAG].clone();
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, etag);
        let again = response("/static/app.css", &headers).unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }

    #[test]
    fn every_module_import_names_an_embedded_file() {
        // A typo in an import path breaks the whole page in the browser; catch it here.
        for (path, found) in assets::all() {
            if !path.ends_with(".js") {
                continue;
            }
            let text = std::str::from_utf8(found.body).unwrap();
            for line in text.lines() {
                let line = line.trim_start();
                if !(line.starts_with("import ") || line.starts_with("} from ")) {
                    continue;
                }
                let Some(start) = line.find(['\'', '"']) else {
                    continue;
                };
                let spec = &line[start + 1..];
                let Some(end) = spec.find(['\'', '"']) else {
                    continue;
                };
                let spec = &spec[..end];
                let dir = &path[..path.rfind('/').unwrap()];
                let target = match spec.strip_prefix("./") {
                    Some(rest) => format!("{dir}/{rest}"),
                    None => spec.to_string(),
                };
                assert!(asset(&target).is_some(), "{path} imports {spec}");
            }
        }
    }
}
