//! Write a synthetic bulk load for `lockgen plan` benchmarks: N rows of 20 columns, the parent
//! key (`Order__c`, an 18-character Id) drawn from a Zipf distribution (exponent 1.1 over
//! N/20 parents) so that a few parents are skewed, and now and then a quoted field with a
//! comma, a doubled quote or a line break. Also writes the small project that says
//! `Line__c.Order__c` is a master-detail.
//!
//!     cargo run --release --example plan_synth -- --rows 1000000 --out DIR
//!
//! Deterministic: the same arguments write the same bytes (`DIR/load-<rows>.csv`).
#![allow(clippy::print_stdout)]

use std::fs;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A Salesforce-like 18-character Id for a number.
fn id(prefix: &str, mut n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(b"5g0");
    let mut digits = [b'0'; 9];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    out.extend_from_slice(&digits);
    out.extend_from_slice(b"AAA");
}

fn main() -> std::io::Result<()> {
    let mut rows: u64 = 100_000;
    let mut out = PathBuf::from(".");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => rows = args.next().and_then(|v| v.parse().ok()).unwrap_or(rows),
            "--out" => out = args.next().map(PathBuf::from).unwrap_or(out),
            _ => {
                eprintln!("usage: plan_synth --rows N --out DIR");
                std::process::exit(2);
            }
        }
    }
    fs::create_dir_all(out.join("force-app/objects/Line__c/fields"))?;
    fs::write(
        out.join("sfdx-project.json"),
        r#"{"packageDirectories": [{"path": "force-app", "default": true}], "sourceApiVersion": "61.0"}"#,
    )?;
    fs::write(
        out.join("force-app/objects/Line__c/fields/Order__c.field-meta.xml"),
        "<CustomField xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <fullName>Order__c</fullName>\n    <referenceTo>Order__c</referenceTo>\n    <type>MasterDetail</type>\n</CustomField>\n",
    )?;

    // Zipf over `parents` ranks: the cumulative distribution, searched per row.
    let parents = (rows / 20).max(1);
    let mut cdf = Vec::with_capacity(parents as usize);
    let mut sum = 0.0;
    for rank in 1..=parents {
        sum += 1.0 / (rank as f64).powf(1.1);
        cdf.push(sum);
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ rows);
    let path = out.join(format!("load-{rows}.csv"));
    let mut file = BufWriter::with_capacity(1 << 20, fs::File::create(&path)?);
    file.write_all(
        b"External_Id__c,Order__c,Name,Product__c,Quantity__c,Unit_Price__c,Discount__c,Amount__c,\
Status__c,Start_Date__c,End_Date__c,Region__c,Channel__c,Currency__c,Tax_Rate__c,\
Cost_Center__c,Sales_Rep__c,Priority__c,Is_Active__c,Description__c\r\n",
    )?;
    let statuses = ["Draft", "Activated", "Cancelled", "Pending"];
    let regions = ["EMEA", "AMER", "APAC", "LATAM"];
    let mut line = Vec::with_capacity(512);
    for n in 0..rows {
        line.clear();
        let target = rng.unit() * sum;
        let rank = cdf.partition_point(|c| *c < target) as u64;
        // Parents are numbered by a scramble of the rank, so skewed ones are not the first Ids.
        let parent = rank.wrapping_mul(0x9E37_79B9) % (parents * 7919);
        let qty = 1 + rng.below(50);
        let price = rng.below(100_000);
        let discount = rng.below(30);
        write!(line, "EXT-{n:010},")?;
        id("a0B", parent, &mut line);
        write!(
            line,
            ",Line {n},01t5g{:013},{qty},{}.{:02},{discount},{}.{:02},{},2026-{:02}-{:02},2027-{:02}-{:02},{},{},EUR,0.{:02},CC-{:04},005{:015},{},{},",
            rng.below(5000),
            price / 100,
            price % 100,
            qty * price / 100,
            (qty * price) % 100,
            statuses[rng.below(4) as usize],
            1 + rng.below(12),
            1 + rng.below(28),
            1 + rng.below(12),
            1 + rng.below(28),
            regions[rng.below(4) as usize],
            ["Web", "Partner", "Direct"][rng.below(3) as usize],
            rng.below(25),
            rng.below(800),
            rng.below(300),
            1 + rng.below(5),
            if rng.below(10) < 8 { "true" } else { "false" },
        )?;
        match rng.below(50) {
            0 => line.extend_from_slice(b"\"Split over two lines:\r\nsee contract\""),
            1 => line.extend_from_slice(b"\"Customer said \"\"rush\"\", ship, then invoice\""),
            _ => line.extend_from_slice(b"Standard order line"),
        }
        line.extend_from_slice(b"\r\n");
        file.write_all(&line)?;
    }
    file.flush()?;
    println!("{}", path.display());
    Ok(())
}
