//! Outlook `.msg` files: a compound file (CFB) of MAPI properties, read with `cfb` and our
//! own property reader (MS-OXMSG).
//!
//! Why not `msg_parser`: `.msg` files differ in which properties carry what, and a reader
//! that looks in one place loses bodies and attachments on the others. This one takes:
//! - headers from `PR_TRANSPORT_MESSAGE_HEADERS` when the message went through SMTP, and
//!   from the MAPI properties (sender, recipient table, submit time…) when it did not
//!   (drafts, messages saved from Exchange);
//! - the body from `PR_BODY`, `PR_HTML` (string or binary, in the message's code page),
//!   and failing both from `PR_RTF_COMPRESSED`, unwrapping the HTML or text that Outlook
//!   encapsulated in RTF;
//! - strings in both Unicode (`001F`) and 8-bit (`001E`, decoded with the message's code
//!   page) form;
//! - attachments stored by value, and attached messages (which are written out as `.msg`
//!   files of their own, to be ingested as `Email`s).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use cfb::CompoundFile;
use encoding_rs::Encoding;
use ftm::Entity;
use mail_parser::MessageParser;

use super::rfc822::record_of;
use super::rtf::{self, Body};
use super::{Attachments, EmailRecord, Identity, Role, parse_message_ids, reply_target};
use crate::{Context, IngestError, Sink};

// Property ids (MS-OXPROPS).
const SUBJECT: u16 = 0x0037;
const CLIENT_SUBMIT_TIME: u16 = 0x0039;
const SENT_REPRESENTING_NAME: u16 = 0x0042;
const SENT_REPRESENTING_EMAIL: u16 = 0x0065;
const CONVERSATION_TOPIC: u16 = 0x0070;
const TRANSPORT_HEADERS: u16 = 0x007d;
const SENDER_NAME: u16 = 0x0c1a;
const SENDER_EMAIL: u16 = 0x0c1f;
const RECIPIENT_TYPE: u16 = 0x0c15;
const DISPLAY_BCC: u16 = 0x0e02;
const DISPLAY_CC: u16 = 0x0e03;
const DISPLAY_TO: u16 = 0x0e04;
const DELIVERY_TIME: u16 = 0x0e06;
const BODY: u16 = 0x1000;
const RTF_COMPRESSED: u16 = 0x1009;
const HTML: u16 = 0x1013;
const INTERNET_MESSAGE_ID: u16 = 0x1035;
const INTERNET_REFERENCES: u16 = 0x1039;
const IN_REPLY_TO: u16 = 0x1042;
const DISPLAY_NAME: u16 = 0x3001;
const EMAIL_ADDRESS: u16 = 0x3003;
const CREATION_TIME: u16 = 0x3007;
const ATTACH_DATA: u16 = 0x3701;
const ATTACH_FILENAME: u16 = 0x3704;
const ATTACH_METHOD: u16 = 0x3705;
const ATTACH_LONG_FILENAME: u16 = 0x3707;
const ATTACH_MIME_TAG: u16 = 0x370e;
const SMTP_ADDRESS: u16 = 0x39fe;
const INTERNET_CPID: u16 = 0x3fde;
const MESSAGE_CODEPAGE: u16 = 0x3ffd;
const SENDER_SMTP: u16 = 0x5d01;
const SENT_REPRESENTING_SMTP: u16 = 0x5d02;

// Property types.
const PT_LONG: u16 = 0x0003;
const PT_STRING8: u16 = 0x001e;
const PT_UNICODE: u16 = 0x001f;
const PT_SYSTIME: u16 = 0x0040;
const PT_BINARY: u16 = 0x0102;
const PT_OBJECT: u16 = 0x000d;

const ATTACH_EMBEDDED_MSG: i32 = 5;
const PROPERTIES: &str = "__properties_version1.0";
const NAMEID: &str = "__nameid_version1.0";

