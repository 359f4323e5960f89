//! Email: single messages (`.eml`, `.emlx`, Outlook `.msg`) become an `Email`; mailboxes
//! (mbox, PST/OST) become a `Package` whose messages are child files.
//!
//! Whatever the source format, a message is first read into an [`EmailRecord`] and then
//! written onto the entity the way Aleph's ingest-file does: `subject`, `date`,
//! `messageId`, `inReplyTo`, `threadTopic`, `from`/`sender`/`to`/`cc`/`bcc` as
//! `Name <address>` labels, `emailMentioned`/`namesMentioned`, the bodies, and one
//! `Person` per address (its id derived from the address alone, so the same person is one
//! entity across every message) linked through `emitters` and `recipients`.

pub(super) mod mbox;
pub(super) mod outlook_msg;
pub(super) mod pst;
pub(super) mod rfc822;
mod rtf;

use std::collections::HashSet;
use std::path::PathBuf;

use ftm::{CleanOptions, Entity, PropertyType};

use super::{entity_id, iso_utc, safe_extension, schema, work_subdir};
use crate::{Child, Context, IngestError, Sink, child_document};

/// Which header an address came from, which decides the properties it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Sender,
    From,
    To,
    Cc,
    Bcc,
    /// Reply-To, Return-Path: mentioned, but neither emitter nor recipient.
    Mentioned,
}

impl Role {
    /// The entity property (`emitters`/`recipients`) and the label property.
    fn properties(self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            Role::Sender => (Some("emitters"), Some("sender")),
            Role::From => (Some("emitters"), Some("from")),
            Role::To => (Some("recipients"), Some("to")),
            Role::Cc => (Some("recipients"), Some("cc")),
            Role::Bcc => (Some("recipients"), Some("bcc")),
            Role::Mentioned => (None, None),
        }
    }
}

/// A person as named in an address header: a display name, an address, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Identity {
    name: Option<String>,
    email: Option<String>,
}

impl Identity {
    /// Clean a name/address pair; `None` when neither part is usable. A "name" that is
    /// itself an address (`"bob@x.org" <>`) is taken as the address.
    pub(super) fn new(name: Option<&str>, email: Option<&str>) -> Option<Identity> {
        let mut email = email.and_then(clean_email);
        let mut name = name
            .map(|n| n.trim().trim_matches(['"', '\'']).trim().to_string())
            .filter(|n| !n.is_empty());
        if let Some(as_email) = name.as_deref().and_then(clean_email) {
            email = email.or(Some(as_email));
            name = None;
        }
        if name.is_none() && email.is_none() {
            return None;
        }
        Some(Identity { name, email })
    }

    /// How the address is shown in `from`/`to`/…: `Name <address>`, or whichever part
    /// there is.
    pub(super) fn label(&self) -> String {
        match (&self.name, &self.email) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (Some(name), None) => name.clone(),
            (None, Some(email)) => email.clone(),
            (None, None) => String::new(),
        }
    }

    /// The `Person` behind an address; none for a bare name, which cannot be told apart
    /// from other people of the same name.
    fn person(&self) -> Result<Option<Entity>, IngestError> {
        let Some(email) = &self.email else {
            return Ok(None);
        };
        let key = email.trim().to_lowercase();
        let Some(id) = ftm::make_id(None, &[key.as_str()]) else {
            return Ok(None);
        };
        let mut person = Entity::with_id("Person", id)?;
        if let Some(name) = &self.name {
            person.add("name", name)?;
        }
        person.add("email", email)?;
        Ok(Some(person))
    }
}

/// An address if FtM accepts it as one.
fn clean_email(raw: &str) -> Option<String> {
    let raw = raw
        .trim()
        .trim_start_matches("mailto:")
        .trim_matches(['<', '>']);
    if !raw.contains('@') {
        return None;
    }
    PropertyType::Email.clean(raw, CleanOptions::default())
}

/// Everything read from one message, before it is written onto the entity.
#[derive(Debug, Default)]
pub(super) struct EmailRecord {
    pub subject: Option<String>,
    pub thread_topic: Option<String>,
    /// Seconds since the Unix epoch, UTC.
    pub date: Option<i64>,
    pub message_ids: Vec<String>,
    pub in_reply_to: Option<String>,
    pub generator: Option<String>,
    pub language: Option<String>,
    pub keywords: Vec<String>,
    pub identities: Vec<(Role, Identity)>,
    /// Header names and (decoded) values, in order.
    pub headers: Vec<(String, String)>,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
}

