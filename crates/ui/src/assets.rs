//! The embedded files: one table, so that adding a module is one line.

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub body: &'static [u8],
    pub content_type: &'static str,
    /// FNV-1a of the body, computed at compile time, for the `ETag`.
    pub hash: u64,
}

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! embed {
    ($( $url:literal => $file:literal, $ty:expr; )*) => {
        const TABLE: &[(&str, Asset)] = &[
            $( ($url, Asset {
                body: include_bytes!(concat!("../assets/", $file)),
                content_type: $ty,
                hash: fnv1a(include_bytes!(concat!("../assets/", $file))),
            }), )*
        ];
    };
}

embed! {
    "/index.html" => "index.html", HTML;
    "/favicon.svg" => "favicon.svg", SVG;
    "/static/app.css" => "app.css", CSS;
    "/static/js/app.js" => "js/app.js", JS;
    "/static/js/api.js" => "js/api.js", JS;
    "/static/js/dom.js" => "js/dom.js", JS;
    "/static/js/model.js" => "js/model.js", JS;
    "/static/js/login.js" => "js/login.js", JS;
    "/static/js/search.js" => "js/search.js", JS;
    "/static/js/collections.js" => "js/collections.js", JS;
    "/static/js/collection.js" => "js/collection.js", JS;
    "/static/js/status.js" => "js/status.js", JS;
    "/static/js/upload.js" => "js/upload.js", JS;
    "/static/js/entity.js" => "js/entity.js", JS;
    "/static/js/viewers.js" => "js/viewers.js", JS;
    "/static/js/access.js" => "js/access.js", JS;
    "/static/js/xref.js" => "js/xref.js", JS;
    "/static/js/graph.js" => "js/graph.js", JS;
    "/static/js/settings.js" => "js/settings.js", JS;
    "/static/js/sets.js" => "js/sets.js", JS;
    "/static/js/diagram.js" => "js/diagram.js", JS;
    "/static/js/notifications.js" => "js/notifications.js", JS;
    "/static/js/admin.js" => "js/admin.js", JS;
}

/// The embedded file served at `path`, if any.
pub fn asset(path: &str) -> Option<Asset> {
    TABLE.iter().find(|(p, _)| *p == path).map(|(_, a)| *a)
}

/// Every embedded file with its path.
#[cfg(test)]
pub(crate) fn all() -> impl Iterator<Item = (&'static str, Asset)> {
    TABLE.iter().map(|(p, a)| (*p, *a))
}
