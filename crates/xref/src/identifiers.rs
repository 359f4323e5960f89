//! Identifier evidence: registration numbers, LEI, IMO, IBAN, INN, passports…
//!
//! An identifier's *kind* is the property it sits in. Equal values are evidence for a
//! match whatever their kinds (a tax number filed as a registration number is still the
//! same number); two different values of one kind are evidence against it, as strong as
//! the kind is unique: an entity has one LEI, but may hold several passports over time,
//! and a registration number only conflicts with another from the same registry.

use serde::Serialize;

/// How much an identifier kind says about identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Free-form or reused numbers: a match helps, a difference says nothing.
    Weak,
    /// Issued by a national registry or authority: unique within it.
    Registry,
    /// Globally unique by design (LEI, IMO, IBAN, ISIN…).
    Global,
}

/// The kind and strength of an identifier property.
pub(crate) fn kind_of(prop: &str) -> (&'static str, Strength) {
    use Strength::*;
    match prop {
        "leiCode" => ("lei", Global),
        "imoNumber" => ("imo", Global),
        "iban" => ("iban", Global),
        "isin" | "isinCode" => ("isin", Global),
        "swiftBic" | "bic" => ("bic", Global),
        "innCode" => ("inn", Global),
        "ogrnCode" => ("ogrn", Global),
        "uniqueEntityId" => ("uei", Global),
        "npiCode" => ("npi", Global),
        "uscCode" => ("uscc", Global),
        "figiCode" => ("figi", Global),
        "wikidataId" => ("wikidata", Global),
        "mmsi" => ("mmsi", Global),
        "dunsCode" => ("duns", Global),
        "publicKey" => ("wallet", Global),
        "socialSecurityNumber" => ("ssn", Global),
        "registrationNumber" => ("registration", Registry),
        "taxNumber" => ("tax", Registry),
        "vatCode" => ("vat", Registry),
        "idNumber" => ("id", Registry),
        "passportNumber" => ("passport", Registry),
        "accountNumber" => ("account", Registry),
        "serialNumber" => ("serial", Registry),
        "registrationNumberMentioned" => ("registration", Weak),
        _ => ("other", Weak),
    }
}

/// A normalised identifier value with its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identifier {
    pub kind: &'static str,
    pub strength: Strength,
    pub value: String,
}

/// Upper-case letters and digits only, so "HRB 12345", "hrb-12345" and "HRB12345" agree;
/// IMO numbers lose their "IMO" prefix. Values shorter than four characters say too
/// little to be compared at all.
pub(crate) fn normalize(kind: &str, raw: &str) -> Option<String> {
    let mut value: String = raw
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if kind == "imo"
        && let Some(rest) = value.strip_prefix("IMO")
    {
        value = rest.to_owned();
    }
    (value.len() >= 4).then_some(value)
}

impl Identifier {
    pub fn new(prop: &str, raw: &str) -> Option<Identifier> {
        let (kind, strength) = kind_of(prop);
        Some(Identifier {
            kind,
            strength,
            value: normalize(kind, raw)?,
        })
    }

    /// How much an equal value says, from its length: four characters are easily shared
    /// by chance, eight rarely.
    pub fn specificity(&self) -> f64 {
        ((self.value.len() as f64 - 3.0) / 5.0).clamp(0.2, 1.0)
    }
}

/// What two entities' identifiers say.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IdentifierEvidence<'a> {
    /// The most telling shared value: (left, right), left's kind decides the strength.
    pub shared: Option<(&'a Identifier, &'a Identifier)>,
    /// A kind both have, with no value in common.
    pub conflict: Option<(&'a Identifier, &'a Identifier)>,
}

pub(crate) fn compare_identifiers<'a>(
    left: &'a [Identifier],
    right: &'a [Identifier],
) -> IdentifierEvidence<'a> {
    let mut shared: Option<(&Identifier, &Identifier)> = None;
    for a in left {
        for b in right {
            if a.value != b.value {
                continue;
            }
            let rank = |x: &Identifier, y: &Identifier| {
                let same_kind = x.kind == y.kind;
                (same_kind, x.strength.min(y.strength), x.value.len())
            };
            if shared.is_none_or(|(x, y)| rank(a, b) > rank(x, y)) {
                shared = Some((a, b));
            }
        }
    }
    let mut conflict: Option<(&Identifier, &Identifier)> = None;
    for a in left.iter().filter(|a| a.strength > Strength::Weak) {
        let same_kind: Vec<&Identifier> = right.iter().filter(|b| b.kind == a.kind).collect();
        if same_kind.is_empty() {
            continue;
        }
        let overlap = left
            .iter()
            .filter(|x| x.kind == a.kind)
            .any(|x| same_kind.iter().any(|y| y.value == x.value));
        if !overlap && conflict.is_none_or(|(x, _)| a.strength > x.strength) {
            conflict = Some((a, same_kind[0]));
        }
    }
    IdentifierEvidence { shared, conflict }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[(&str, &str)]) -> Vec<Identifier> {
        list.iter()
            .filter_map(|(p, v)| Identifier::new(p, v))
            .collect()
    }

    #[test]
    fn spacing_and_prefixes_do_not_matter() {
        assert_eq!(normalize("registration", "HRB 12345").unwrap(), "HRB12345");
        assert_eq!(normalize("imo", "IMO 9321483").unwrap(), "9321483");
        assert_eq!(normalize("imo", "9321483").unwrap(), "9321483");
        assert_eq!(normalize("other", "12-3"), None);
    }

    #[test]
    fn equal_and_conflicting_values() {
        let a = ids(&[
            ("leiCode", "529900T8BM49AURSDO55"),
            ("registrationNumber", "123 456"),
        ]);
        let b = ids(&[("leiCode", "529900t8bm49aursdo55")]);
        let evidence = compare_identifiers(&a, &b);
        assert_eq!(evidence.shared.unwrap().0.kind, "lei");
        assert!(evidence.conflict.is_none());

        let c = ids(&[("imoNumber", "IMO9321483")]);
        let d = ids(&[("imoNumber", "IMO9074729")]);
        let evidence = compare_identifiers(&c, &d);
        assert!(evidence.shared.is_none());
        assert_eq!(evidence.conflict.unwrap().0.strength, Strength::Global);

        // One common value among several of a kind is no conflict.
        let e = ids(&[
            ("passportNumber", "AB123456"),
            ("passportNumber", "CD654321"),
        ]);
        let f = ids(&[("passportNumber", "CD654321")]);
        let evidence = compare_identifiers(&e, &f);
        assert!(evidence.conflict.is_none());
        assert!(evidence.shared.is_some());

        // Across kinds, an equal value still counts.
        let g = ids(&[("taxNumber", "7707083893")]);
        let h = ids(&[("innCode", "7707083893")]);
        assert!(compare_identifiers(&g, &h).shared.is_some());
    }
}
