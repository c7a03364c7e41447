#!/usr/bin/env bash
# Generate every kind of lock-safe Apex with several parameter sets into a scratch project, then
# check it the way Salesforce would: jorje (the Apex compiler's parser) and apex-ls (unknown
# types, methods and fields, missing interface methods) via ../shared/tools/validate-apex.sh,
# and lockgen lint, which must report nothing.
#   scripts/validate-generated.sh [LOCKGEN]     (default: target/release/lockgen)
set -euo pipefail
cd "$(dirname "$0")/.."
lockgen=${1:-target/release/lockgen}
validator=${VALIDATE_APEX:-../shared/tools/validate-apex.sh}
[ -x "$lockgen" ] || { echo "validate-generated: $lockgen is not built" >&2; exit 2; }
[ -x "$validator" ] || { echo "validate-generated: $validator not found" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/lockgen-generated.XXXXXX")
trap 'rm -rf "$work"' EXIT
project="$work/project"
objects="$project/force-app/main/default/objects"
mkdir -p "$objects"
# `acme` stands for an installed managed package: its objects have no metadata here.
cat >"$project/sfdx-project.json" <<'JSON'
{
  "packageDirectories": [{ "path": "force-app", "default": true }],
  "sourceApiVersion": "61.0",
  "plugins": { "dependencies": [{ "namespace": "acme" }] }
}
JSON

object() { # name
  mkdir -p "$objects/$1/fields"
  cat >"$objects/$1/$1.object-meta.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">
    <deploymentStatus>Deployed</deploymentStatus>
    <label>$1</label>
    <nameField>
        <label>Name</label>
        <type>Text</type>
    </nameField>
    <pluralLabel>$1</pluralLabel>
    <sharingModel>ReadWrite</sharingModel>
</CustomObject>
XML
}
field() { # object name type [referenceTo]
  local extra=""
  case "$3" in
    MasterDetail) extra="<referenceTo>$4</referenceTo><relationshipName>${1%__c}s</relationshipName>" ;;
    Lookup) extra="<deleteConstraint>SetNull</deleteConstraint><referenceTo>$4</referenceTo><relationshipName>${1%__c}s</relationshipName>" ;;
    Text) extra="<externalId>true</externalId><length>80</length><unique>true</unique>" ;;
  esac
  mkdir -p "$objects/$1/fields"
  cat >"$objects/$1/fields/$2.field-meta.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>$2</fullName>
    <label>$2</label>
    $extra
    <type>$3</type>
</CustomField>
XML
}
object Shipment__c
field Shipment__c Key__c Text
object Shipment_Item__c
field Shipment_Item__c Shipment__c MasterDetail Shipment__c
field Shipment_Item__c Key__c Text
object Delivery_Note__c
field Delivery_Note__c Account__c Lookup Account

gen() { "$lockgen" new "$@" --project "$project" >/dev/null; }
# Queueables: standard and custom parents and children, with and without an external ID.
gen queueable AccountContactsJob --object Account --child Contact
gen queueable OpportunityRollupJob --object Opportunity
gen queueable ShipmentItemsJob --object Shipment__c --child Shipment_Item__c --max-retries 5
gen queueable ShipmentItemsUpsertJob --object Shipment__c --child Shipment_Item__c --external-id Key__c --max-retries 0
gen queueable DeliveryNotesJob --object Account --child Delivery_Note__c
gen queueable AcmeLinesJob --object acme__Invoice__c --child acme__Invoice_Line__c \
  --parent-field acme__Invoice__c --external-id acme__Key__c
# Lock services: typed (standard, custom, namespaced) and generic.
gen lock AccountLocks --object Account
gen lock ShipmentLocks --object Shipment__c
gen lock AcmeInvoiceLocks --object acme__Invoice__c
gen lock RecordLocks
# Upserts: existing external IDs, a new one with its field, a namespaced one.
gen upsert ShipmentUpserter --object Shipment__c --external-id Key__c
gen upsert ContactSync --object Contact --external-id Legacy_Key__c --with-field
gen upsert ShipmentRefSync --object Shipment__c --external-id Carrier_Ref__c --with-field
gen upsert AcmeInvoiceSync --object acme__Invoice__c --external-id acme__Key__c
# One trigger per object: standard, custom, namespaced, custom handler name.
gen trigger Contact
gen trigger Shipment_Item__c
gen trigger acme__Invoice__c
gen trigger Opportunity --handler OpportunityDispatcher

echo "validate-generated: $(find "$project" -name '*.cls' -o -name '*.trigger' | wc -l) Apex files generated"
"$validator" "$project"
findings=$("$lockgen" lint "$project" --format json --fail-on info | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
[ "$findings" = 0 ] || { "$lockgen" lint "$project" --fail-on info; echo "validate-generated: lockgen lint found $findings findings in generated code" >&2; exit 1; }
echo "validate-generated: lockgen lint: no findings"
