//! Email: eml, emlx, mbox, Outlook msg and PST; people, bodies, attachments.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

#[path = "support/containers_msg.rs"]
mod msg;
#[path = "support/containers_util.rs"]
mod util;

use ingest::{ErrorClass, Format};
use msg::{Attachment, Msg, ansi, binary, long, time, unicode};
use util::{Run, ingest_bytes, ingest_path};

fn person_id(email: &str) -> String {
    ftm::make_id(None, &[email]).unwrap()
}

const EML: &str = "Return-Path: <bounce@mail.example.org>\r
Received: from mx1.example.org by mx2.example.org; Mon, 4 Mar 2024 09:15:00 +0100\r
Received: from laptop by mx1.example.org; Mon, 4 Mar 2024 09:14:58 +0100\r
From: \"Anna Schmidt\" <anna.schmidt@example.org>\r
To: Boris Petrov <boris@example.com>, carla@example.net\r
Cc: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>\r
Subject: =?UTF-8?Q?Zahlungen_an_die_Briefkastenfirma?=\r
Date: Mon, 4 Mar 2024 09:14:58 +0100\r
Message-ID: <msg-1234@example.org>\r
In-Reply-To: <msg-1000@example.com>\r
References: <msg-0999@example.com> <msg-1000@example.com>\r
Thread-Topic: Zahlungen\r
X-Mailer: TestMailer 1.0\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"outer\"\r
\r
--outer\r
Content-Type: multipart/alternative; boundary=\"inner\"\r
\r
--inner\r
Content-Type: text/plain; charset=utf-8\r
Content-Transfer-Encoding: quoted-printable\r
\r
Die =C3=9Cberweisung an Offshore Holdings Ltd ist erfolgt.\r
--inner\r
Content-Type: text/html; charset=utf-8\r
\r
<html><body><p>Die <b>\u{dc}berweisung</b> an Offshore Holdings Ltd ist erfolgt.</p></body></html>\r
--inner--\r
--outer\r
Content-Type: application/pdf; name=\"contract.pdf\"\r
Content-Disposition: attachment; filename=\"contract.pdf\"\r
Content-Transfer-Encoding: base64\r
\r
JVBERi0xLjQKJSBmYWtlIGNvbnRyYWN0Cg==\r
--outer\r
Content-Type: text/csv; charset=utf-8\r
Content-Disposition: attachment; filename=\"payments.csv\"\r
\r
date,amount\r
2024-03-01,1000000\r
--outer--\r
";

#[test]
fn eml_with_html_body_and_two_attachments() {
    let run = ingest_bytes("message.eml", EML.as_bytes());
    assert_eq!(run.format(), Format::Eml);
    assert_eq!(run.schema(), "Email");
    let e = &run.entity;
    assert_eq!(e.get("subject"), ["Zahlungen an die Briefkastenfirma"]);
    assert_eq!(e.get("threadTopic"), ["Zahlungen"]);
    assert_eq!(e.get("date"), ["2024-03-04T08:14:58"]);
    assert_eq!(e.get("messageId"), ["msg-1234@example.org"]);
    assert_eq!(e.get("inReplyTo"), ["msg-1000@example.com"]);
    assert_eq!(e.get("generator"), ["TestMailer 1.0"]);
    assert_eq!(e.get("from"), ["Anna Schmidt <anna.schmidt@example.org>"]);
    let mut to = e.get("to").to_vec();
    to.sort();
    assert_eq!(
        to,
        ["Boris Petrov <boris@example.com>", "carla@example.net"]
    );
    assert_eq!(e.get("cc"), ["Jürgen Müller <juergen@example.de>"]);
    for address in [
        "anna.schmidt@example.org",
        "boris@example.com",
        "juergen@example.de",
        "bounce@mail.example.org",
    ] {
        assert!(
            e.get("emailMentioned").iter().any(|m| m == address),
            "{address} not mentioned"
        );
    }

    let body = e.first("bodyText").unwrap();
    assert!(
        body.contains("Die Überweisung an Offshore Holdings Ltd ist erfolgt."),
        "{body}"
    );
    let html = e.first("bodyHtml").unwrap();
    assert!(html.contains("<b>Überweisung</b>"), "{html}");

    let headers: serde_json::Value = serde_json::from_str(e.first("headers").unwrap()).unwrap();
    assert_eq!(headers["X-Mailer"], "TestMailer 1.0");
    assert_eq!(headers["Received"].as_array().unwrap().len(), 2);

    // People: one entity per address, linked as emitter or recipient.
    let anna = run.entity_where("Person", "email", "anna.schmidt@example.org");
    assert_eq!(
        anna.id(),
        Some(person_id("anna.schmidt@example.org").as_str())
    );
    assert_eq!(anna.get("name"), ["Anna Schmidt"]);
    assert_eq!(e.get("emitters"), [anna.id().unwrap()]);
    let mut recipients = e.get("recipients").to_vec();
    recipients.sort();
    let mut expected = vec![
        person_id("boris@example.com"),
        person_id("carla@example.net"),
        person_id("juergen@example.de"),
    ];
    expected.sort();
    assert_eq!(recipients, expected);
    let juergen = run.entity_where("Person", "email", "juergen@example.de");
    assert_eq!(juergen.get("name"), ["Jürgen Müller"]);

    // Attachments: child files with their own names and types.
    assert_eq!(run.child_names(), ["contract.pdf", "payments.csv"]);
    let pdf = run.child("contract.pdf");
    assert_eq!(pdf.entity.get("mimeType"), ["application/pdf"]);
    assert_eq!(pdf.entity.get("parent"), [run.id()]);
    assert_eq!(
        run.child_bytes("contract.pdf"),
        b"%PDF-1.4\n% fake contract\n"
    );
    let csv = run.child("payments.csv");
    assert_eq!(csv.entity.get("mimeType"), ["text/csv"]);
    assert!(
        String::from_utf8(run.child_bytes("payments.csv"))
            .unwrap()
            .contains("2024-03-01,1000000")
    );
}