impl EmailRecord {
    /// Make `entity` an `Email` carrying this record, and report the people in it.
    pub(super) fn apply(
        self,
        entity: &mut Entity,
        ctx: &Context,
        sink: &mut dyn Sink,
    ) -> Result<(), IngestError> {
        entity.set_schema(schema("Email")?);
        if let Some(subject) = &self.subject {
            entity.add("subject", subject)?;
        }
        if let Some(topic) = &self.thread_topic {
            entity.add("threadTopic", topic)?;
        }
        if let Some(date) = self.date.and_then(iso_utc) {
            entity.add("date", &date)?;
        }
        entity.add_all("messageId", &self.message_ids)?;
        if let Some(reply) = &self.in_reply_to {
            entity.add("inReplyTo", reply)?;
        }
        if let Some(generator) = &self.generator {
            entity.add("generator", generator)?;
        }
        if let Some(language) = &self.language {
            entity.add("language", language)?;
        }
        entity.add_all("keywords", &self.keywords)?;

        let mut emitted: HashSet<String> = HashSet::new();
        for (role, identity) in &self.identities {
            let (link, label) = role.properties();
            if let Some(label) = label {
                entity.add(label, &identity.label())?;
            }
            if let Some(name) = &identity.name {
                entity.add("namesMentioned", name)?;
            }
            if let Some(email) = &identity.email {
                entity.add("emailMentioned", email)?;
            }
            if let Some(person) = identity.person()? {
                let id = person.id().unwrap_or_default().to_string();
                if let Some(link) = link {
                    entity.add(link, &id)?;
                }
                if emitted.insert(person.id().unwrap_or_default().to_string()) {
                    sink.entity(person)?;
                }
            }
        }

        if !self.headers.is_empty() {
            entity.add("headers", &headers_json(&self.headers))?;
            let values: Vec<&str> = self.headers.iter().map(|(_, v)| v.as_str()).collect();
            entity.add("indexText", &values.join("\n"))?;
        }

        let limit = ctx.limits.max_text_bytes;
        let text = self.body_text.filter(|t| !t.trim().is_empty());
        let html = self.body_html.filter(|h| !h.trim().is_empty());
        let html = html.or_else(|| text.as_deref().map(text_to_html));
        if let Some(mut text) = text {
            crate::text::truncate(&mut text, limit);
            entity.add("bodyText", &text)?;
        }
        if let Some(mut html) = html {
            crate::text::truncate(&mut html, limit);
            entity.add("bodyHtml", &html)?;
        }
        Ok(())
    }
}

/// The headers as one JSON object; a header that repeats (`Received`) gets a list.
fn headers_json(headers: &[(String, String)]) -> String {
    let mut map = serde_json::Map::new();
    for (name, value) in headers {
        let value = serde_json::Value::String(value.clone());
        match map.get_mut(name) {
            None => {
                map.insert(name.clone(), value);
            }
            Some(serde_json::Value::Array(list)) => list.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = serde_json::Value::Array(vec![first, value]);
            }
        }
    }
    serde_json::Value::Object(map).to_string()
}

/// A plain-text body shown as HTML, as Aleph does for messages without an HTML part.
fn text_to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.trim().chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// The message ids inside angle brackets in a header value (`<a@b> <c@d>`), as Aleph
/// keeps them: without the brackets, and only if longer than four characters.
pub(super) fn parse_message_ids(value: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else { break };
        let id = after[..end].trim();
        if id.chars().count() > 4 {
            ids.push(id.to_string());
        }
        rest = &after[end + 1..];
    }
    if ids.is_empty() {
        // Some mailers leave the brackets off a lone id.
        let bare = value.trim();
        if bare.contains('@') && !bare.contains(char::is_whitespace) && bare.chars().count() > 4 {
            ids.push(bare.to_string());
        }
    }
    ids
}

/// The message a reply answers: the last of `References`, else the first `In-Reply-To`.
pub(super) fn reply_target(references: &[String], in_reply_to: &[String]) -> Option<String> {
    references.last().or_else(|| in_reply_to.first()).cloned()
}

/// Writes a message's attachments to the work directory and reports them as children.
pub(super) struct Attachments {
    email_id: String,
    dir: PathBuf,
    count: u64,
    max: u64,
}

