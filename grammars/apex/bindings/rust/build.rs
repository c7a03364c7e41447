//! Compile the generated parser, always optimised: the lexer is a large share of lockgen's
//! parse time, and the generator's `#pragma GCC optimize ("O0")` must not come back.

fn main() {
    let src = std::path::Path::new("src");
    let parser = src.join("parser.c");
    println!("cargo:rerun-if-changed={}", parser.display());
    println!(
        "cargo:rerun-if-changed={}",
        src.join("tree_sitter").display()
    );

    let head = match std::fs::read_to_string(&parser) {
        Ok(text) => text.chars().take(2048).collect::<String>(),
        Err(error) => {
            eprintln!("cannot read {}: {error}", parser.display());
            std::process::exit(1);
        }
    };
    if head.contains("optimize") {
        eprintln!(
            "{} turns optimisation off; regenerate it with scripts/regenerate-grammar.sh",
            parser.display()
        );
        std::process::exit(1);
    }

    cc::Build::new()
        .include(src)
        .file(&parser)
        .std("c11")
        // At least -O2 in every profile: an unoptimised lexer makes even debug test runs slow.
        .opt_level(if std::env::var("OPT_LEVEL").as_deref() == Ok("3") {
            3
        } else {
            2
        })
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-Wno-unused-but-set-variable")
        .flag_if_supported("-Wno-trigraphs")
        // Upstream's crate exports `tree_sitter_apex` too; a name of our own lets a test link
        // both and compare their trees.
        .define("tree_sitter_apex", Some("tree_sitter_lockgen_apex"))
        .compile("lockgen-apex-grammar");
}