#[test]
fn same_person_is_one_entity_across_messages() {
    let first = ingest_bytes("a.eml", EML.as_bytes());
    let second = ingest_bytes(
        "b.eml",
        b"From: A. Schmidt <ANNA.SCHMIDT@example.org>\r\nTo: x@example.com\r\nSubject: again\r\n\r\nhello\r\n",
    );
    let a = first.entity_where("Person", "email", "anna.schmidt@example.org");
    let b = second
        .entities("Person")
        .into_iter()
        .find(|p| p.get("name") == ["A. Schmidt"])
        .unwrap();
    assert_eq!(a.id(), b.id());
}

#[test]
fn html_only_message_gets_text_from_the_html() {
    let eml = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: html only\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><h1>Quarterly</h1><p>Shell company accounts</p></body></html>\r\n";
    let run = ingest_bytes("h.eml", eml);
    let text = run.entity.first("bodyText").unwrap();
    assert!(text.contains("Shell company accounts"), "{text}");
    assert!(!text.contains("<p>"), "{text}");
    assert!(
        run.entity
            .first("bodyHtml")
            .unwrap()
            .contains("<h1>Quarterly</h1>")
    );
}

#[test]
fn plain_text_message_gets_an_html_rendering() {
    let eml = b"From: a@example.org\r\nSubject: plain\r\n\r\nline one <tag>\r\nline two\r\n";
    let run = ingest_bytes("p.eml", eml);
    assert_eq!(
        run.entity.first("bodyHtml"),
        Some("line one &lt;tag&gt;<br>line two")
    );
}

#[test]
fn emlx_is_read_after_its_length_prefix() {
    let message = "From: Mail User <user@example.org>\nSubject: From Apple Mail\nDate: Tue, 5 Mar 2024 10:00:00 +0000\n\nA body written in Apple Mail.\n";
    let mut bytes = format!("{}\n", message.len()).into_bytes();
    bytes.extend_from_slice(message.as_bytes());
    bytes.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict><key>flags</key><integer>8590195713</integer></dict></plist>\n");
    let run = ingest_bytes("12345.emlx", &bytes);
    assert_eq!(run.format(), Format::Emlx);
    assert_eq!(run.entity.get("subject"), ["From Apple Mail"]);
    assert_eq!(run.entity.get("date"), ["2024-03-05T10:00:00"]);
    let body = run.entity.first("bodyText").unwrap();
    assert!(body.contains("A body written in Apple Mail."));
    assert!(!body.contains("plist"), "{body}");
}

const MBOX: &str = "From alice@example.org Mon Mar  4 09:00:00 2024
From: Alice <alice@example.org>
To: bob@example.org
Subject: First message
Date: Mon, 4 Mar 2024 09:00:00 +0000