impl Attachments {
    pub(super) fn new(email: &Entity, ctx: &Context) -> Result<Attachments, IngestError> {
        let email_id = entity_id(email)?;
        let dir = work_subdir(ctx, &email_id, "attachments")?;
        Ok(Attachments {
            email_id,
            dir,
            count: 0,
            max: ctx.limits.max_members,
        })
    }

    /// Report one attachment. Outlook leaves nameless empty ones behind: those are dropped.
    pub(super) fn add(
        &mut self,
        name: Option<&str>,
        mime_type: Option<&str>,
        bytes: &[u8],
        sink: &mut dyn Sink,
    ) -> Result<(), IngestError> {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        if name.is_none() && bytes.is_empty() {
            return Ok(());
        }
        let (file_name, path) = self.reserve(name)?;
        std::fs::write(&path, bytes)?;
        self.report(&file_name, mime_type, path, sink)
    }

    /// Count an attachment against the limit and choose where its bytes go; returns the
    /// file name it will carry and the path to write.
    pub(super) fn reserve(&mut self, name: Option<&str>) -> Result<(String, PathBuf), IngestError> {
        if self.count >= self.max {
            return Err(IngestError::limit(format!(
                "message has more than {} attachments; the rest were not extracted",
                self.max
            )));
        }
        self.count += 1;
        // The name may carry a path (`C:\Users\x\report.pdf`): keep its last part.
        let file_name = name
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "attachment".to_string());
        let path = self
            .dir
            .join(format!("{:05}{}", self.count, safe_extension(&file_name)));
        Ok((file_name, path))
    }

    /// Report an attachment whose bytes are at `path` (from [`Attachments::reserve`]).
    pub(super) fn report(
        &mut self,
        file_name: &str,
        mime_type: Option<&str>,
        path: PathBuf,
        sink: &mut dyn Sink,
    ) -> Result<(), IngestError> {
        let parent = Entity::with_id("Email", self.email_id.clone())?;
        let key = format!("attachment/{}/{file_name}", self.count);
        let mut child = child_document(&parent, &key, file_name)?;
        if let Some(mime) = mime_type.filter(|m| !m.trim().is_empty()) {
            child.add("mimeType", mime)?;
        }
        sink.child(Child {
            path,
            entity: child,
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_clean_and_label() {
        let id = Identity::new(Some(" \"Jane Doe\" "), Some("Jane@Example.org")).unwrap();
        assert_eq!(id.label(), "Jane Doe <Jane@example.org>");
        let bare = Identity::new(Some("bob@example.org"), None).unwrap();
        assert_eq!(bare.label(), "bob@example.org");
        assert_eq!(bare.name, None);
        let name_only = Identity::new(Some("Accounts"), Some("not an address")).unwrap();
        assert_eq!(name_only.label(), "Accounts");
        assert!(name_only.person().unwrap().is_none());
        assert!(Identity::new(Some("  "), None).is_none());
    }

    #[test]
    fn person_ids_depend_only_on_the_address() {
        let a = Identity::new(Some("Jane"), Some("jane@example.org"))
            .unwrap()
            .person()
            .unwrap()
            .unwrap();
        let b = Identity::new(Some("J. Doe"), Some("JANE@example.org"))
            .unwrap()
            .person()
            .unwrap()
            .unwrap();
        assert_eq!(a.id(), b.id());
        assert_eq!(a.id(), ftm::make_id(None, &["jane@example.org"]).as_deref());
    }

    #[test]
    fn message_ids_and_reply_targets() {
        assert_eq!(parse_message_ids("<abc@x.org> <de@f>"), ["abc@x.org"]);
        assert_eq!(
            parse_message_ids("bare-id@host.example"),
            ["bare-id@host.example"]
        );
        let refs = parse_message_ids("<one@x.org> <two@x.org>");
        assert_eq!(
            reply_target(&refs, &["zzz@x.org".into()]).as_deref(),
            Some("two@x.org")
        );
        assert_eq!(
            reply_target(&[], &["zzz@x.org".into()]).as_deref(),
            Some("zzz@x.org")
        );
    }

    #[test]
    fn repeated_headers_become_lists() {
        let json = headers_json(&[
            ("Received".into(), "a".into()),
            ("Subject".into(), "s".into()),
            ("Received".into(), "b".into()),
        ]);
        assert_eq!(json, r#"{"Received":["a","b"],"Subject":"s"}"#);
    }
}
