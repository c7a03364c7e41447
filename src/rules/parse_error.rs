use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::index::Project;

declare_rule! {
    /// ## What it does
    /// Reports a file that lockgen could not read completely: an Apex syntax error, a `.cls`
    /// that is really an anonymous-Apex script, bytes that are not UTF-8 text, or object
    /// metadata or a flow that is not valid XML.
    ///
    /// Flows: a flow file of any status (`Active`, `Draft`, `Obsolete`, `InvalidDraft`) is
    /// read, and invalid XML in it is reported here.
    ///
    /// ## Why it matters
    /// Every other rule sees only what parsed. A class that stops parsing half-way hides the
    /// DML, queries and jobs after the error, so lock risks there go unreported. The run goes
    /// on: the rest of the file and every other file are still analysed.
    ///
    /// ## Example
    /// ```apex
    /// public class InvoiceService {
    ///     public void post(List<Invoice__c> invoices) {
    ///         update invoices   // missing semicolon
    ///     }
    /// }
    /// ```
    /// ```xml flows/Invoice_Paid.flow-meta.xml
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <label>Invoice Paid</label>
    ///     <status>Active</status>
    /// </Floww>
    /// ```
    ///
    /// ## Fix
    /// ```apex
    /// public class InvoiceService {
    ///     public void post(List<Invoice__c> invoices) {
    ///         update invoices;
    ///     }
    /// }
    /// ```
    /// ```xml flows/Invoice_Paid.flow-meta.xml
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <label>Invoice Paid</label>
    ///     <status>Active</status>
    /// </Flow>
    /// ```
    /// Anonymous-Apex scripts (statements outside any class) belong in a `scripts/` folder
    /// outside the package directories, or in `.forceignore`.
    ///
    /// ## References
    /// - [Apex Developer Guide: Anonymous Blocks](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/apex_anonymous_block.htm)
    pub ParseError {
        code: "LCK000",
        name: "parse-error",
        default_severity: Error,
        since: "0.1.0",
    }
}

fn message(problem: &str, more: usize) -> String {
    if more == 0 {
        problem.to_string()
    } else {
        format!("{problem} (and {more} more problems in this file)")
    }
}

impl Rule for ParseError {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        for unit in &project.apex {
            // Problems are sorted by position: the first is where reading went wrong.
            let Some(first) = unit.model.problems.first() else {
                continue;
            };
            let more = unit.model.problems.len() - 1;
            let help = if first.message.starts_with("statement outside a class") {
                "keep anonymous-Apex scripts outside the package directories, or list them in `.forceignore`"
            } else {
                "lockgen analysed what it could read; fix the syntax so nothing is missed"
            };
            findings.push(
                Finding::new(
                    &Self::META,
                    unit.file,
                    first.span,
                    message(&first.message, more),
                )
                .with_help(help),
            );
        }
        for problem in &project.file_problems {
            findings.push(Finding::new(
                &Self::META,
                problem.file,
                problem.span,
                problem.message.clone(),
            ));
        }
    }
}
