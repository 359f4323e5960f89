//! Crypto-currency addresses: Bitcoin (base58check and bech32/bech32m) and Ethereum
//! (EIP-55 mixed-case checksum when the address carries one).

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};
use sha3::Keccak256;

use super::{Finding, PatternKind, taken};

static BASE58: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[13][1-9A-HJ-NP-Za-km-z]{25,34}(?-u:\b)").expect("valid regex")
});
static BECH32: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)bc1[02-9ac-hj-np-z]{11,71}(?-u:\b)").expect("valid regex")
});
static ETHEREUM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)0x[0-9a-fA-F]{40}(?-u:\b)").expect("valid regex"));

pub(super) fn addresses(text: &str, out: &mut Vec<Finding>) {
    let push = |kind, m: regex::Match<'_>, out: &mut Vec<Finding>| {
        if !taken(out, &m.range()) {
            out.push(Finding {
                kind,
                value: m.as_str().to_owned(),
                span: m.range(),
                country: None,
            });
        }
    };
    for m in BASE58.find_iter(text) {
        if base58check(m.as_str()) {
            push(PatternKind::Bitcoin, m, out);
        }
    }
    for m in BECH32.find_iter(text) {
        if bech32(m.as_str()) {
            push(PatternKind::Bitcoin, m, out);
        }
    }
    for m in ETHEREUM.find_iter(text) {
        if eip55(&m.as_str()[2..]) {
            push(PatternKind::Ethereum, m, out);
        }
    }
}

const BASE58_ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// A P2PKH or P2SH address: 25 bytes whose last four are the double SHA-256 checksum of
/// the rest, with version byte 0 or 5.
fn base58check(address: &str) -> bool {
    let mut bytes: Vec<u8> = Vec::with_capacity(25);
    for c in address.bytes() {
        let Some(mut carry) = BASE58_ALPHABET.iter().position(|&a| a == c) else {
            return false;
        };
        for b in bytes.iter_mut().rev() {
            carry += usize::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = address.bytes().take_while(|&c| c == b'1').count();
    let mut decoded = vec![0u8; zeros];
    decoded.extend(bytes);
    if decoded.len() != 25 || !matches!(decoded[0], 0 | 5) {
        return false;
    }
    let (payload, checksum) = decoded.split_at(21);
    let hash = Sha256::digest(Sha256::digest(payload));
    &hash[..4] == checksum
}

const BECH32_CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// A SegWit address: the BIP-173 checksum (witness version 0) or BIP-350 (version 1+).
fn bech32(address: &str) -> bool {
    let lower = address.to_ascii_lowercase();
    if address != lower && address != address.to_ascii_uppercase() {
        return false;
    }
    let Some((hrp, data)) = lower.rsplit_once('1') else {
        return false;
    };
    let Some(values) = data
        .bytes()
        .map(|c| BECH32_CHARSET.iter().position(|&a| a == c).map(|v| v as u8))
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let Some(&version) = values.first() else {
        return false;
    };
    let mut input: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    input.push(0);
    input.extend(hrp.bytes().map(|b| b & 31));
    input.extend(&values);
    let constant = if version == 0 { 1 } else { 0x2bc8_30a3 };
    version <= 16 && polymod(&input) == constant
}

fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for &v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// EIP-55: a mixed-case address must carry its checksum; all-lowercase or all-uppercase
/// addresses carry none and are accepted as they are.
fn eip55(hex: &str) -> bool {
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    if !(has_lower && has_upper) {
        return true;
    }
    let hash = Keccak256::digest(hex.to_ascii_lowercase().as_bytes());
    hex.bytes().enumerate().all(|(i, b)| {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0xf;
        if b.is_ascii_digit() {
            true
        } else if nibble >= 8 {
            b.is_ascii_uppercase()
        } else {
            b.is_ascii_lowercase()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::find_patterns;
    use super::*;

    fn values(text: &str, kind: PatternKind) -> Vec<String> {
        find_patterns(text, &[])
            .into_iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.value)
            .collect()
    }

    #[test]
    fn bitcoin_addresses() {
        // The genesis block address (P2PKH), a P2SH address, BIP-173 and BIP-350 vectors.
        let text = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy \
                    bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 \
                    bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0";
        assert_eq!(values(text, PatternKind::Bitcoin).len(), 4);
        // One character changed in each.
        let text = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5";
        assert!(values(text, PatternKind::Bitcoin).is_empty());
    }

    #[test]
    fn ethereum_addresses() {
        let good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        assert_eq!(values(good, PatternKind::Ethereum), [good]);
        let lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
        assert_eq!(values(lower, PatternKind::Ethereum), [lower]);
        // Wrong case in one letter breaks the checksum.
        assert!(
            values(
                "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                PatternKind::Ethereum
            )
            .is_empty()
        );
    }
}
