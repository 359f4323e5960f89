//! vCard address books and iCalendar files: the file as text, and a Person per card or
//! an Event per VEVENT with its organizer and attendees.
#![allow(clippy::unwrap_used)]

#[path = "support/documents_util.rs"]
mod util;

use ingest::{ErrorClass, Format};
use util::{DOC_ID, ingest_bytes};

const CARDS: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;Jane;Q.;Dr.;\r\nFN:Dr. Jane Doe\r\n\
TITLE:Managing Director\r\nEMAIL;TYPE=work:Jane.Doe@Example.org\r\nTEL;TYPE=cell:+44 20 7123 4567\r\n\
BDAY:1970-04-15\r\nNOTE:Met at the conference\\, 2019\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8:Müller;Hans\r\nEMAIL:hans@mueller.example\r\n\
NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Gr=FC=DFe aus =\r\nBerlin\r\nEND:VCARD\r\n";

#[test]
fn a_person_per_card() {
    let run = ingest_bytes("contacts.vcf", CARDS.as_bytes());
    assert_eq!(run.ok(), Format::VCard);
    assert_eq!(run.schema(), "PlainText");
    assert!(run.first("bodyText").contains("BEGIN:VCARD"));
    let people = run.entities("Person");
    assert_eq!(people.len(), 2);

    let jane = people[0];
    assert_eq!(jane.first("name"), Some("Dr. Jane Doe"));
    assert_eq!(jane.first("email"), Some("Jane.Doe@example.org"));
    assert_eq!(jane.first("phone"), Some("+442071234567"));
    assert_eq!(jane.first("position"), Some("Managing Director"));
    assert_eq!(jane.first("title"), Some("Dr."));
    assert_eq!(jane.first("birthDate"), Some("1970-04-15"));
    assert_eq!(jane.first("notes"), Some("Met at the conference, 2019"));
    assert_eq!(jane.get("proof"), [DOC_ID]);
    // The id follows the address, as for email senders.
    assert_eq!(
        jane.id(),
        ftm::make_id(None, &["jane.doe@example.org"]).as_deref()
    );

    let hans = people[1];
    assert_eq!(hans.first("name"), Some("Hans Müller"));
    assert_eq!(hans.first("notes"), Some("Grüße aus Berlin"));
    assert_eq!(hans.get("proof"), [DOC_ID]);
}

#[test]
fn a_file_without_cards_is_corrupt() {
    let run = ingest_bytes("empty.vcf", b"nothing to see here\n");
    run.failed(ErrorClass::Corrupt);
}

const CALENDAR: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Calendar 1.0//EN\r\n\
BEGIN:VEVENT\r\nUID:meeting-1@example.org\r\nSUMMARY:Board meeting\r\nDTSTART:20240102T100000Z\r\n\
DTEND:20240102T113000Z\r\nLOCATION:Limassol\\, Cyprus\r\n\
ORGANIZER;CN=Jane Doe:mailto:jane@example.org\r\n\
ATTENDEE;CN=\"Smith, John\";ROLE=REQ-PARTICIPANT:mailto:john@example.org\r\n\
ATTENDEE:MAILTO:anna@example.org\r\n\
DESCRIPTION:Discuss the\r\n  share transfer\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nSUMMARY:Call with lawyer\r\nDTSTART;VALUE=DATE:20240105\r\n\
ORGANIZER:mailto:jane@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[test]
fn an_event_per_vevent_with_people() {
    let run = ingest_bytes("meetings.ics", CALENDAR.as_bytes());
    assert_eq!(run.ok(), Format::Calendar);
    assert_eq!(run.schema(), "PlainText");
    assert_eq!(run.first("generator"), "-//Test//Calendar 1.0//EN");
    let events = run.entities("Event");
    assert_eq!(events.len(), 2);

    let board = events[0];
    assert_eq!(
        board.id(),
        ftm::make_id(None, &["meeting-1@example.org"]).as_deref()
    );
    assert_eq!(board.first("name"), Some("Board meeting"));
    assert_eq!(board.first("startDate"), Some("2024-01-02T10:00:00"));
    assert_eq!(board.first("endDate"), Some("2024-01-02T11:30:00"));
    assert_eq!(board.first("location"), Some("Limassol, Cyprus"));
    assert_eq!(
        board.first("description"),
        Some("Discuss the share transfer")
    );
    assert_eq!(board.get("proof"), [DOC_ID]);

    let person = |email: &str| {
        run.entities("Person")
            .into_iter()
            .find(|p| p.get("email").iter().any(|e| e == email))
            .unwrap_or_else(|| panic!("no Person for {email}"))
    };
    let jane = person("jane@example.org");
    assert_eq!(jane.first("name"), Some("Jane Doe"));
    assert_eq!(board.get("organizer"), [jane.id().unwrap()]);
    let john = person("john@example.org");
    assert_eq!(john.first("name"), Some("Smith, John"));
    let anna = person("anna@example.org");
    assert_eq!(
        board.get("involved"),
        [john.id().unwrap(), anna.id().unwrap()]
    );
    // Jane organises both events but is one entity.
    assert_eq!(run.entities("Person").len(), 3);

    let call = events[1];
    assert_eq!(call.first("startDate"), Some("2024-01-05"));
    assert_eq!(call.get("organizer"), [jane.id().unwrap()]);
}