Hello Bob.
>From the archive: this line is quoted, not a separator.

From bob@example.org Mon Mar  4 10:00:00 2024
From: Bob <bob@example.org>
To: alice@example.org
Subject: Second message
Date: Mon, 4 Mar 2024 10:00:00 +0000

Reply about the invoice from Panama.

From carol@example.org Mon Mar  4 11:00:00 2024
From: Carol <carol@example.org>
To: alice@example.org
Subject: Third message

Third body.
";

#[test]
fn mbox_with_three_messages() {
    let run = ingest_bytes("inbox.mbox", MBOX.as_bytes());
    assert_eq!(run.format(), Format::Mbox);
    assert_eq!(run.schema(), "Package");
    assert_eq!(run.sink.children.len(), 3);
    for child in &run.sink.children {
        assert_eq!(child.entity.schema().name(), "Email");
        assert_eq!(child.entity.get("parent"), [run.id()]);
        assert_eq!(child.entity.get("mimeType"), ["message/rfc822"]);
    }
    let second = String::from_utf8(std::fs::read(&run.sink.children[1].path).unwrap()).unwrap();
    assert!(
        second.starts_with("From: Bob <bob@example.org>"),
        "{second}"
    );
    assert!(second.contains("invoice from Panama"));
    assert!(!second.contains("Third body"));

    // Each child is an email in its own right.
    let child = &run.sink.children[0];
    let inner = ingest_path(&child.path, "1.eml", |_| {});
    assert_eq!(inner.schema(), "Email");
    assert_eq!(inner.entity.get("subject"), ["First message"]);
    assert!(
        inner
            .entity
            .first("bodyText")
            .unwrap()
            .contains(">From the archive")
    );
}

#[test]
fn mbox_member_limit() {
    let run = util::ingest_bytes_with("inbox.mbox", MBOX.as_bytes(), |ctx| {
        ctx.limits.max_members = 2
    });
    assert_eq!(run.error().class, ErrorClass::Limit);
    assert_eq!(run.sink.children.len(), 2);
}

#[test]
fn not_a_mailbox_is_corrupt() {
    let run = ingest_bytes("broken.mbox", b"this is not a mailbox\nFrom nobody\n");
    assert_eq!(run.error().class, ErrorClass::Corrupt);
}

// --- Outlook .msg ---------------------------------------------------------------------------

const SUBJECT: u16 = 0x0037;
const SUBMIT_TIME: u16 = 0x0039;
const SENT_REPR_NAME: u16 = 0x0042;
const SENT_REPR_EMAIL: u16 = 0x0065;
const TRANSPORT_HEADERS: u16 = 0x007d;
const SENDER_NAME: u16 = 0x0c1a;
const SENDER_EMAIL: u16 = 0x0c1f;
const RECIPIENT_TYPE: u16 = 0x0c15;
const BODY: u16 = 0x1000;
const RTF_COMPRESSED: u16 = 0x1009;
const HTML: u16 = 0x1013;
const MESSAGE_ID: u16 = 0x1035;
const DISPLAY_NAME: u16 = 0x3001;
const EMAIL_ADDRESS: u16 = 0x3003;
const ATTACH_DATA: u16 = 0x3701;
const ATTACH_METHOD: u16 = 0x3705;
const ATTACH_LONG_FILENAME: u16 = 0x3707;
const ATTACH_MIME_TAG: u16 = 0x370e;
const SMTP_ADDRESS: u16 = 0x39fe;
const INTERNET_CPID: u16 = 0x3fde;
const SENDER_SMTP: u16 = 0x5d01;

fn recipient(kind: i32, name: &str, smtp: &str) -> Vec<msg::Prop> {
    vec![
        long(RECIPIENT_TYPE, kind),
        unicode(DISPLAY_NAME, name),
        unicode(SMTP_ADDRESS, smtp),
    ]
}

fn check_msg(bytes: &[u8]) -> Run {
    let run = ingest_bytes("message.msg", bytes);
    assert_eq!(run.format(), Format::OutlookMsg);
    assert_eq!(run.schema(), "Email");
    run
}

