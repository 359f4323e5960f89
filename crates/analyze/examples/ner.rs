//! Print the names the rule recogniser finds in each line of standard input.
use std::io::BufRead;

use analyze::names::{Recognizer, RuleRecognizer};

fn main() {
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let spans = RuleRecognizer.recognize(&line, &[]);
        let shown: Vec<String> = spans
            .iter()
            .map(|s| format!("{:?}={}", s.kind, s.name))
            .collect();
        println!("{line}\n  -> {}", shown.join(" | "));
    }
}