/// How deep attached messages inside attached messages are followed.
const MAX_NESTING: usize = 16;

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut cfb = cfb::open(path)
        .map_err(|e| IngestError::corrupt(format!("not a readable Outlook message: {e}")))?;
    let limit = ctx.limits.max_file_bytes;
    let mut message = Storage::open(&mut cfb, "/", 32, limit)?;
    if !message.has_any_property() {
        return Err(IngestError::corrupt(
            "not an Outlook message: no MAPI properties found",
        ));
    }
    let record = message.record(&mut cfb)?;
    record.apply(entity, ctx, sink)?;

    let mut attachments = Attachments::new(entity, ctx)?;
    for storage in sub_storages(&cfb, "/", "__attach_version1.0_#")? {
        let mut attachment = Storage::open(&mut cfb, &storage, 8, limit)?;
        let name = attachment
            .string(&mut cfb, ATTACH_LONG_FILENAME)
            .or_else(|| attachment.string(&mut cfb, ATTACH_FILENAME))
            .or_else(|| attachment.string(&mut cfb, DISPLAY_NAME));
        let mime = attachment.string(&mut cfb, ATTACH_MIME_TAG);
        let embedded = format!("{storage}/{}", stream_name(ATTACH_DATA, PT_OBJECT));
        let method = attachment.long(ATTACH_METHOD);
        if method == Some(ATTACH_EMBEDDED_MSG) || cfb.is_storage(&embedded) {
            let inner_subject = Storage::open(&mut cfb, &embedded, 24, limit)
                .ok()
                .and_then(|mut s| s.string(&mut cfb, SUBJECT));
            let name = name
                .or(inner_subject)
                .map(|n| {
                    if n.to_ascii_lowercase().ends_with(".msg") {
                        n
                    } else {
                        format!("{n}.msg")
                    }
                })
                .unwrap_or_else(|| "message.msg".to_string());
            let (file_name, out) = attachments.reserve(Some(&name))?;
            extract_embedded(&mut cfb, &embedded, &out, limit)?;
            attachments.report(&file_name, Some("application/vnd.ms-outlook"), out, sink)?;
        } else {
            let data = attachment.binary(&mut cfb, ATTACH_DATA).unwrap_or_default();
            attachments.add(name.as_deref(), mime.as_deref(), &data, sink)?;
        }
    }
    Ok(())
}

/// The property values of one storage (the message, a recipient, an attachment).
struct Storage {
    path: String,
    /// Fixed-size values by property id: (type, 8 value bytes).
    fixed: HashMap<u16, (u16, [u8; 8])>,
    encoding: Option<&'static Encoding>,
    limit: u64,
}

impl Storage {
    /// Read the property stream of `path`, whose header is `header` bytes long (32 for a
    /// message, 24 for an attached message, 8 for recipients and attachments).
    fn open<F: Read + Seek>(
        cfb: &mut CompoundFile<F>,
        path: &str,
        header: usize,
        limit: u64,
    ) -> Result<Storage, IngestError> {
        let props = read_stream(cfb, &join(path, PROPERTIES), limit).unwrap_or_default();
        let mut fixed = HashMap::new();
        for entry in props.get(header..).unwrap_or_default().chunks_exact(16) {
            let tag = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
            let mut value = [0u8; 8];
            value.copy_from_slice(&entry[8..16]);
            fixed.insert((tag >> 16) as u16, ((tag & 0xffff) as u16, value));
        }
        let mut storage = Storage {
            path: path.to_string(),
            fixed,
            encoding: None,
            limit,
        };
        storage.encoding = [INTERNET_CPID, MESSAGE_CODEPAGE]
            .into_iter()
            .filter_map(|id| storage.long(id))
            .filter_map(|cp| u16::try_from(cp).ok())
            .find_map(codepage::to_encoding);
        Ok(storage)
    }

    fn has_any_property(&self) -> bool {
        !self.fixed.is_empty()
    }

