//! Write a synthetic SFDX project of about N lines of Apex, with the shapes of a real org:
//! custom objects with lookups and master-details, one trigger per object (now and then two),
//! handlers, services that query, loop and write, selectors, Queueables (some with Finalizers),
//! batches, schedulables, `@future` methods, interfaces, inner classes and tests.
//!
//!     cargo run --release --example synth -- --lines 1000000 --out DIR [--seed N] [--force]
//!         [--flows N]
//!
//! `--flows N` adds N flows: after-save flows that update the record's parent or loop over
//! related records, before-save flows, scheduled paths, subflows and drafts.
//!
//! Deterministic: the same arguments write the same bytes.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::fs;
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

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

struct Options {
    lines: usize,
    out: PathBuf,
    seed: u64,
    force: bool,
    flows: usize,
}

fn options() -> Result<Options, String> {
    let mut lines = 100_000;
    let mut out = None;
    let mut seed = 1;
    let mut force = false;
    let mut flows = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--lines" => lines = value()?.parse().map_err(|e| format!("--lines: {e}"))?,
            "--out" => out = Some(PathBuf::from(value()?)),
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--force" => force = true,
            "--flows" => flows = value()?.parse().map_err(|e| format!("--flows: {e}"))?,
            "-h" | "--help" => {
                return Err(
                    "usage: synth --lines N --out DIR [--seed N] [--force] [--flows N]".to_string(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let out = out.ok_or("--out DIR is required")?;
    Ok(Options {
        lines,
        out,
        seed: seed.max(1),
        force,
        flows,
    })
}

const CLASS_META: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ApexClass xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <apiVersion>61.0</apiVersion>\n    <status>Active</status>\n</ApexClass>\n";
const TRIGGER_META: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ApexTrigger xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <apiVersion>61.0</apiVersion>\n    <status>Active</status>\n</ApexTrigger>\n";
const WORDS: &[&str] = &[
    "Invoice", "Payment", "Shipment", "Order", "Ledger", "Donation", "Pledge", "Visit", "Claim",
    "Policy", "Asset", "Booking", "Ticket", "Route", "Stock", "Budget", "Grant", "Program",
];

struct Writer {
    root: PathBuf,
    files: usize,
    apex_lines: usize,
}

impl Writer {
    fn write(&mut self, relative: &str, content: &str) -> Result<(), String> {
        let path = self.root.join(relative);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        fs::write(&path, content).map_err(|e| format!("{}: {e}", path.display()))?;
        self.files += 1;
        if relative.ends_with(".cls") || relative.ends_with(".trigger") {
            self.apex_lines += content.lines().count();
        }
        Ok(())
    }

    fn class(&mut self, name: &str, body: &str) -> Result<(), String> {
        self.write(&format!("force-app/main/default/classes/{name}.cls"), body)?;
        self.write(
            &format!("force-app/main/default/classes/{name}.cls-meta.xml"),
            CLASS_META,
        )
    }
}

struct Object {
    name: String,
}

fn field_xml(name: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CustomField xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <fullName>{name}</fullName>\n{body}</CustomField>\n"
    )
}

fn objects(rng: &mut Rng, w: &mut Writer, count: usize) -> Result<Vec<Object>, String> {
    let mut objects: Vec<Object> = Vec::new();
    for index in 0..count {
        let name = format!("{}{}__c", WORDS[index % WORDS.len()], index / WORDS.len());
        let dir = format!("force-app/main/default/objects/{name}");
        w.write(
            &format!("{dir}/{name}.object-meta.xml"),
            &format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CustomObject xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <deploymentStatus>Deployed</deploymentStatus>\n    <label>{name}</label>\n    <nameField>\n        <label>Name</label>\n        <type>Text</type>\n    </nameField>\n    <pluralLabel>{name}</pluralLabel>\n    <sharingModel>ReadWrite</sharingModel>\n</CustomObject>\n"),
        )?;
        w.write(
            &format!("{dir}/fields/Key__c.field-meta.xml"),
            &field_xml("Key__c", "    <externalId>true</externalId>\n    <label>Key</label>\n    <length>80</length>\n    <type>Text</type>\n    <unique>true</unique>\n"),
        )?;
        w.write(
            &format!("{dir}/fields/Amount__c.field-meta.xml"),
            &field_xml("Amount__c", "    <label>Amount</label>\n    <precision>16</precision>\n    <scale>2</scale>\n    <type>Currency</type>\n"),
        )?;
        let parent_object = if index > 0 && rng.chance(60) {
            objects[rng.below(index)].name.clone()
        } else {
            "Account".to_string()
        };
        let kind = rng.below(3);
        let body = match kind {
            0 => format!(
                "    <label>Parent</label>\n    <referenceTo>{parent_object}</referenceTo>\n    <relationshipName>{}s</relationshipName>\n    <type>MasterDetail</type>\n",
                name.trim_end_matches("__c")
            ),
            1 => format!(
                "    <deleteConstraint>Restrict</deleteConstraint>\n    <label>Parent</label>\n    <referenceTo>{parent_object}</referenceTo>\n    <relationshipName>{}s</relationshipName>\n    <type>Lookup</type>\n",
                name.trim_end_matches("__c")
            ),
            _ => format!(
                "    <deleteConstraint>SetNull</deleteConstraint>\n    <label>Parent</label>\n    <referenceTo>{parent_object}</referenceTo>\n    <relationshipName>{}s</relationshipName>\n    <type>Lookup</type>\n",
                name.trim_end_matches("__c")
            ),
        };
        w.write(
            &format!("{dir}/fields/Parent__c.field-meta.xml"),
            &field_xml("Parent__c", &body),
        )?;
        objects.push(Object { name });
    }
    Ok(objects)
}

/// `count` flows over the objects: record-triggered ones that write the parent, loop over
/// related records or call a subflow, before-save ones, scheduled paths, and drafts.
fn flows(rng: &mut Rng, w: &mut Writer, objects: &[Object], count: usize) -> Result<(), String> {
    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Flow xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <apiVersion>61.0</apiVersion>\n";
    for index in 0..count {
        let object = &objects[index % objects.len()];
        let name = format!("{}_Flow_{index}", object.name.trim_end_matches("__c"));
        let status = if rng.chance(10) { "Draft" } else { "Active" };
        let update_parent = "    <recordUpdates>\n        <name>Touch_Parent</name>\n        <label>Touch Parent</label>\n        <inputAssignments>\n            <field>Amount__c</field>\n            <value><numberValue>1.0</numberValue></value>\n        </inputAssignments>\n        <inputReference>$Record.Parent__r</inputReference>\n    </recordUpdates>\n";
        let (body, start) = match rng.below(5) {
            // An after-save flow that updates the parent.
            0 => (
                update_parent.to_string(),
                format!("        <connector><targetReference>Touch_Parent</targetReference></connector>\n        <object>{o}</object>\n        <recordTriggerType>CreateAndUpdate</recordTriggerType>\n        <triggerType>RecordAfterSave</triggerType>\n", o = object.name),
            ),
            // A loop over the parent's other children with an update inside.
            1 => (
                format!("    <loops>\n        <name>Each_Sibling</name>\n        <label>Each Sibling</label>\n        <collectionReference>Get_Siblings</collectionReference>\n        <nextValueConnector><targetReference>Save_Sibling</targetReference></nextValueConnector>\n    </loops>\n    <recordLookups>\n        <name>Get_Siblings</name>\n        <label>Get Siblings</label>\n        <connector><targetReference>Each_Sibling</targetReference></connector>\n        <getFirstRecordOnly>false</getFirstRecordOnly>\n        <object>{o}</object>\n        <storeOutputAutomatically>true</storeOutputAutomatically>\n    </recordLookups>\n    <recordUpdates>\n        <name>Save_Sibling</name>\n        <label>Save Sibling</label>\n        <connector><targetReference>Each_Sibling</targetReference></connector>\n        <inputReference>Each_Sibling</inputReference>\n    </recordUpdates>\n", o = object.name),
                format!("        <connector><targetReference>Get_Siblings</targetReference></connector>\n        <object>{o}</object>\n        <recordTriggerType>Update</recordTriggerType>\n        <triggerType>RecordAfterSave</triggerType>\n", o = object.name),
            ),
            // A before-save flow: changes the record being saved only.
            2 => (
                "    <recordUpdates>\n        <name>Default_Amount</name>\n        <label>Default Amount</label>\n        <inputReference>$Record</inputReference>\n    </recordUpdates>\n".to_string(),
                format!("        <connector><targetReference>Default_Amount</targetReference></connector>\n        <object>{o}</object>\n        <recordTriggerType>Create</recordTriggerType>\n        <triggerType>RecordBeforeSave</triggerType>\n", o = object.name),
            ),
            // A scheduled path that updates the parent later.
            3 => (
                update_parent.to_string(),
                format!("        <object>{o}</object>\n        <recordTriggerType>Create</recordTriggerType>\n        <scheduledPaths>\n            <name>Later</name>\n            <label>Later</label>\n            <connector><targetReference>Touch_Parent</targetReference></connector>\n            <pathType>AsyncAfterCommit</pathType>\n        </scheduledPaths>\n        <triggerType>RecordAfterSave</triggerType>\n", o = object.name),
            ),
            // An after-save flow that calls the previous flow as a subflow.
            _ => (
                format!("    <subflows>\n        <name>Run_Previous</name>\n        <label>Run Previous</label>\n        <flowName>{}_Flow_{}</flowName>\n    </subflows>\n", objects[(index + objects.len() - 1) % objects.len()].name.trim_end_matches("__c"), index.saturating_sub(1)),
                format!("        <connector><targetReference>Run_Previous</targetReference></connector>\n        <object>{o}</object>\n        <recordTriggerType>Update</recordTriggerType>\n        <triggerType>RecordAfterSave</triggerType>\n", o = object.name),
            ),
        };
        w.write(
            &format!("force-app/main/default/flows/{name}.flow-meta.xml"),
            &format!("{HEAD}{body}    <label>{name}</label>\n    <processType>AutoLaunchedFlow</processType>\n    <start>\n{start}    </start>\n    <status>{status}</status>\n</Flow>\n"),
        )?;
    }
    Ok(())
}

/// A method body of about `lines` lines working on `object`.
fn method_body(rng: &mut Rng, object: &str, lines: usize, calls: &[String]) -> String {
    let mut out = String::new();
    let var = "records";
    let _ = writeln!(out, "        List<{object}> {var} = [");
    let _ = writeln!(
        out,
        "            SELECT Id, Name, Amount__c, Key__c FROM {object}"
    );
    let _ = writeln!(out, "            WHERE Id IN :ids AND Amount__c > 0");
    let _ = writeln!(out, "        ];");
    let mut written = 4;
    while written + 6 < lines {
        match rng.below(9) {
            0 => {
                let _ = writeln!(out, "        Decimal total{written} = 0;");
                let _ = writeln!(out, "        for ({object} row : {var}) {{");
                let _ = writeln!(
                    out,
                    "            total{written} += row.Amount__c == null ? 0 : row.Amount__c;"
                );
                let _ = writeln!(out, "        }}");
                written += 4;
            }
            1 => {
                let _ = writeln!(out, "        for ({object} row : {var}) {{");
                let _ = writeln!(out, "            row.Name = 'synced ' + row.Key__c;");
                let _ = writeln!(out, "        }}");
                let _ = writeln!(out, "        update {var};");
                written += 4;
            }
            2 => {
                let _ = writeln!(
                    out,
                    "        List<{object}> fresh{written} = new List<{object}>();"
                );
                let _ = writeln!(out, "        for (Id parentId : ids) {{");
                let _ = writeln!(
                    out,
                    "            fresh{written}.add(new {object}(Name = 'new', Key__c = String.valueOf(parentId)));"
                );
                let _ = writeln!(out, "        }}");
                let _ = writeln!(out, "        upsert fresh{written} {object}.Key__c;");
                written += 5;
            }
            3 if rng.chance(30) => {
                let _ = writeln!(out, "        for ({object} row : {var}) {{");
                let _ = writeln!(out, "            update row;");
                let _ = writeln!(out, "        }}");
                written += 3;
            }
            4 => {
                let _ = writeln!(out, "        try {{");
                let _ = writeln!(
                    out,
                    "            List<{object}> locked{written} = [SELECT Id FROM {object} WHERE Id IN :ids FOR UPDATE];"
                );
                let _ = writeln!(out, "            Database.update(locked{written}, false);");
                let _ = writeln!(out, "        }} catch (QueryException e) {{");
                let _ = writeln!(
                    out,
                    "            System.debug(LoggingLevel.WARN, e.getMessage());"
                );
                let _ = writeln!(out, "        }}");
                written += 6;
            }
            5 if !calls.is_empty() => {
                let target = &calls[rng.below(calls.len())];
                let _ = writeln!(out, "        {target}(ids);");
                written += 1;
            }
            6 => {
                let _ = writeln!(
                    out,
                    "        Map<Id, {object}> byId{written} = new Map<Id, {object}>({var});"
                );
                let _ = writeln!(out, "        if (byId{written}.isEmpty()) {{");
                let _ = writeln!(out, "            return;");
                let _ = writeln!(out, "        }}");
                written += 4;
            }
            _ => {
                let _ = writeln!(
                    out,
                    "        String label{written} = 'rows: ' + {var}.size();"
                );
                let _ = writeln!(out, "        System.debug(label{written});");
                written += 2;
            }
        }
    }
    out
}

fn run() -> Result<(), String> {
    let options = options()?;
    if options.out.exists()
        && fs::read_dir(&options.out)
            .map_err(|e| e.to_string())?
            .next()
            .is_some()
        && !options.force
    {
        return Err(format!(
            "{} exists and is not empty (pass --force to add to it)",
            options.out.display()
        ));
    }
    let mut rng = Rng(options.seed);
    let mut w = Writer {
        root: options.out.clone(),
        files: 0,
        apex_lines: 0,
    };
    w.write(
        "sfdx-project.json",
        "{\"packageDirectories\":[{\"path\":\"force-app\",\"default\":true}],\"sourceApiVersion\":\"61.0\"}\n",
    )?;
    // About one object per 2,500 lines, as in real orgs.
    let object_count = (options.lines / 2_500).clamp(4, 2_000);
    let objects = objects(&mut rng, &mut w, object_count)?;
    flows(&mut rng, &mut w, &objects, options.flows)?;
    let mut services: Vec<String> = Vec::new();
    let (mut classes, mut triggers) = (0usize, 0usize);
    let mut index = 0usize;
    while w.apex_lines < options.lines {
        let object = &objects[index % objects.len()];
        let stem = object.name.trim_end_matches("__c").to_string();
        let round = index / objects.len();
        let name = |kind: &str| format!("{stem}{kind}{round}");
        // Handler and trigger (a second trigger on the object now and then).
        if round == 0 || rng.chance(3) {
            let handler = name("Handler");
            let trigger = name("Trigger");
            let lines = 10 + rng.below(30);
            let body = method_body(&mut rng, &object.name, lines, &services);
            w.class(
                &handler,
                &format!("public with sharing class {handler} {{\n    public static void run(List<{o}> rows) {{\n        Set<Id> ids = new Map<Id, {o}>(rows).keySet();\n{body}    }}\n}}\n", o = object.name),
            )?;
            w.write(
                &format!("force-app/main/default/triggers/{trigger}.trigger"),
                &format!("trigger {trigger} on {o} (after insert, after update) {{\n    {handler}.run(Trigger.new);\n}}\n", o = object.name),
            )?;
            w.write(
                &format!("force-app/main/default/triggers/{trigger}.trigger-meta.xml"),
                TRIGGER_META,
            )?;
            classes += 1;
            triggers += 1;
        }
        // A service with several methods, some calling earlier services.
        let service = name("Service");
        let mut body = format!("public with sharing class {service} {{\n");
        let methods = 2 + rng.below(10);
        for m in 0..methods {
            let lines = 5 + rng.below(55);
            let _ = writeln!(body, "    public static void process{m}(Set<Id> ids) {{");
            body.push_str(&method_body(&mut rng, &object.name, lines, &services));
            body.push_str("    }\n\n");
        }
        if rng.chance(30) {
            let _ = writeln!(
                body,
                "    public interface Step {{\n        void apply(Set<Id> ids);\n    }}\n"
            );
            let _ = writeln!(
                body,
                "    public class FirstStep implements Step {{\n        public void apply(Set<Id> ids) {{\n            process0(ids);\n        }}\n    }}\n"
            );
            let _ = writeln!(
                body,
                "    public class SecondStep implements Step {{\n        public void apply(Set<Id> ids) {{\n            process1(ids);\n        }}\n    }}\n"
            );
        }
        if rng.chance(25) {
            let _ = writeln!(
                body,
                "    @future\n    public static void processLater(Set<Id> ids) {{\n        process0(ids);\n    }}\n"
            );
        }
        body.push_str("}\n");
        w.class(&service, &body)?;
        classes += 1;
        for m in 0..methods.min(3) {
            services.push(format!("{service}.process{m}"));
        }
        if services.len() > 200 {
            services.drain(..100);
        }
        // Async jobs.
        match rng.below(4) {
            0 => {
                let job = name("Job");
                let finalizer = if rng.chance(50) {
                    format!("        System.attachFinalizer(new {job}Retry());\n")
                } else {
                    String::new()
                };
                w.class(
                    &job,
                    &format!("public with sharing class {job} implements Queueable {{\n    private final Set<Id> ids;\n    public {job}(Set<Id> ids) {{\n        this.ids = ids;\n    }}\n    public void execute(QueueableContext context) {{\n{finalizer}        {service}.process0(ids);\n    }}\n    public class {job}Retry implements Finalizer {{\n        public void execute(FinalizerContext context) {{\n            System.debug(context.getResult());\n        }}\n    }}\n}}\n"),
                )?;
                classes += 1;
            }
            1 => {
                let batch = name("Batch");
                w.class(
                    &batch,
                    &format!("public with sharing class {batch} implements Database.Batchable<SObject>, Database.Stateful {{\n    public Database.QueryLocator start(Database.BatchableContext context) {{\n        return Database.getQueryLocator([SELECT Id FROM {o}]);\n    }}\n    public void execute(Database.BatchableContext context, List<{o}> scope) {{\n        {service}.process0(new Map<Id, {o}>(scope).keySet());\n    }}\n    public void finish(Database.BatchableContext context) {{\n        System.debug('done');\n    }}\n}}\n", o = object.name),
                )?;
                let schedule = name("Schedule");
                w.class(
                    &schedule,
                    &format!("public with sharing class {schedule} implements Schedulable {{\n    public void execute(SchedulableContext context) {{\n        Database.executeBatch(new {batch}(), 200);\n    }}\n}}\n"),
                )?;
                classes += 2;
            }
            _ => {}
        }
        // A selector and a test class for some.
        if rng.chance(50) {
            let selector = name("Selector");
            w.class(
                &selector,
                &format!("public inherited sharing class {selector} {{\n    public List<{o}> byIds(Set<Id> ids) {{\n        return [SELECT Id, Name, Key__c, Amount__c FROM {o} WHERE Id IN :ids];\n    }}\n    public List<{o}> recent(Integer count) {{\n        return [SELECT Id, Name FROM {o} ORDER BY CreatedDate DESC LIMIT :count];\n    }}\n}}\n", o = object.name),
            )?;
            classes += 1;
        }
        if rng.chance(60) {
            let test = name("ServiceTest");
            w.class(
                &test,
                &format!("@IsTest\nprivate class {test} {{\n    @IsTest\n    static void processes() {{\n        List<{o}> rows = new List<{o}>();\n        for (Integer i = 0; i < 20; i++) {{\n            rows.add(new {o}(Name = 'row ' + i));\n        }}\n        insert rows;\n        Test.startTest();\n        {service}.process0(new Map<Id, {o}>(rows).keySet());\n        Test.stopTest();\n        Assert.areEqual(20, [SELECT COUNT() FROM {o}]);\n    }}\n}}\n", o = object.name),
            )?;
            classes += 1;
        }
        index += 1;
    }
    println!(
        "synth: {} files, {} Apex lines, {} objects, {classes} classes, {triggers} triggers in {}",
        w.files,
        w.apex_lines,
        objects.len(),
        options.out.display()
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("synth: {message}");
            std::process::ExitCode::from(2)
        }
    }
}
