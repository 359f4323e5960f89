//! A phonetic key for transliterated names: the consonant skeleton.
//!
//! Transliteration variants of one name differ mostly in vowels and in how a sound is
//! spelt ("Aleksandr", "Alexander", "Oleksandr"; "Smirnov", "Smirnoff", "Smirnow";
//! "Dmitriy", "Dmitry", "Dmitrii"; "Mikhail", "Michael"). The key rewrites common
//! spellings of one sound to one letter, then keeps only consonants, without repeats.
//! It is our own scheme, tuned for Latin, Slavic and Arabic transliterations rather than
//! English pronunciation (which Metaphone targets).

/// The phonetic key of a lower-case ASCII token; empty when nothing distinctive is left.
pub(crate) fn phonetic_key(token: &str) -> String {
    let b = token.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    let starts = |i: usize, pattern: &str| b[i..].starts_with(pattern.as_bytes());
    while i < b.len() {
        let (code, skip): (Option<u8>, usize) = if starts(i, "shch") {
            (Some(b's'), 4)
        } else if starts(i, "tsch") {
            (Some(b'k'), 4)
        } else if starts(i, "sch") {
            (Some(b's'), 3)
        } else if starts(i, "tch") {
            (Some(b'k'), 3)
        } else if starts(i, "dzh") {
            // Джабаров: "Dzhabarov", "Djabarov", "Jabarov".
            (None, 3)
        } else if starts(i, "sh") || starts(i, "ts") || starts(i, "tz") {
            // "ts", "tz" and "z" all write the Russian ц ("Zaytsev", "Zajcev", "Saizew").
            (Some(b's'), 2)
        } else if starts(i, "zh") || starts(i, "dj") {
            // Жуков: "Zhukov", "Joukov", "Jukov"; j is a vowel here.
            (None, 2)
        } else if starts(i, "ch") || starts(i, "kh") || starts(i, "ck") || starts(i, "cz") {
            (Some(b'k'), 2)
        } else if starts(i, "ph") {
            (Some(b'f'), 2)
        } else if starts(i, "th") {
            (Some(b't'), 2)
        } else if starts(i, "gh") {
            (Some(b'g'), 2)
        } else if starts(i, "dh") {
            (Some(b't'), 2)
        } else {
            let c = b[i];
            let code = match c {
                b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'j' | b'h' => None,
                b'c' => match b.get(i + 1) {
                    Some(b'e' | b'i' | b'y') => Some(b's'),
                    _ => Some(b'k'),
                },
                b'x' => {
                    push(&mut out, b'k');
                    Some(b's')
                }
                b'q' => Some(b'k'),
                b'z' => Some(b's'),
                b'v' | b'w' => Some(b'f'),
                b'd' => Some(b't'),
                b'0'..=b'9' => Some(c),
                _ => Some(c),
            };
            (code, 1)
        };
        if let Some(code) = code {
            push(&mut out, code);
        }
        i += skip;
    }
    if out.len() < 2 { String::new() } else { out }
}

/// The token with spelling variants that do not change the sound folded together, but
/// vowels kept: y and j as i, w as v, "ts"/"tz"/"cz" as c, "ph" as f, "kh" as h, "ou" as
/// u, x as ks, q as k, doubled letters once. Edit distances are measured on this form,
/// so "Jurij" and "Yury", or "Leila" and "Layla", are one or no edit apart.
pub(crate) fn loose_form(token: &str) -> String {
    let b = token.as_bytes();
    let mut out = String::with_capacity(b.len() + 2);
    let mut i = 0;
    let starts = |i: usize, pattern: &str| b[i..].starts_with(pattern.as_bytes());
    while i < b.len() {
        let (text, skip): (&str, usize) = if starts(i, "tsch") {
            ("c", 4)
        } else if starts(i, "ts") || starts(i, "tz") || starts(i, "cz") {
            ("c", 2)
        } else if starts(i, "ph") {
            ("f", 2)
        } else if starts(i, "kh") {
            ("h", 2)
        } else if starts(i, "ck") {
            ("k", 2)
        } else if starts(i, "ou") {
            ("u", 2)
        } else {
            match b[i] {
                b'y' | b'j' => ("i", 1),
                b'w' => ("v", 1),
                b'x' => ("ks", 1),
                b'q' => ("k", 1),
                _ => (&token[i..i + 1], 1),
            }
        };
        for c in text.bytes() {
            if out.as_bytes().last() != Some(&c) {
                out.push(c as char);
            }
        }
        i += skip;
    }
    out
}

/// Append a code unless it repeats the previous one.
fn push(out: &mut String, code: u8) {
    if out.as_bytes().last() != Some(&code) {
        out.push(code as char);
    }
}

#[cfg(test)]
mod tests {
    use super::{loose_form, phonetic_key};

    fn same(a: &str, b: &str) {
        assert_eq!(phonetic_key(a), phonetic_key(b), "{a} vs {b}");
        assert!(!phonetic_key(a).is_empty(), "{a}");
    }

    #[test]
    fn transliteration_variants_share_a_key() {
        same("aleksandr", "alexander");
        same("aleksandr", "oleksandr");
        same("smirnov", "smirnoff");
        same("smirnov", "smirnow");
        same("dmitriy", "dmitry");
        same("dmitrii", "dmitry");
        same("mikhail", "michael");
        same("khodorkovsky", "chodorkowski");
        same("tchaikovsky", "chaikovsky");
        same("zhukov", "joukov");
        same("shcherbakov", "scherbakov");
        same("yuriev", "yuryev");
        same("dzhabarov", "jabarov");
        same("mohammed", "mohamed");
        same("alrashid", "alrasheed");
        same("zaytsev", "zajcev");
        same("kudryavtseva", "kudrjawzewa");
        same("yakovlev", "jakowlew");
    }

    #[test]
    fn loose_forms_fold_spelling_variants() {
        assert_eq!(loose_form("jurij"), loose_form("yury"));
        assert_eq!(loose_form("yuriy"), "iuri");
        assert_eq!(loose_form("kudrjawzewa"), "kudriavzeva");
        assert_eq!(loose_form("zaytsev"), loose_form("zajcev"));
        assert_eq!(loose_form("smirnoff"), "smirnof");
    }

    #[test]
    fn different_names_differ() {
        assert_ne!(phonetic_key("ivanov"), phonetic_key("petrov"));
        assert_ne!(phonetic_key("smith"), phonetic_key("jones"));
        // Too little left to be a key.
        assert_eq!(phonetic_key("yao"), "");
        assert_eq!(phonetic_key("ai"), "");
    }
}