#[test]
fn msg_unicode_with_html_recipients_and_attachment() {
    let message = Msg {
        props: vec![
            unicode(SUBJECT, "Wire transfer to Cyprus"),
            time(SUBMIT_TIME, 1_709_543_698),
            unicode(SENT_REPR_NAME, "Anna Schmidt"),
            unicode(SENDER_SMTP, "anna.schmidt@example.org"),
            unicode(SENDER_NAME, "Anna Schmidt"),
            unicode(MESSAGE_ID, "<outlook-1@example.org>"),
            unicode(BODY, "Please send the transfer to the Cyprus account."),
            binary(HTML, b"<html><body><p>Please send the <i>transfer</i> to the Cyprus account.</p></body></html>"),
            long(INTERNET_CPID, 65001),
        ],
        recipients: vec![
            recipient(1, "Boris Petrov", "boris@example.com"),
            recipient(2, "Carla Rossi", "carla@example.net"),
        ],
        attachments: vec![Attachment {
            props: vec![
                long(ATTACH_METHOD, 1),
                unicode(ATTACH_LONG_FILENAME, "Kontoauszug März.pdf"),
                unicode(ATTACH_MIME_TAG, "application/pdf"),
                binary(ATTACH_DATA, b"%PDF-1.7 statement"),
            ],
            message: None,
        }],
    };
    let run = check_msg(&msg::msg_bytes(&message));
    let e = &run.entity;
    assert_eq!(e.get("subject"), ["Wire transfer to Cyprus"]);
    assert_eq!(e.get("date"), ["2024-03-04T09:14:58"]);
    assert_eq!(e.get("messageId"), ["outlook-1@example.org"]);
    assert_eq!(e.get("from"), ["Anna Schmidt <anna.schmidt@example.org>"]);
    assert_eq!(e.get("to"), ["Boris Petrov <boris@example.com>"]);
    assert_eq!(e.get("cc"), ["Carla Rossi <carla@example.net>"]);
    assert_eq!(e.get("emitters"), [person_id("anna.schmidt@example.org")]);
    assert_eq!(e.get("recipients").len(), 2);
    assert!(e.first("bodyText").unwrap().contains("Cyprus account"));
    assert!(e.first("bodyHtml").unwrap().contains("<i>transfer</i>"));
    assert_eq!(run.entities("Person").len(), 3);
    assert_eq!(run.child_names(), ["Kontoauszug März.pdf"]);
    assert_eq!(
        run.child("Kontoauszug März.pdf").entity.get("mimeType"),
        ["application/pdf"]
    );
    assert_eq!(
        run.child_bytes("Kontoauszug März.pdf"),
        b"%PDF-1.7 statement"
    );
}

#[test]
fn msg_ansi_strings_with_body_only_in_encapsulated_rtf() {
    // 8-bit strings in windows-1251, no PR_BODY, no PR_HTML: the body is HTML wrapped in
    // (uncompressed) RTF, and the recipient has only an Exchange address.
    let rtf = b"{\\rtf1\\ansi\\ansicpg1251\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}\
{\\*\\htmltag19 <html>}{\\*\\htmltag34 <body>}{\\*\\htmltag64 <p>}\\htmlrtf {\\htmlrtf0 \
\\'cf\\'eb\\'e0\\'f2\\'e5\\'e6 \\'ee\\'f2\\'EF\\'f0\\'e0\\'e2\\'eb\\'e5\\'ed}\\htmlrtf }\\htmlrtf0 \
{\\*\\htmltag72 </p>}{\\*\\htmltag42 </body>}{\\*\\htmltag27 </html>}}";
    let message = Msg {
        props: vec![
            ansi(SUBJECT, b"\xce\xef\xeb\xe0\xf2\xe0 \xf1\xf7\xe5\xf2\xe0"),
            long(INTERNET_CPID, 1251),
            ansi(SENT_REPR_NAME, b"\xc8\xe2\xe0\xed \xcf\xe5\xf2\xf0\xee\xe2"),
            ansi(
                SENT_REPR_EMAIL,
                b"/O=EXCHANGE/OU=FIRST ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=IPETROV",
            ),
            binary(RTF_COMPRESSED, &msg::rtf_container(rtf)),
        ],
        recipients: vec![vec![
            long(RECIPIENT_TYPE, 1),
            ansi(DISPLAY_NAME, b"Accounts"),
            ansi(EMAIL_ADDRESS, b"/O=EXCHANGE/CN=ACCOUNTS"),
        ]],
        attachments: vec![],
    };
    let run = check_msg(&msg::msg_bytes(&message));
    let e = &run.entity;
    assert_eq!(e.get("subject"), ["Оплата счета"]);
    assert_eq!(e.get("from"), ["Иван Петров"]);
    assert_eq!(e.get("to"), ["Accounts"]);
    assert!(e.get("emitters").is_empty(), "no address, no Person");
    let html = e.first("bodyHtml").unwrap();
    assert!(html.contains("<p>Платеж отправлен</p>"), "{html}");
    let text = e.first("bodyText");
    assert!(
        text.is_none() || text.unwrap().contains("Платеж"),
        "{text:?}"
    );
}