    fn long(&self, id: u16) -> Option<i32> {
        match self.fixed.get(&id) {
            Some((PT_LONG, v)) => Some(i32::from_le_bytes([v[0], v[1], v[2], v[3]])),
            _ => None,
        }
    }

    /// A FILETIME property as seconds since the Unix epoch.
    fn time(&self, id: u16) -> Option<i64> {
        match self.fixed.get(&id) {
            Some((PT_SYSTIME, v)) => {
                let ticks = i64::from_le_bytes(*v);
                (ticks > 0).then(|| ticks / 10_000_000 - 11_644_473_600)
            }
            _ => None,
        }
    }

    fn raw<F: Read + Seek>(
        &self,
        cfb: &mut CompoundFile<F>,
        id: u16,
        kind: u16,
    ) -> Option<Vec<u8>> {
        read_stream(cfb, &join(&self.path, &stream_name(id, kind)), self.limit)
    }

    /// A string property, in whichever of its two encodings the file has.
    fn string<F: Read + Seek>(&mut self, cfb: &mut CompoundFile<F>, id: u16) -> Option<String> {
        let text = if let Some(bytes) = self.raw(cfb, id, PT_UNICODE) {
            let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(&bytes);
            text.into_owned()
        } else {
            let bytes = self.raw(cfb, id, PT_STRING8)?;
            self.decode(&bytes)
        };
        let text = text.trim_end_matches('\0').trim().to_string();
        (!text.is_empty()).then_some(text)
    }

    fn binary<F: Read + Seek>(&mut self, cfb: &mut CompoundFile<F>, id: u16) -> Option<Vec<u8>> {
        self.raw(cfb, id, PT_BINARY)
    }

    /// 8-bit text in the message's code page, or a guessed one when it names none.
    fn decode(&self, bytes: &[u8]) -> String {
        match self.encoding {
            Some(encoding) => encoding.decode(bytes).0.into_owned(),
            None => crate::text::decode(bytes).0,
        }
    }

    /// Everything about the message, from its transport headers where it has them and
    /// from its MAPI properties otherwise.
    fn record<F: Read + Seek>(
        &mut self,
        cfb: &mut CompoundFile<F>,
    ) -> Result<EmailRecord, IngestError> {
        let headers = self.string(cfb, TRANSPORT_HEADERS);
        let mut record = headers
            .as_deref()
            .and_then(|h| {
                let block = format!("{}\r\n\r\n", h.trim_end());
                MessageParser::default().parse(block.as_bytes()).map(|m| {
                    let mut record = record_of(&m);
                    // Header-only parse: the bodies come from the MAPI properties below.
                    record.body_text = None;
                    record.body_html = None;
                    record
                })
            })
            .unwrap_or_default();

        if record.subject.is_none() {
            record.subject = self.string(cfb, SUBJECT);
        }
        if record.thread_topic.is_none() {
            record.thread_topic = self.string(cfb, CONVERSATION_TOPIC);
        }
        if record.date.is_none() {
            record.date = self
                .time(CLIENT_SUBMIT_TIME)
                .or_else(|| self.time(DELIVERY_TIME))
                .or_else(|| self.time(CREATION_TIME));
        }
        if record.message_ids.is_empty()
            && let Some(id) = self.string(cfb, INTERNET_MESSAGE_ID)
        {
            record.message_ids = parse_message_ids(&id);
        }
        if record.in_reply_to.is_none() {
            let refs = self
                .string(cfb, INTERNET_REFERENCES)
                .map(|v| parse_message_ids(&v))
                .unwrap_or_default();
            let reply = self
                .string(cfb, IN_REPLY_TO)
                .map(|v| parse_message_ids(&v))
                .unwrap_or_default();
            record.in_reply_to = reply_target(&refs, &reply);
        }
        self.add_people(cfb, &mut record)?;
        self.add_body(cfb, &mut record);
        Ok(record)
    }

