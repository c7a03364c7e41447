//! `lockgen new batch`: Batch Apex whose scope is ordered by the locking parent, with the
//! queueable's retry and give-up contract.

use super::job::{JobKind, job_context, job_files};
use super::{GenerateError, Generated, Target};
use crate::cli::BatchArgs;

pub fn batch(args: &BatchArgs, target: &Target) -> Result<Generated, GenerateError> {
    let (context, tail) = job_context(target, &args.job, None, &args.retry, JobKind::Batch)?;
    let command = format!("lockgen new batch {}{tail}", args.job.name);
    job_files(target, &context, "batch", &command)
}
