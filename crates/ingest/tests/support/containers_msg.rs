//! A minimal Outlook `.msg` writer for tests: a compound file with MAPI properties laid
//! out as MS-OXMSG describes (property stream with a header and 16-byte entries, one
//! `__substg1.0_IIIITTTT` stream per variable-length value, recipient and attachment
//! storages, attached messages as sub-storages).
#![allow(dead_code)]

use std::io::{Cursor, Write};

pub const PT_LONG: u16 = 0x0003;
pub const PT_STRING8: u16 = 0x001e;
pub const PT_UNICODE: u16 = 0x001f;
pub const PT_SYSTIME: u16 = 0x0040;
pub const PT_BINARY: u16 = 0x0102;
pub const PT_OBJECT: u16 = 0x000d;

pub enum Value {
    Unicode(String),
    /// 8-bit string bytes, in whatever code page the message declares.
    Ansi(Vec<u8>),
    Binary(Vec<u8>),
    Long(i32),
    /// A FILETIME: 100 ns ticks since 1601-01-01.
    Time(u64),
}

pub struct Prop {
    pub id: u16,
    pub value: Value,
}

pub fn unicode(id: u16, s: &str) -> Prop {
    Prop {
        id,
        value: Value::Unicode(s.to_string()),
    }
}
pub fn ansi(id: u16, bytes: &[u8]) -> Prop {
    Prop {
        id,
        value: Value::Ansi(bytes.to_vec()),
    }
}
pub fn binary(id: u16, bytes: &[u8]) -> Prop {
    Prop {
        id,
        value: Value::Binary(bytes.to_vec()),
    }
}
pub fn long(id: u16, v: i32) -> Prop {
    Prop {
        id,
        value: Value::Long(v),
    }
}
/// A FILETIME property from Unix seconds.
pub fn time(id: u16, unix: u64) -> Prop {
    Prop {
        id,
        value: Value::Time((unix + 11_644_473_600) * 10_000_000),
    }
}

#[derive(Default)]
pub struct Msg {
    pub props: Vec<Prop>,
    pub recipients: Vec<Vec<Prop>>,
    pub attachments: Vec<Attachment>,
}

pub struct Attachment {
    pub props: Vec<Prop>,
    /// An attached message (stored as a sub-storage) instead of bytes.
    pub message: Option<Msg>,
}

/// The bytes of a `.msg` file holding `msg`.
pub fn msg_bytes(msg: &Msg) -> Vec<u8> {
    let mut cfb = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    write_message(&mut cfb, "", msg, true);
    cfb.flush().unwrap();
    cfb.into_inner().into_inner()
}

fn write_message(cfb: &mut cfb::CompoundFile<Cursor<Vec<u8>>>, base: &str, msg: &Msg, top: bool) {
    let mut header = vec![0u8; 8];
    header.extend_from_slice(&(msg.recipients.len() as u32).to_le_bytes());
    header.extend_from_slice(&(msg.attachments.len() as u32).to_le_bytes());
    header.extend_from_slice(&(msg.recipients.len() as u32).to_le_bytes());
    header.extend_from_slice(&(msg.attachments.len() as u32).to_le_bytes());
    if top {
        header.extend_from_slice(&[0u8; 8]);
    }
    write_props(cfb, base, &msg.props, header);
    for (i, recipient) in msg.recipients.iter().enumerate() {
        let path = format!("{base}/__recip_version1.0_#{i:08X}");
        cfb.create_storage(&path).unwrap();
        write_props(cfb, &path, recipient, vec![0u8; 8]);
    }
    for (i, attachment) in msg.attachments.iter().enumerate() {
        let path = format!("{base}/__attach_version1.0_#{i:08X}");
        cfb.create_storage(&path).unwrap();
        let mut props: Vec<&Prop> = attachment.props.iter().collect();
        let object = Prop {
            id: 0x3701,
            value: Value::Long(0),
        };
        if attachment.message.is_some() {
            props.push(&object);
        }
        write_prop_refs(
            cfb,
            &path,
            &props,
            vec![0u8; 8],
            attachment.message.is_some(),
        );
        if let Some(inner) = &attachment.message {
            let inner_path = format!("{path}/__substg1.0_3701000D");
            cfb.create_storage(&inner_path).unwrap();
            write_message(cfb, &inner_path, inner, false);
        }
    }
}

fn write_props(
    cfb: &mut cfb::CompoundFile<Cursor<Vec<u8>>>,
    base: &str,
    props: &[Prop],
    header: Vec<u8>,
) {
    let refs: Vec<&Prop> = props.iter().collect();
    write_prop_refs(cfb, base, &refs, header, false);
}

fn write_prop_refs(
    cfb: &mut cfb::CompoundFile<Cursor<Vec<u8>>>,
    base: &str,
    props: &[&Prop],
    mut table: Vec<u8>,
    last_is_object: bool,
) {
    for (i, prop) in props.iter().enumerate() {
        let is_object = last_is_object && i == props.len() - 1;
        let (kind, fixed, stream): (u16, [u8; 8], Option<Vec<u8>>) = if is_object {
            (PT_OBJECT, [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], None)
        } else {
            match &prop.value {
                Value::Unicode(s) => {
                    let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
                    (PT_UNICODE, size_field(bytes.len() + 2), Some(bytes))
                }
                Value::Ansi(b) => (PT_STRING8, size_field(b.len() + 1), Some(b.clone())),
                Value::Binary(b) => (PT_BINARY, size_field(b.len()), Some(b.clone())),
                Value::Long(v) => {
                    let mut f = [0u8; 8];
                    f[..4].copy_from_slice(&v.to_le_bytes());
                    (PT_LONG, f, None)
                }
                Value::Time(t) => (PT_SYSTIME, t.to_le_bytes(), None),
            }
        };
        let tag = (u32::from(prop.id) << 16) | u32::from(kind);
        table.extend_from_slice(&tag.to_le_bytes());
        table.extend_from_slice(&6u32.to_le_bytes());
        table.extend_from_slice(&fixed);
        if let Some(bytes) = stream {
            let name = format!("{base}/__substg1.0_{:04X}{kind:04X}", prop.id);
            cfb.create_stream(&name).unwrap().write_all(&bytes).unwrap();
        }
    }
    let name = format!("{base}/__properties_version1.0");
    cfb.create_stream(&name).unwrap().write_all(&table).unwrap();
}

fn size_field(len: usize) -> [u8; 8] {
    let mut f = [0u8; 8];
    f[..4].copy_from_slice(&(len as u32).to_le_bytes());
    f
}

/// An RTF body in the uncompressed ("MELA") form of the compressed-RTF container.
pub fn rtf_container(rtf: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&((rtf.len() + 12) as u32).to_le_bytes());
    out.extend_from_slice(&(rtf.len() as u32).to_le_bytes());
    out.extend_from_slice(b"MELA");
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(rtf);
    out
}