    /// Sender and recipients from the MAPI properties, for what the headers did not say.
    fn add_people<F: Read + Seek>(
        &mut self,
        cfb: &mut CompoundFile<F>,
        record: &mut EmailRecord,
    ) -> Result<(), IngestError> {
        let has =
            |record: &EmailRecord, role: Role| record.identities.iter().any(|(r, _)| *r == role);
        if !has(record, Role::From) {
            let name = self.string(cfb, SENT_REPRESENTING_NAME);
            let email = self
                .string(cfb, SENT_REPRESENTING_SMTP)
                .or_else(|| self.string(cfb, SENT_REPRESENTING_EMAIL));
            let from = Identity::new(name.as_deref(), email.as_deref());
            let name = self.string(cfb, SENDER_NAME);
            let email = self
                .string(cfb, SENDER_SMTP)
                .or_else(|| self.string(cfb, SENDER_EMAIL));
            let sender = Identity::new(name.as_deref(), email.as_deref());
            // The "sent representing" name often comes without its address, which is then
            // the sender's: the same person, seen twice.
            let from = match (from, &sender) {
                (Some(f), Some(s)) if f.email.is_none() && f.name == s.name => Some(s.clone()),
                (f, _) => f,
            };
            match (from, sender) {
                (Some(from), Some(sender)) if from != sender => {
                    record.identities.push((Role::From, from));
                    record.identities.push((Role::Sender, sender));
                }
                (Some(one), _) | (None, Some(one)) => record.identities.push((Role::From, one)),
                (None, None) => {}
            }
        }
        let have_recipients = [Role::To, Role::Cc, Role::Bcc]
            .iter()
            .any(|r| has(record, *r));
        if have_recipients {
            return Ok(());
        }
        let mut found = false;
        for storage in sub_storages(cfb, &self.path, "__recip_version1.0_#")? {
            let mut recipient = Storage::open(cfb, &storage, 8, self.limit)?;
            recipient.encoding = recipient.encoding.or(self.encoding);
            let role = match recipient.long(RECIPIENT_TYPE) {
                Some(2) => Role::Cc,
                Some(3) => Role::Bcc,
                _ => Role::To,
            };
            let name = recipient.string(cfb, DISPLAY_NAME);
            let email = recipient
                .string(cfb, SMTP_ADDRESS)
                .or_else(|| recipient.string(cfb, EMAIL_ADDRESS));
            if let Some(identity) = Identity::new(name.as_deref(), email.as_deref()) {
                record.identities.push((role, identity));
                found = true;
            }
        }
        if !found {
            // No recipient table: the display lists are all that is left (names only).
            for (id, role) in [
                (DISPLAY_TO, Role::To),
                (DISPLAY_CC, Role::Cc),
                (DISPLAY_BCC, Role::Bcc),
            ] {
                if let Some(list) = self.string(cfb, id) {
                    for name in list.split(';') {
                        if let Some(identity) = Identity::new(Some(name), None) {
                            record.identities.push((role, identity));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The body: plain text, HTML (string or binary), and failing both the RTF body.
    fn add_body<F: Read + Seek>(&mut self, cfb: &mut CompoundFile<F>, record: &mut EmailRecord) {
        record.body_text = self.string(cfb, BODY);
        record.body_html = self
            .binary(cfb, HTML)
            .map(|bytes| self.decode_html(&bytes))
            .or_else(|| self.string(cfb, HTML))
            .filter(|h| !h.trim().is_empty());
        if record.body_text.is_some() || record.body_html.is_some() {
            return;
        }
        let Some(compressed) = self.binary(cfb, RTF_COMPRESSED) else {
            return;
        };
        let Ok(rtf) = rtf::decompress(&compressed) else {
            return;
        };
        match rtf::body(&rtf) {
            Body::Html(html) => record.body_html = Some(html),
            Body::Text(text) => record.body_text = Some(text),
        }
    }

    /// Binary HTML is in the message's code page, unless the HTML itself says UTF-8.
    fn decode_html(&self, bytes: &[u8]) -> String {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
        if head.contains("charset=utf-8") || head.contains("charset=\"utf-8\"") {
            return String::from_utf8_lossy(bytes).into_owned();
        }
        self.decode(bytes).trim_end_matches('\0').to_string()
    }
}

/// The stream name of a property: `__substg1.0_` + id + type, in upper-case hex.
fn stream_name(id: u16, kind: u16) -> String {
    format!("__substg1.0_{id:04X}{kind:04X}")
}

fn join(storage: &str, name: &str) -> String {
    if storage == "/" {
        format!("/{name}")
    } else {
        format!("{storage}/{name}")
    }
}

/// The whole content of a stream, if it exists and is not larger than `limit`.
fn read_stream<F: Read + Seek>(
    cfb: &mut CompoundFile<F>,
    path: &str,
    limit: u64,
) -> Option<Vec<u8>> {
    if !cfb.is_stream(path) {
        return None;
    }
    let stream = cfb.open_stream(path).ok()?;
    let mut out = Vec::new();
    stream.take(limit).read_to_end(&mut out).ok()?;
    Some(out)
}

/// The storages directly under `parent` whose names start with `prefix`, in name order.
fn sub_storages<F>(
    cfb: &CompoundFile<F>,
    parent: &str,
    prefix: &str,
) -> Result<Vec<String>, IngestError> {
    let mut names: Vec<String> = cfb
        .read_storage(parent)
        .map_err(|e| IngestError::corrupt(format!("damaged Outlook message: {e}")))?
        .filter(|e| e.is_storage() && e.name().starts_with(prefix))
        .map(|e| join(parent, e.name()))
        .collect();
    names.sort();
    Ok(names)
}

/// Write the attached message stored at `storage` as a stand-alone `.msg` file: the same
/// streams and storages, the property header widened from the 24 bytes of an attached
/// message to the 32 of a top-level one, and the named-property map of the outer file.
fn extract_embedded<F: Read + Seek>(
    cfb: &mut CompoundFile<F>,
    storage: &str,
    out: &Path,
    limit: u64,
) -> Result<(), IngestError> {
    let mut target = cfb::create(out)?;
    copy_storage(cfb, storage, &mut target, "/", 0, limit)?;
    if cfb.is_storage(format!("/{NAMEID}")) && !target.exists(format!("/{NAMEID}")) {
        copy_storage(
            cfb,
            &format!("/{NAMEID}"),
            &mut target,
            &format!("/{NAMEID}"),
            0,
            limit,
        )?;
    }
    target.flush()?;
    Ok(())
}

fn copy_storage<F: Read + Seek>(
    cfb: &mut CompoundFile<F>,
    from: &str,
    target: &mut CompoundFile<File>,
    to: &str,
    depth: usize,
    limit: u64,
) -> Result<(), IngestError> {
    if depth > MAX_NESTING {
        return Err(IngestError::limit(
            "attached messages are nested too deeply",
        ));
    }
    if to != "/" {
        target.create_storage(to)?;
    }
    let entries: Vec<(String, bool)> = cfb
        .read_storage(from)
        .map_err(|e| IngestError::corrupt(format!("damaged attached message: {e}")))?
        .map(|e| (e.name().to_string(), e.is_storage()))
        .collect();
    for (name, is_storage) in entries {
        let src = join(from, &name);
        let dst = join(to, &name);
        if is_storage {
            copy_storage(cfb, &src, target, &dst, depth + 1, limit)?;
            continue;
        }
        let mut bytes = read_stream(cfb, &src, limit).unwrap_or_default();
        if depth == 0 && name == PROPERTIES && bytes.len() >= 24 {
            bytes.splice(24..24, [0u8; 8]);
        }
        let mut stream = target.create_stream(&dst)?;
        stream.write_all(&bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_are_upper_hex() {
        assert_eq!(stream_name(SUBJECT, PT_UNICODE), "__substg1.0_0037001F");
        assert_eq!(stream_name(ATTACH_DATA, PT_OBJECT), "__substg1.0_3701000D");
    }
}
