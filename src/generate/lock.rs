//! `lockgen new lock`: a lock service over a set of Ids.

use std::fmt::Write as _;

use serde::Serialize;

use super::schema::{Records, Sequence};
use super::{GenerateError, Generated, Target, names};
use crate::cli::LockArgs;

#[derive(Serialize)]
struct LockContext {
    name: String,
    test_name: String,
    object: Option<String>,
    record_object: String,
    records: Records,
}

pub fn lock(args: &LockArgs, target: &Target) -> Result<Generated, GenerateError> {
    names::apex_identifier(&args.name)?;
    let test_name = format!("{}Test", args.name);
    names::apex_identifier(&test_name)?;
    if let Some(object) = &args.object {
        names::sobject_name(object)?;
    }
    let mut command = format!("lockgen new lock {}", args.name);
    if let Some(object) = &args.object {
        let _ = write!(command, " --object {object}");
    }
    // The generic service is tested on Accounts.
    let record_object = args.object.clone().unwrap_or_else(|| "Account".to_string());
    let records = target
        .schema()
        .test_records(&record_object, &[], Sequence::Loop)?;
    let context = LockContext {
        name: args.name.clone(),
        test_name: test_name.clone(),
        object: args.object.clone(),
        record_object,
        records,
    };
    let files = target.class_and_test(
        (&args.name, "lock.cls.jinja"),
        (&test_name, "lock_test.cls.jinja"),
        &context,
        &command,
    )?;
    Ok(Generated {
        files,
        owned: Vec::new(),
    })
}
