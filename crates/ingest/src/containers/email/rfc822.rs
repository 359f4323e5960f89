//! RFC 822 messages (`.eml`) and Apple Mail's `.emlx` (a byte count, the message, then a
//! property list), parsed with `mail-parser`.

use std::path::Path;

use ftm::Entity;
use mail_parser::{
    Address, HeaderName, HeaderValue, Message, MessageParser, MimeHeaders, PartType,
};

use super::{Attachments, EmailRecord, Identity, Role, parse_message_ids, reply_target};
use crate::{Context, IngestError, Sink};

pub(crate) fn ingest_eml(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let bytes = std::fs::read(path)?;
    ingest_message(entity, &bytes, ctx, sink)
}

pub(crate) fn ingest_emlx(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let bytes = std::fs::read(path)?;
    let message = emlx_message(&bytes)?;
    ingest_message(entity, message, ctx, sink)
}

/// The RFC 822 part of an `.emlx` file: the first line says how many bytes follow.
fn emlx_message(bytes: &[u8]) -> Result<&[u8], IngestError> {
    let newline = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| IngestError::corrupt("not an emlx file: no length line"))?;
    let length: usize = std::str::from_utf8(&bytes[..newline])
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| {
            IngestError::corrupt("not an emlx file: the first line is not a byte count")
        })?;
    let body = &bytes[newline + 1..];
    // A wrong count (hand-edited files) still leaves a readable message: take what is there.
    Ok(&body[..length.min(body.len())])
}

/// Parse one RFC 822 message into `entity`, its people and its attachments.
pub(super) fn ingest_message(
    entity: &mut Entity,
    bytes: &[u8],
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let message = MessageParser::default()
        .parse(bytes)
        .filter(|m| !m.headers().is_empty())
        .ok_or_else(|| IngestError::corrupt("not a readable email message: no headers found"))?;
    let record = record_of(&message);
    record.apply(entity, ctx, sink)?;
    let mut attachments = Attachments::new(entity, ctx)?;
    for part in message.attachments() {
        let name = part.attachment_name();
        let mime = part.content_type().map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        });
        match &part.body {
            PartType::Message(inner) => {
                // A forwarded message travels as a file of its own, to become an Email.
                let name = name
                    .map(str::to_string)
                    .or_else(|| inner.subject().map(|s| format!("{s}.eml")))
                    .unwrap_or_else(|| "message.eml".to_string());
                attachments.add(
                    Some(&name),
                    Some("message/rfc822"),
                    inner.raw_message(),
                    sink,
                )?;
            }
            _ => attachments.add(name, mime.as_deref(), part.contents(), sink)?,
        }
    }
    Ok(())
}