#[test]
fn msg_body_only_in_compressed_rtf() {
    // The worked example of MS-OXRTFCP: LZFu-compressed native RTF.
    let compressed: [u8; 49] = [
        0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7,
        0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a,
        0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d,
        0x0a, 0x80, 0x0f, 0xa0,
    ];
    let message = Msg {
        props: vec![
            unicode(SUBJECT, "Compressed"),
            binary(RTF_COMPRESSED, &compressed),
        ],
        ..Msg::default()
    };
    let run = check_msg(&msg::msg_bytes(&message));
    assert_eq!(
        run.entity.first("bodyText").map(str::trim),
        Some("hello world")
    );
}

#[test]
fn msg_with_transport_headers_and_an_attached_message() {
    let headers = "From: Security Desk <desk@example.org>\r\nTo: all@example.org\r\nSubject: Fwd: leak\r\nDate: Wed, 6 Mar 2024 12:00:00 +0000\r\nMessage-ID: <fwd-42@example.org>\r\n";
    let inner = Msg {
        props: vec![
            unicode(SUBJECT, "The original leak"),
            unicode(SENDER_NAME, "Whistle Blower"),
            unicode(SENDER_EMAIL, "wb@example.net"),
            unicode(BODY, "Documents attached to the original message."),
        ],
        recipients: vec![recipient(1, "Desk", "desk@example.org")],
        attachments: vec![],
    };
    let message = Msg {
        props: vec![
            unicode(SUBJECT, "Fwd: leak"),
            unicode(TRANSPORT_HEADERS, headers),
            unicode(BODY, "See the attached message."),
        ],
        recipients: vec![],
        attachments: vec![Attachment {
            props: vec![
                long(ATTACH_METHOD, 5),
                unicode(DISPLAY_NAME, "The original leak"),
            ],
            message: Some(inner),
        }],
    };
    let run = check_msg(&msg::msg_bytes(&message));
    let e = &run.entity;
    assert_eq!(e.get("messageId"), ["fwd-42@example.org"]);
    assert_eq!(e.get("date"), ["2024-03-06T12:00:00"]);
    assert_eq!(e.get("from"), ["Security Desk <desk@example.org>"]);
    assert_eq!(e.get("to"), ["all@example.org"]);
    assert_eq!(run.child_names(), ["The original leak.msg"]);

    // The attached message, written out as a .msg of its own, reads as an Email.
    let child = run.child("The original leak.msg");
    let inner = ingest_path(&child.path, "The original leak.msg", |_| {});
    assert_eq!(inner.schema(), "Email");
    assert_eq!(inner.entity.get("subject"), ["The original leak"]);
    assert_eq!(
        inner.entity.get("from"),
        ["Whistle Blower <wb@example.net>"]
    );
    assert_eq!(inner.entity.get("to"), ["Desk <desk@example.org>"]);
    assert!(
        inner
            .entity
            .first("bodyText")
            .unwrap()
            .contains("Documents attached")
    );
}

#[test]
fn broken_msg_is_corrupt() {
    let run = ingest_bytes(
        "broken.msg",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 then garbage instead of sectors",
    );
    assert_eq!(
        run.error().class,
        ErrorClass::Corrupt,
        "{}",
        run.error().message
    );
}

// --- PST -------------------------------------------------------------------------------------

#[test]
fn unreadable_pst_fails_cleanly() {
    // No PST can be generated here (no writer exists in any package we can install), so
    // only the failure path runs against the real readpst.
    let run = ingest_bytes(
        "mailbox.pst",
        b"!BDN not really an Outlook store, just bytes that look like one",
    );
    assert_eq!(
        run.error().class,
        ErrorClass::Corrupt,
        "{}",
        run.error().message
    );
    assert!(run.sink.children.is_empty());
}