/// Read the headers and bodies of a parsed message.
pub(super) fn record_of(message: &Message<'_>) -> EmailRecord {
    let mut record = EmailRecord {
        subject: message.subject().map(str::to_string),
        thread_topic: text_header(message, "Thread-Topic"),
        date: message
            .date()
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp()),
        generator: text_header(message, "X-Mailer").or_else(|| text_header(message, "User-Agent")),
        language: text_header(message, "Content-Language"),
        ..EmailRecord::default()
    };
    if let Some(keywords) = text_header(message, "Keywords") {
        record.keywords = keywords
            .split(',')
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
    }
    record.message_ids = raw_header(message, "Message-ID")
        .map(|v| parse_message_ids(&v))
        .unwrap_or_default();
    let references = raw_header(message, "References")
        .map(|v| parse_message_ids(&v))
        .unwrap_or_default();
    let in_reply_to = raw_header(message, "In-Reply-To")
        .map(|v| parse_message_ids(&v))
        .unwrap_or_default();
    record.in_reply_to = reply_target(&references, &in_reply_to);

    for (names, role) in [
        (&["Return-Path"][..], Role::Mentioned),
        (&["Reply-To"][..], Role::Mentioned),
        (&["Sender", "X-Sender"][..], Role::Sender),
        (&["From", "X-From"][..], Role::From),
        (&["To", "Resent-To"][..], Role::To),
        (&["Cc", "Resent-Cc"][..], Role::Cc),
        (&["Bcc", "Resent-Bcc"][..], Role::Bcc),
    ] {
        for name in names {
            for value in message.header_values(
                HeaderName::parse(*name).unwrap_or(HeaderName::Other((*name).into())),
            ) {
                for identity in identities(value) {
                    if !record.identities.contains(&(role, identity.clone())) {
                        record.identities.push((role, identity));
                    }
                }
            }
        }
    }

    for header in message.headers() {
        let value = header_text(header.value())
            .or_else(|| {
                message
                    .raw_message()
                    .get(header.offset_start() as usize..header.offset_end() as usize)
                    .map(|raw| unfold(&String::from_utf8_lossy(raw)))
            })
            .unwrap_or_default();
        if !value.is_empty() {
            record.headers.push((header.name().to_string(), value));
        }
    }

    let texts: Vec<String> = (0..message.text_body_count())
        .filter_map(|i| message.body_text(i).map(|t| t.into_owned()))
        .collect();
    if !texts.is_empty() {
        record.body_text = Some(texts.join("\n\n"));
    }
    let has_html = message
        .html_bodies()
        .any(|p| matches!(p.body, PartType::Html(_)));
    if has_html {
        let htmls: Vec<String> = (0..message.html_body_count())
            .filter_map(|i| message.body_html(i).map(|t| t.into_owned()))
            .collect();
        record.body_html = Some(htmls.join("\n"));
    }
    record
}

/// A header's decoded text, for headers mail-parser reads as free text.
fn text_header(message: &Message<'_>, name: &str) -> Option<String> {
    let header = message
        .headers()
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case(name))?;
    let text = header_text(header.value())?;
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// A header's value as written (unfolded), for ids that must not be re-parsed.
fn raw_header(message: &Message<'_>, name: &str) -> Option<String> {
    message
        .headers()
        .iter()
        .filter(|h| h.name().eq_ignore_ascii_case(name))
        .filter_map(|h| {
            message
                .raw_message()
                .get(h.offset_start() as usize..h.offset_end() as usize)
                .map(|raw| unfold(&String::from_utf8_lossy(raw)))
        })
        .reduce(|a, b| format!("{a} {b}"))
}

/// A parsed header value shown as text; addresses as `Name <address>` labels.
fn header_text(value: &HeaderValue<'_>) -> Option<String> {
    match value {
        HeaderValue::Text(text) => Some(text.to_string()),
        HeaderValue::TextList(list) => Some(list.join(", ")),
        HeaderValue::Address(_) => {
            let labels: Vec<String> = identities(value).iter().map(Identity::label).collect();
            Some(labels.join(", "))
        }
        HeaderValue::DateTime(date) => Some(date.to_rfc822()),
        _ => None,
    }
}

fn unfold(raw: &str) -> String {
    raw.split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The people in an address header (lists and groups alike).
fn identities(value: &HeaderValue<'_>) -> Vec<Identity> {
    let HeaderValue::Address(address) = value else {
        return match value {
            HeaderValue::Text(text) => Identity::new(None, Some(text)).into_iter().collect(),
            _ => Vec::new(),
        };
    };
    let addrs: Vec<_> = match address {
        Address::List(list) => list.iter().collect(),
        Address::Group(groups) => groups.iter().flat_map(|g| g.addresses.iter()).collect(),
    };
    addrs
        .into_iter()
        .filter_map(|a| Identity::new(a.name(), a.address()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emlx_length_prefix_and_plist_are_stripped() {
        let msg = b"Subject: hi\r\n\r\nbody\r\n";
        let mut file = format!("{}\n", msg.len()).into_bytes();
        file.extend_from_slice(msg);
        file.extend_from_slice(b"<?xml version=\"1.0\"?><plist><dict/></plist>");
        assert_eq!(emlx_message(&file).unwrap(), msg);
        assert!(emlx_message(b"no count here\nSubject: x").is_err());
    }
}
